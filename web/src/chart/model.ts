// Pure: the chart's inputs (histories, forecasts, anomalies) → uPlot's aligned columns and the
// index of each drawn part. Timestamps are epoch seconds, as uPlot wants them.
import type { Severity } from '../types';

export interface HistoryInput {
  label: string;
  ts: number[];
  values: (number | null)[];
}

export interface ForecastInput {
  label: string;
  ts: number[];
  mean: number[];
  /** By level ("80", "95"): lower and upper bounds per point. */
  intervals: Record<string, { lower: number[]; upper: number[] }>;
}

export interface AnomalyInput {
  id: string;
  label: string;
  ts: number;
  value: number;
  severity: Severity;
  score: number;
  methods: { name: string; score: number; flagged: boolean }[];
  expected: number | null;
}

export const severities: Severity[] = ['low', 'medium', 'high', 'critical'];

export interface ChartModel {
  data: (number | null)[][];
  /** Column of each history (index into data). */
  history: number[];
  /** Columns of each forecast: mean, and per level lower/upper. */
  forecast: { mean: number; bands: { level: string; lower: number; upper: number }[] }[];
  /** Column of each severity's anomaly marks, for the severities that have any. */
  anomalies: Partial<Record<Severity, number>>;
}

/** The sorted union of ascending timestamp lists (one pass per list: no hashing, no sort). */
function unionSorted(lists: number[][]): number[] {
  let out = lists[0] ?? [];
  for (const next of lists.slice(1)) {
    if (!next.length) continue;
    if (!out.length) {
      out = next;
      continue;
    }
    // Disjoint and in order (a forecast after its history): concatenate.
    if (next[0]! > out[out.length - 1]!) {
      out = out.concat(next);
      continue;
    }
    const merged: number[] = [];
    let i = 0;
    let j = 0;
    while (i < out.length || j < next.length) {
      const a = i < out.length ? out[i]! : Infinity;
      const b = j < next.length ? next[j]! : Infinity;
      if (a <= b) {
        merged.push(a);
        i++;
        if (a === b) j++;
      } else {
        merged.push(b);
        j++;
      }
    }
    out = merged;
  }
  return out;
}

/** Ascending and without repeats, as the API returns points; a list that is not is sorted (with its values). */
function ascending(ts: number[], values: (number | null)[]): { ts: number[]; values: (number | null)[] } {
  let ok = true;
  for (let i = 1; i < ts.length && ok; i++) ok = ts[i]! > ts[i - 1]!;
  if (ok) return { ts, values };
  const order = ts.map((_, i) => i).sort((a, b) => ts[a]! - ts[b]!);
  const outTs: number[] = [];
  const outValues: (number | null)[] = [];
  for (const i of order) {
    if (outTs.length && outTs[outTs.length - 1] === ts[i]) continue;
    outTs.push(ts[i]!);
    outValues.push(values[i] ?? null);
  }
  return { ts: outTs, values: outValues };
}

/**
 * Aligns every input on the union of their timestamps (null where a column has no value). Linear in
 * the points: the chart of one 100,000-point series must draw in well under 200 ms.
 */
