import { AppError } from '../core/errors.js';
import type { HistorySource } from '../metrics/history-source.js';
import { timeParam } from './cursor.js';
import type { Labels } from '../core/labels.js';

/** The history a forecast, backtest or detection body names: a stored series (key, dimensions, from, to) or inline data. */
export function historySource(b: { key?: string; dimensions?: Labels; series?: { timestamps: (string | number)[]; values: number[] }; from?: string | number; to?: string | number }): HistorySource {
  if ((b.key === undefined) === (b.series === undefined)) {
    throw new AppError('validation_failed', 'Give either key (with dimensions) or series (inline timestamps and values), not both', [{ field: 'body.key', message: 'key or series is required, not both' }]);
  }
  if (b.series) {
    if (b.dimensions || b.from !== undefined || b.to !== undefined) {
      throw new AppError('validation_failed', 'dimensions, from and to apply to a stored series, not to inline data', [{ field: 'body.series', message: 'must come without dimensions, from and to' }]);
    }
    const { timestamps, values } = b.series;
    if (timestamps.length !== values.length) {
      throw new AppError('validation_failed', `series.timestamps has ${timestamps.length} entries and series.values ${values.length}; they must pair up`, [{ field: 'body.series.values', message: 'must have as many entries as timestamps' }]);
    }
    return { kind: 'inline', timestampsMs: timestamps.map((t, i) => timeParam(t, `body.series.timestamps[${i}]`)), values };
  }
  return {
    kind: 'series',
    key: b.key!,
    dimensions: b.dimensions ?? {},
    ...(b.from !== undefined ? { fromMs: timeParam(b.from, 'body.from') } : {}),
    ...(b.to !== undefined ? { toMs: timeParam(b.to, 'body.to') } : {}),
  };
}

