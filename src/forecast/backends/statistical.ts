// `statistical` (the default): the platform's own models (src/forecast/models, chosen per series
// by auto.ts), run by the ForecastFunc it is given (the worker pool in the server).
import { frequencies, type BackendResult, type ForecastBackend, type Frequency } from '../backend.js';
import { forecastOnThisThread, type ForecastFunc } from '../forecast-func.js';

/**
 * Seasonal cycles worth testing at each frequency, in steps: hourly and daily at 1m, daily and
 * weekly at 5m and 1h, weekly at 1d. Seasonality detection keeps only those present in the data.
 */
export const candidatePeriods: Record<Frequency, number[]> = {
  '1m': [60, 1440],
  '5m': [288, 2016],
  '1h': [24, 168],
  '1d': [7],
};

/** Fewest points: with fewer than 3 neither a trend nor the noise level can be estimated. */
export const statisticalMinPoints = 3;

export function createStatisticalBackend(runner: ForecastFunc = forecastOnThisThread): ForecastBackend {
  return {
    name: 'statistical',
    description: 'Seasonal naive, ETS, Theta and multi-seasonal decomposition, chosen per series by validation on its own history',
    capabilities: { frequencies, maxHorizon: 720, intervalLevels: 'any', anomalyDetection: false },
    availability: () => ({ available: true }),
    minPoints: () => statisticalMinPoints,
    async forecast(req): Promise<BackendResult> {
      const r = await runner({ values: req.values, candidatePeriods: candidatePeriods[req.frequency], horizon: req.horizon, levels: [...req.levels] });
      return { model: r.model, mean: r.mean, intervals: r.intervals, params: r.params };
    },
  };
}
