// `stub`: a deterministic naive forecast for demos and tests. It repeats the last value with
// random-walk intervals and says so in its model name; never the default.
import { frequencies, type BackendResult, type ForecastBackend } from '../backend.js';
import { zForLevel } from '../normal.js';
import { magnitudeScale } from '../rescale.js';

export const stubModelName = 'stub: naive (last value repeated; for demos and tests, not a real forecast)';

export function createStubBackend(): ForecastBackend {
  return {
    name: 'stub',
    description: 'Deterministic naive forecast (the last value repeated) for demos and tests',
    capabilities: { frequencies, maxHorizon: 720, intervalLevels: 'any', anomalyDetection: false },
    availability: () => ({ available: true }),
    minPoints: () => 1,
    async forecast(req): Promise<BackendResult> {
      const y = req.values;
      const last = y[y.length - 1]!;
      // Random-walk intervals: the step-to-step spread grows with the square root of the horizon.
      // The spread is computed on the series divided by a power of two when its magnitude is extreme
      // (differences of values near ±1e308 overflow), and the bounds kept finite.
      const scale = magnitudeScale(y);
      let sq = 0;
      for (let i = 1; i < y.length; i++) sq += (y[i]! / scale - y[i - 1]! / scale) ** 2;
      const finite = (v: number) => Math.min(Number.MAX_VALUE, Math.max(-Number.MAX_VALUE, v));
      const sigma = y.length > 1 ? finite(Math.sqrt(sq / (y.length - 1)) * scale) : 0;
      const mean = new Float64Array(req.horizon).fill(last);
      const intervals = req.levels.map((level) => {
        const z = zForLevel(level);
        const lower = new Float64Array(req.horizon);
        const upper = new Float64Array(req.horizon);
        for (let h = 0; h < req.horizon; h++) {
          const w = z * sigma * Math.sqrt(h + 1);
          lower[h] = finite(last - w);
          upper[h] = finite(last + w);
        }
        return { level, lower, upper };
      });
      return { model: stubModelName, mean, intervals, params: { last, sigma } };
    },
  };
}
