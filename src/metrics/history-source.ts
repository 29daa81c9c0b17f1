// Where a read takes its history from, and which stored series a (key, dimensions) selector names:
// shared by forecasting, backtests and anomaly detection, so none of them imports another's use case.
import { AppError } from '../core/errors.js';
import type { Labels } from '../core/labels.js';
import type { Sql } from '../store/sql.js';
import { findSeries, type StoredSeries } from './series-read.js';

/** A stored series (by key and dimensions, optionally a range in epoch ms) or data sent inline. */
export type HistorySource =
  | { kind: 'series'; key: string; dimensions: Labels; fromMs?: number; toMs?: number }
  | { kind: 'inline'; timestampsMs: number[]; values: number[] };

/** The one series a (key, dimensions) selector names: an exact match, or the only series that includes the pairs. */
export async function resolveOneSeries(sql: Sql, orgId: string, key: string, dimensions: Labels): Promise<StoredSeries> {
  const found = await findSeries(sql, orgId, key, dimensions, 11);
  const exact = found[0] && sameDimensions(found[0].dimensions, dimensions) ? found[0] : undefined;
  if (exact) return exact;
  if (found.length === 1) return found[0]!;
  if (!found.length) throw new AppError('not_found', `No series ${key} with dimensions ${JSON.stringify(dimensions)}`);
  throw new AppError('validation_failed', `${found.length > 10 ? 'More than 10' : found.length} series of ${key} include these dimensions; give dimensions that name one series`, {
    matches: found.slice(0, 10).map((s) => s.dimensions),
  });
}

function sameDimensions(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