export function buildModel(histories: HistoryInput[], forecasts: ForecastInput[], anomalies: AnomalyInput[]): ChartModel {
  const bySeverity = new Map<Severity, AnomalyInput[]>();
  for (const a of [...anomalies].sort((x, y) => x.ts - y.ts)) {
    const list = bySeverity.get(a.severity) ?? [];
    if (list[list.length - 1]?.ts !== a.ts) list.push(a);
    bySeverity.set(a.severity, list);
  }
  const inputs: { ts: number[]; values: (number | null)[] }[] = [];
  const add = (ts: number[], values: (number | null)[]) => inputs.push(ascending(ts, values)) - 1;
  const historyIn = histories.map((h) => add(h.ts, h.values));
  const forecastIn = forecasts.map((f) => {
    const mean = add(f.ts, f.mean);
    const levels = Object.keys(f.intervals).sort((a, b) => Number(b) - Number(a)); // widest band first, drawn under
    return { mean, bands: levels.map((level) => ({ level, lower: add(f.ts, f.intervals[level]!.lower), upper: add(f.ts, f.intervals[level]!.upper) })) };
  });
  const marksIn: Partial<Record<Severity, number>> = {};
  for (const s of severities) {
    const list = bySeverity.get(s);
    if (list?.length) marksIn[s] = add(list.map((a) => a.ts), list.map((a) => a.value));
  }

  const xs = unionSorted(inputs.map((i) => i.ts));
  const n = xs.length;
  const data: (number | null)[][] = [xs];
  for (const input of inputs) {
    if (input.ts === xs || input.ts.length === n) {
      data.push(input.values); // it spans every timestamp: its values are the column as they are
      continue;
    }
    const col: (number | null)[] = new Array(n).fill(null);
    let k = 0;
    for (let i = 0; i < input.ts.length; i++) {
      const t = input.ts[i]!;
      while (xs[k]! < t) k++;
      col[k] = input.values[i] ?? null;
    }
    data.push(col);
  }
  // Column of input i is i + 1 (column 0 is x).
  const col = (i: number) => i + 1;
  const marks: Partial<Record<Severity, number>> = {};
  for (const s of severities) if (marksIn[s] !== undefined) marks[s] = col(marksIn[s]!);
  return {
    data,
    history: historyIn.map(col),
    forecast: forecastIn.map((f) => ({ mean: col(f.mean), bands: f.bands.map((b) => ({ level: b.level, lower: col(b.lower), upper: col(b.upper) })) })),
    anomalies: marks,
  };
}

/** The anomaly nearest to x pixel `left` within `radius` pixels, given a value → pixel function. */
export function nearestAnomaly(anomalies: AnomalyInput[], left: number, toPx: (ts: number) => number, radius = 10): AnomalyInput | undefined {
  let best: AnomalyInput | undefined;
  let bestD = radius;
  for (const a of anomalies) {
    const d = Math.abs(toPx(a.ts) - left);
    if (d <= bestD) {
      best = a;
      bestD = d;
    }
  }
  return best;
}

/** An alert firing drawn as a shaded time region (epoch seconds; `to` is now while it is open). */
export interface RegionInput {
  id: string;
  /** The series it belongs to (its history's label). */
  label: string;
  from: number;
  to: number;
  severity: string;
  ruleName: string;
  state: string;
}

/**
 * The regions under x pixel `left`, most severe first, given a value → pixel function; a region is
 * at least `slack` pixels either side wide, so one that began a moment ago can still be pointed at.
 */
export function regionsAt(regions: RegionInput[], left: number, toPx: (ts: number) => number, slack = 3): RegionInput[] {
  const rank = (s: string) => ['critical', 'error', 'warning', 'info'].indexOf(s) >>> 0; // unknown last
  return regions.filter((r) => toPx(r.from) - slack <= left && left <= toPx(r.to) + slack).sort((a, b) => rank(a.severity) - rank(b.severity));
}

/** The alert as a region of the series `label`: from its firing (or start) to its end, else `nowSec`; undefined if it never fired. */
export function alertRegion(
  a: { id: string; ruleName: string; severity: string; state: string; startedAt: string; firedAt: string | null; endedAt: string | null },
  label: string,
  nowSec: number,
): RegionInput | undefined {
  if (!a.firedAt && a.state !== 'firing') return undefined;
  const from = Date.parse(a.firedAt ?? a.startedAt) / 1000;
  const to = a.endedAt ? Date.parse(a.endedAt) / 1000 : nowSec;
  if (!Number.isFinite(from) || !Number.isFinite(to)) return undefined;
  return { id: a.id, label, from, to: Math.max(from, to), severity: a.severity, ruleName: a.ruleName, state: a.state };
}
