// One run of a detection schedule: for every series it selects, the points that arrived since the
// series' saved state are detected online, continuing that state, and the anomalies among them and the
// new state are saved in one transaction. A run that dies part-way leaves each series either fully
// advanced or untouched, so the next run neither loses nor double-counts a point.
//
// What "continuing" means per method: the stateful ones (AnomalyMethod.stateful) resume from their
// saved bytes and read only the new points; the stateless ones re-read a warm-up of the points before
// the new ones, which is all they look at (see warmupPoints). History is never re-scored
// or re-reported: reports start at the first new point and the refractory rule carries over.
import type { Clock } from '../core/clock.js';
import { readSeriesBounds } from '../metrics/series-settings.js';
import { readPoints as readStoredPoints } from '../metrics/points/read.js';
import type { PointRange } from '../metrics/points/types.js';
import { findSeries, type StoredSeries } from '../metrics/series-read.js';
import type { Sql } from '../store/sql.js';
import { listOrgs } from '../tenancy/orgs.js';
import { detectOnThisThread, type DetectFunc } from './detect-func.js';
import type { ValueBounds } from './detector.js';
import { AnomalyError } from './errors.js';
import { medianStepMs, ONLINE_CYCLES } from './periods.js';
import { decodeStates, encodeStates } from './state-codec.js';
import { advanceState, claimDueSchedules, finishScheduleRun, getDetectionSchedule, readStates, recordStateError, type DetectionSchedule, type DetectionState } from './schedules.js';
import { upsertAnomalies } from './store.js';
import { concatInOrder, lowerBound } from '../metrics/points/arrays.js';

/** Bounds of {@link warmupPoints}. */
export const MIN_WARMUP_POINTS = 3_000;
export const MAX_WARMUP_POINTS = 5_000;

/**
 * Points before the new ones that the stateless methods re-read each run: what they look back at.
 * Their memory is bounded: rolling-iqr's window is 3,000 points (or two seasonal cycles), the tail
 * calibration keeps 2,000 z's, the robust scales 500 points, level shift and volatility a few hundred;
 * and a seasonal period is only tested after three cycles (src/anomaly/periods.ts), so a daily period
 * needs 3 × (steps a day) + 1 points before the first new one: 4,321 at one point a minute, 865 at
 * one every five minutes. So: 3,000 points, or those three days when more, at most 5,000. On a series
 * shorter than that a run scores its new points exactly as one long online run would. A daily period
 * finer than a minute, or a weekly one at minute resolution (30,240 points), is not learnt by the
 * stateless methods in a scheduled run; re-reading that much every run would cost more than it adds.
 * `stepMs` is the series' median spacing (NaN when unknown).
 */
export function warmupPoints(stepMs: number): number {
  const stepsPerDay = Math.round(86_400_000 / stepMs);
  const daily = Number.isFinite(stepsPerDay) && stepsPerDay >= 2 ? ONLINE_CYCLES * stepsPerDay + 1 : 0;
  return Math.min(MAX_WARMUP_POINTS, Math.max(MIN_WARMUP_POINTS, daily));
}

/** Most new points one run reads per series (the oldest first; the next run takes the rest). */
export const MAX_NEW_POINTS = 100_000;
/** A series seen for the first time: its history over this span before the run is read as new. */
export const FIRST_RUN_HISTORY_MS = 7 * 86_400_000;
/** Most points of a baseline period read from before the warm-up. */
export const MAX_BASELINE_POINTS = 20_000;
/** Most series one run detects (a selector matching more is cut here, and the run says so). */
export const MAX_SERIES_PER_RUN = 1000;

/** Queue name data of a run job. */
export interface DetectionRunData {
  orgId: string;
  scheduleId: string;
}

export interface DetectionRunDeps {
  sql: Sql;
  now: Clock;
  /** Where the ensemble runs (the worker pool in the server); default this thread. */
  detect?: DetectFunc;
}

export interface DetectionRunResult {
  status: 'completed' | 'schedule deleted';
  series: number;
  /** New points read over all series. */
  points: number;
  anomalies: number;
  errors: number;
}

/**
 * One tick: every org's due, unpaused schedules are claimed (each once however many servers tick) and
 * a run job is sent for each. A run whose send fails is not retried: the next run reads every point
 * since the saved states anyway.
 */
