// Sequence context: learns which short sequences of quantised levels follow which (../sequence/), and
// scores how much of the present the learnt contexts failed to predict and how much of it is new — a
// new pattern, or a break in a learnt one, even when every value lies within the usual range. A
// repeated burst is new the first times and then learnt. In the family of CAD OSE (NAB's third best).
//
// Online and batch alike it reads the values in order (batch is the online run: the method learns as
// it goes, which is what makes a repeated pattern normal; quantising a batch over the window's range
// instead raised alarms on every new level of a clean trend). With `bounds` the levels divide the
// known range; without, the first WARM_UP values set a range that later values widen (../sequence/quantise.ts),
// and those first values are read once it is set (they score 0). With a `reference` [start, end), the
// points from `end` on are scored by a second detector that learnt from the reference only (over the
// reference's range, never widened) and then stores nothing, its usual score frozen too (it neither
// learns the anomalies nor forgets what normal was); points before `end` are scored as without it. Online, the method returns its state after the last value, and `resume`
// continues from one (the reference, if any, was applied when that state was made).
import type { AnomalyMethod, DetectionMode, MethodOptions, MethodResult } from '../detector.js';
import { SequenceDetector } from '../sequence/detector.js';
import { BITS, fixedRange, learntRange, levelMask, levelOf, observe, WARM_UP, type Range } from '../sequence/quantise.js';
import { decodeState, encodeState } from '../sequence/state.js';

/**
 * The raw score (0 = all predicted, ½ = nothing predicted but nothing new, 1 = new throughout) on the
 * ensemble's confidence scale (../calibration.ts), judged against the series' usual raw score `usual`
 * (a running mean): only the part above it counts, stretched back over [0, 1], raised to
 * CONFIDENCE_POWER and scaled to at most MAX_CONFIDENCE. A series that is hard to predict all the time
 * (white noise) has a high usual score, so only what is rare for it stands out; on a regular one a
 * break in the pattern scores near its raw score. On NAB, judging against the usual score lifted the
 * strictly causal run by about 4 points at the cost of 2 under NAB's rules.
 */
export function sequenceConfidence(raw: number, usual: number): number {
  if (!(raw > usual)) return 0;
  return MAX_CONFIDENCE * ((raw - usual) / (1 - usual)) ** CONFIDENCE_POWER;
}

/**
 * A break in a learnt sequence alone is probable, not certain (a noisy series makes new sequences by
 * chance now and then): below the conservative threshold (0.805), so alone it raises nothing there.
 */
export const MAX_CONFIDENCE = 0.8;

/** Chosen with the ensemble weights by cross-validation over NAB's categories (bench/nab-weights.ts). */
export const CONFIDENCE_POWER = 1.5;
/** The running mean forgets at this rate (about the last 500 points), faster while it has fewer points. */
const USUAL_RATE = 0.002;
/** It starts at ½ (nothing predicted, nothing new), worth this many raw scores. */
const USUAL_PRIOR = 20;

interface Run {
  detector: SequenceDetector;
  range: Range;
  /** Values read before the learnt range was ready, replayed once it is. */
  pending: number[];
  /** Running mean of the raw scores, and how many it holds. */
  usual: number;
  scored: number;
}

function freshRun(options: MethodOptions): Run {
  const b = options.bounds;
  return { detector: new SequenceDetector(), range: b ? fixedRange(b.min, b.max) : learntRange(), pending: [], usual: 0.5, scored: 0 };
}

/** Reads v; returns its confidence (0 while the range or the first contexts are being learnt). */
function read(run: Run, v: number): number {
  const raw = readRaw(run, v);
  if (raw === null) return 0;
  // The first WARM_UP values teach the detector its first contexts, whatever the range: everything is
  // new then, which says nothing about the series (without bounds they set the range too). A detector
  // taught by a reference has learnt already.
  const c = run.detector.step > WARM_UP || run.detector.frozen ? sequenceConfidence(raw, run.usual) : 0;
  // Judged against the reference, the usual score is the reference's too.
  if (run.detector.frozen) return c;
  run.scored++;
  run.usual += Math.max(USUAL_RATE, 1 / (run.scored + USUAL_PRIOR)) * (raw - run.usual);
  return c;
}

/** Reads v; returns the raw score, or null while the range is being learnt. */
function readRaw(run: Run, v: number): number | null {
  const { range, detector } = run;
  const warm = range.seen >= WARM_UP || range.fixed;
  const ready = observe(range, v);
  if (!ready) {
    run.pending.push(v);
    return null;
  }
  if (!warm) {
    // The range has just been set: read the values that set it (their scores stay 0).
    for (const p of run.pending) detector.next(levelMask(levelOf(p, range.lo, range.hi)));
    run.pending.length = 0;
    detector.next(levelMask(levelOf(v, range.lo, range.hi)));
    return null;
  }
  return detector.next(levelMask(levelOf(v, range.lo, range.hi)));
}

/** The min and max of values[from, to). */
function rangeOf(values: Float64Array, from: number, to: number): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let t = from; t < to; t++) {
    if (values[t]! < min) min = values[t]!;
    if (values[t]! > max) max = values[t]!;
  }
  return { min, max };
}

function score(values: Float64Array, options: MethodOptions): MethodResult {
  const n = values.length;
  const scores = new Float64Array(n);
  const expected = new Float64Array(n).fill(NaN);
  let run: Run;
  let from = 0;
  if (options.resume) {
    const st = decodeState(options.resume.state);
    run = { ...st };
    from = options.resume.from;
  } else run = freshRun(options);
  const ref = options.resume ? null : options.reference;
  const end = ref && ref.end < n && ref.end > ref.start ? ref.end : n;
  for (let t = from; t < end; t++) scores[t] = read(run, values[t]!);
  if (end < n) {
    // Learn the reference alone, then judge the rest against it without storing anything.
    // The reference's range stays as it is: widening would change what the learnt levels mean.
    const b = options.bounds ?? rangeOf(values, ref!.start, end);
    const range = fixedRange(b.min, b.max);
    run = { detector: new SequenceDetector(), range, pending: [], usual: 0.5, scored: 0 };
    for (let t = ref!.start; t < end; t++) read(run, values[t]!);
    run.detector.frozen = true;
    for (let t = end; t < n; t++) scores[t] = read(run, values[t]!);
  }
  const result: MethodResult = { scores, expected };
  if (options.mode === 'online') result.state = encodeState(run);
  return result;
}

export const sequenceContext: AnomalyMethod = {
  name: 'sequence-context',
  description: `Breaks in learnt sequences: values quantised to ${2 ** BITS} levels, contexts of recent levels learnt online; scores what they failed to predict and what is new.`,
  // It scores 0 until it has read WARM_UP values, which is no reason to refuse a shorter series the
  // other methods can judge.
  minPoints: (_mode: DetectionMode) => 2,
  stateful: true,
  score,
};