export async function tickDetectionSchedules(sql: Sql, now: Date, send: (data: DetectionRunData) => Promise<unknown>): Promise<{ runsQueued: number }> {
  let runsQueued = 0;
  for (const org of await listOrgs(sql)) {
    for (const scheduleId of await claimDueSchedules(sql, org.id, now)) {
      await send({ orgId: org.id, scheduleId });
      runsQueued++;
    }
  }
  return { runsQueued };
}

interface Points {
  timestampsMs: Float64Array;
  values: Float64Array;
}


/**
 * Points of a series within the given ends (afterMs < t, fromMs ≤ t, t < beforeMs, t ≤ toMs; each
 * optional): the oldest `limit` when `newest` is false, else the newest; ascending either way. Hot
 * rows and chunks merged by the store's reader.
 */
async function readPoints(sql: Sql, orgId: string, seriesId: number, range: PointRange, limit: number, newest: boolean): Promise<Points> {
  const m = await readStoredPoints(sql, orgId, [seriesId], range, { limit, newest });
  return m.get(seriesId) ?? { timestampsMs: new Float64Array(0), values: new Float64Array(0) };
}

/** What one series' detection read: context points, then `from` onwards the new ones. */
interface Window extends Points {
  from: number;
}

/**
 * The window a run detects over: [baseline points before the warm-up] + warm-up + new points. A series
 * without a state reads its recent history, all of it new. Null when there is nothing new.
 */
async function readWindow(sql: Sql, orgId: string, schedule: DetectionSchedule, seriesId: number, state: DetectionState | undefined, nowMs: number): Promise<Window | null> {
  let warm: Points;
  let fresh: Points;
  if (state?.lastPointMs != null) {
    fresh = await readPoints(sql, orgId, seriesId, { afterMs: state.lastPointMs }, MAX_NEW_POINTS, false);
    if (!fresh.values.length) return null;
    warm = await readPoints(sql, orgId, seriesId, { toMs: state.lastPointMs }, MAX_WARMUP_POINTS, true);
    const keep = warmupPoints(medianStepMs(concatInOrder([warm, fresh]).timestampsMs));
    if (warm.values.length > keep) warm = { timestampsMs: warm.timestampsMs.subarray(-keep), values: warm.values.subarray(-keep) };
  } else {
    fresh = await readPoints(sql, orgId, seriesId, { fromMs: nowMs - FIRST_RUN_HISTORY_MS, toMs: nowMs }, MAX_NEW_POINTS, true);
    if (!fresh.values.length) return null;
    warm = { timestampsMs: new Float64Array(0), values: new Float64Array(0) };
  }
  const parts: Points[] = [warm, fresh];
  // A baseline period that lies before what was read is read too (its points define normal).
  const start = (warm.values.length ? warm.timestampsMs : fresh.timestampsMs)[0]!;
  const fromMs = schedule.baseline ? Date.parse(schedule.baseline.from) : NaN;
  if (fromMs < start) {
    const toMs = Math.min(Date.parse(schedule.baseline!.to), start);
    parts.unshift(await readPoints(sql, orgId, seriesId, { fromMs, beforeMs: toMs }, MAX_BASELINE_POINTS, true));
  }
  const all = concatInOrder(parts);
  return { ...all, from: all.values.length - fresh.values.length };
}


/** Detects one series' new points and saves what it found; the number of points and anomalies saved. */
async function runSeries(deps: DetectionRunDeps, schedule: DetectionSchedule, series: StoredSeries, state: DetectionState | undefined, bounds: ValueBounds | null, now: Date): Promise<{ points: number; anomalies: number }> {
  const { sql } = deps;
  const w = await readWindow(sql, schedule.orgId, schedule, series.id, state, now.getTime());
  if (!w) return { points: 0, anomalies: 0 };
  const processed = state?.pointsProcessed ?? 0;
  // The refractory rule across runs: the last report as an index into this window (negative before it).
  const lastReportIndex = state?.lastReportSeq != null ? w.from + state.lastReportSeq - processed : -Infinity;
  const outcome = await (deps.detect ?? detectOnThisThread)({
    values: w.values,
    timestampsMs: w.timestampsMs,
    sensitivity: schedule.sensitivity,
    methods: schedule.methods ?? undefined,
    mode: 'online',
    context: { before: 5, after: 5 },
    bounds,
    baseline: schedule.baseline ? { fromMs: Date.parse(schedule.baseline.from), toMs: Date.parse(schedule.baseline.to) } : null,
    resume: { from: w.from, states: decodeStates(state?.states), lastReportIndex },
  });
  // Reports start at `from`; the filter only guards against a method that reports earlier.
  const lastOldMs = w.from > 0 ? w.timestampsMs[w.from - 1]! : -Infinity;
  const found = outcome.anomalies.filter((a) => a.timestampMs > lastOldMs);
  let lastReportSeq = state?.lastReportSeq ?? null;
  let lastReportMs = state?.lastReportMs ?? null;
  const newest = found[found.length - 1];
  if (newest) {
    lastReportSeq = processed + lowerBound(w.timestampsMs, newest.timestampMs, w.from) - w.from;
    lastReportMs = newest.timestampMs;
  }
  const newPoints = w.values.length - w.from;
  const saved = await sql.transaction(async (tx) => {
    const ok = await advanceState(
      tx,
      schedule.orgId,
      schedule.id,
      schedule.revision,
      series.id,
      state?.lastPointMs ?? null,
      { lastPointMs: w.timestampsMs[w.values.length - 1]!, newPoints, lastReportSeq, lastReportMs, states: encodeStates(outcome.states), newAnomalies: found.length },
      now,
    );
    if (!ok) return false;
    await upsertAnomalies(tx, schedule.orgId, series, found, { sensitivity: schedule.sensitivity, mode: 'online', detectedAt: now, scheduleId: schedule.id });
    return true;
  });
  // Another run (or a settings change) got there first: what this one found is theirs to save.
  return saved ? { points: newPoints, anomalies: found.length } : { points: 0, anomalies: 0 };
}

/**
 * Executes one run of a schedule (also a paused one: "run now"). Failures are per series: recorded on
 * its state and in the schedule's last error, never stopping the other series.
 */
export async function executeDetectionRun(deps: DetectionRunDeps, data: DetectionRunData): Promise<DetectionRunResult> {
  const { sql } = deps;
  const schedule = await getDetectionSchedule(sql, data.orgId, data.scheduleId);
  if (!schedule) return { status: 'schedule deleted', series: 0, points: 0, anomalies: 0, errors: 0 };
  const now = deps.now();
  const matched = await findSeries(sql, data.orgId, schedule.key, schedule.dimensions, MAX_SERIES_PER_RUN + 1);
  const selected = matched.slice(0, MAX_SERIES_PER_RUN);
  const own = schedule.bounds ? null : await readSeriesBounds(sql, data.orgId, selected.map((s) => s.id));
  const states = await readStates(sql, data.orgId, schedule.id);
  const errors: string[] = [];
  let points = 0;
  let anomalies = 0;
  for (const s of selected) {
    try {
      const r = await runSeries(deps, schedule, s, states.get(s.id), schedule.bounds ?? own?.get(s.id) ?? null, now);
      points += r.points;
      anomalies += r.anomalies;
    } catch (err) {
      // Too few points yet is a wait, not a fault, but the series' row says why nothing was found.
      const message = err instanceof AnomalyError ? err.message : `detection failed: ${(err as Error).message}`;
      errors.push(`${JSON.stringify(s.dimensions)}: ${message}`);
      await recordStateError(sql, data.orgId, schedule.id, s.id, message, now);
    }
  }
  const notes = [
    ...(selected.length ? [] : [`no series of ${schedule.key} matches ${JSON.stringify(schedule.dimensions)}`]),
    ...(matched.length > MAX_SERIES_PER_RUN ? [`more than ${MAX_SERIES_PER_RUN} series match; the first ${MAX_SERIES_PER_RUN} were detected`] : []),
    ...(errors.length ? [`${errors.length} series failed: ${errors.slice(0, 5).join('; ')}`] : []),
  ];
  await finishScheduleRun(sql, data.orgId, schedule.id, { seriesCount: selected.length, error: notes.length ? notes.join('. ') : null }, deps.now());
  return { status: 'completed', series: selected.length, points, anomalies, errors: errors.length };
}
