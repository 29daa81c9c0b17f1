// One series' usable rollup rows merged into one set of columns (issue 18). A year at a 1-hour step is
// 365 decoded rows of 24 buckets a series: planned and folded day by day, every day's small arrays are
// a separate allocation to reach (measured: a fold over 36,500 one-day arrays takes ~4× as long as
// over the same buckets back to back). So a series' rows are copied right after decoding (while they
// are still in cache) into columns of the whole read, with the days' bucket ranges beside them, and
// planned and folded from there: usually one slice a series. Pure functions over typed arrays.
//
// SeriesColumns goes one step further: it decodes a series' framed rows (rollup-rows.ts) straight into
// its columns (rollup.ts' decodeRollupInto), sized from the rows' headers, so no row gets arrays,
// views or objects of its own, and the columns come from a pool (below). Measured on the 1-year read
// (100 series × 365 days at 1 h, avg; one process, old and new alternating, 20 runs, loaded cores):
// Node CPU p50 135 → 89 ms, and no more GCs forced by off-heap allocation.
import { decodeRollupInto, rollupCount, type Rollup, type RollupColumn } from '../../store/chunks/rollup.js';
import { DAY_MS } from '../../store/chunks/window.js';
import { framesEnd, frameDayMs, FRAME_HEAD } from './rollup-rows.js';

/** One decoded rollup row of a series. */
export interface DayRollup {
  dayMs: number;
  resolutionMs: number;
  rollup: Rollup;
}

/** A series' used rollup rows, their buckets back to back in day order. */
export interface SeriesRollups {
  /** Every day's buckets in order; columns not merged alias `count` (as decodeRollup's do). */
  rollup: Rollup;
  /** Per day, ascending: its start (ms), its rows' resolution, and its buckets lo ≤ i < hi in `rollup`. */
  dayMs: Float64Array;
  resolutionMs: Float64Array;
  lo: Int32Array;
  hi: Int32Array;
}

/**
 * Merges `days` (ascending by day, at most one a day) into one set of columns: the bucket starts, the
 * counts and the `columns` (all when absent); the others alias the counts.
 */
export function mergeDays(days: readonly DayRollup[], columns?: ReadonlySet<RollupColumn>): SeriesRollups {
  const k = days.length;
  let n = 0;
  for (const d of days) n += d.rollup.startsMs.length;
  const startsMs = new Float64Array(n);
  const count = new Float64Array(n);
  const column = (c: RollupColumn) => (!columns || columns.has(c) ? new Float64Array(n) : count);
  const rollup: Rollup = { startsMs, min: column('min'), max: column('max'), sum: column('sum'), count, last: column('last') };
  const out: SeriesRollups = { rollup, dayMs: new Float64Array(k), resolutionMs: new Float64Array(k), lo: new Int32Array(k), hi: new Int32Array(k) };
  let at = 0;
  for (let i = 0; i < k; i++) {
    const d = days[i]!;
    const r = d.rollup;
    startsMs.set(r.startsMs, at);
    count.set(r.count, at);
    if (rollup.min !== count) rollup.min.set(r.min, at);
    if (rollup.max !== count) rollup.max.set(r.max, at);
    if (rollup.sum !== count) rollup.sum.set(r.sum, at);
    if (rollup.last !== count) rollup.last.set(r.last, at);
    out.dayMs[i] = d.dayMs;
    out.resolutionMs[i] = d.resolutionMs;
    out.lo[i] = at;
    at += r.startsMs.length;
    out.hi[i] = at;
  }
  return out;
}

/** A day's hot rows of a series: earliest and latest timestamp (ms). */
export interface HotSpan {
  minMs: number;
  maxMs: number;
}

/**
 * True when a day's rollup may be used: it has buckets and no hot row of its day (a late point the
 * rollup does not know) is at or before the end of its last bucket.
 */
export function usableDay(lastStartMs: number, buckets: number, resolutionMs: number, hot: HotSpan | undefined): boolean {
  return buckets > 0 && !(hot && hot.minMs <= lastStartMs + resolutionMs);
}

/**
 * One series' usable rollup rows, decoded straight into one set of growing columns (the starts, the
 * counts and the chosen columns; the others alias the counts), then handed out as {@link SeriesRollups}.
 */
export class SeriesColumns {
  private readonly columns: ReadonlySet<RollupColumn> | undefined;
  private rollup: Rollup;
  private n = 0;
  private days = 0;
  private dayMs = new Float64Array(0);
  private resolutionMs = new Float64Array(0);
  private lo = new Int32Array(0);
  private hi = new Int32Array(0);
  private ascending = true;
  /** The columns of the copy `finish` sorted by day (pooled too: see release). */
  private sorted: Rollup | undefined;

  constructor(columns?: ReadonlySet<RollupColumn>) {
    this.columns = columns;
    this.rollup = columnsOf(0, columns);
  }

  /**
   * Gives the columns back to the pool: after this, nothing this object handed out may be read.
   * A read calls it once it has its answers (combine.ts copies what it answers).
   */
  release(): void {
    giveColumns(this.rollup);
    if (this.sorted) giveColumns(this.sorted);
    this.rollup = this.sorted = columnsOf(0, this.columns);
    this.n = this.days = 0;
  }

  /** Number of usable days so far. */
  get size(): number {
    return this.days;
  }

  /**
   * Decodes the framed rows `bytes` (rollup-rows.ts) of resolution `resolutionMs` and keeps the usable
   * ones (see {@link usableDay}; `hot` by day start); each other day goes to `onUnusable`. Corrupt
   * frames or rollups throw a RangeError.
   */
  addFramed(bytes: Uint8Array, resolutionMs: number, hot: ReadonlyMap<number, HotSpan> | undefined, onUnusable?: (dayMs: number) => void): void {
    // First the headers alone: how many buckets, so the columns grow at most once (and the days: a
    // day's buckets are at least one, and a row's at most a month's).
    let buckets = 0;
    let frames = 0;
    for (let o = 0; o < bytes.length; ) {
      const end = framesEnd(bytes, o);
      buckets += rollupCount(bytes, o + FRAME_HEAD, end);
      frames++;
      o = end;
    }
    this.reserve(buckets, Math.min(buckets, 31 * frames));
    const r = this.rollup;
    for (let o = 0; o < bytes.length; ) {
      const end = framesEnd(bytes, o);
      const at = this.n;
      const k = decodeRollupInto(bytes, this.columns, this.rollup, at, o + FRAME_HEAD, end);
      // A row holding no bucket stands for its day (frame key), which is then unusable.
      if (k === 0) onUnusable?.(frameDayMs(bytes, o));
      o = end;
      // The row's days (a 1-hour row holds a month's), each kept or dropped; an unusable day's buckets
      // are overwritten by the next usable day's.
      let w = at;
      for (let a = at; a < at + k; ) {
        const dayMs = Math.floor(r.startsMs[a]! / DAY_MS) * DAY_MS;
        let b = a + 1;
        while (b < at + k && r.startsMs[b]! < dayMs + DAY_MS) b++;
        if (!usableDay(r.startsMs[b - 1]!, b - a, resolutionMs, hot?.get(dayMs))) onUnusable?.(dayMs);
        else {
          if (w !== a) moveBuckets(r, a, b, w, this.columns);
          this.addDay(dayMs, resolutionMs, w, w + b - a);
          w += b - a;
        }
        a = b;
      }
      this.n = w;
    }
  }

  private addDay(dayMs: number, resolutionMs: number, lo: number, hi: number): void {
    if (this.days === this.dayMs.length) this.reserve(0, Math.max(8, this.days));
    const d = this.days++;
    if (d > 0 && this.dayMs[d - 1]! >= dayMs) this.ascending = false;
    this.dayMs[d] = dayMs;
    this.resolutionMs[d] = resolutionMs;
    this.lo[d] = lo;
    this.hi[d] = hi;
  }

  /** The usable days, ascending by day (rows may arrive in any order; at most one a day). */
  finish(): SeriesRollups {
    const k = this.days;
    const out: SeriesRollups = {
      rollup: trimmed(this.rollup, this.n),
      dayMs: this.dayMs.subarray(0, k),
      resolutionMs: this.resolutionMs.subarray(0, k),
      lo: this.lo.subarray(0, k),
      hi: this.hi.subarray(0, k),
    };
    if (this.ascending) return out;
    const sorted = sortedByDay(out, this.columns);
    if (this.sorted) giveColumns(this.sorted);
    this.sorted = sorted.rollup;
    return sorted;
  }

  /** Room for `buckets` more buckets and `days` more days. */
  private reserve(buckets: number, days: number): void {
    if (this.n + buckets > this.rollup.startsMs.length) {
      const next = columnsOf(Math.max(this.n + buckets, 2 * this.rollup.startsMs.length), this.columns);
      copyColumns(this.rollup, 0, this.n, next, 0, this.columns);
      giveColumns(this.rollup);
      this.rollup = next;
    }
    if (this.days + days > this.dayMs.length) {
      const size = Math.max(this.days + days, 2 * this.dayMs.length);
      this.dayMs = grown(this.dayMs, new Float64Array(size));
      this.resolutionMs = grown(this.resolutionMs, new Float64Array(size));
      this.lo = grown(this.lo, new Int32Array(size));
      this.hi = grown(this.hi, new Int32Array(size));
    }
  }
}

function grown<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/**
 * Columns of at least `n` buckets from the pool (contents undefined): the starts, the counts and
 * `columns` (all when absent); the others alias the counts.
 */
function columnsOf(n: number, columns: ReadonlySet<RollupColumn> | undefined): Rollup {
  const count = takeColumn(n);
  const column = (c: RollupColumn) => (!columns || columns.has(c) ? takeColumn(n) : count);
  return { startsMs: takeColumn(n), min: column('min'), max: column('max'), sum: column('sum'), count, last: column('last') };
}

// Decoded columns are scratch of one read (combine.ts copies what a read answers), and the 1-year read
// of 100 series takes 21 MB of them: allocated afresh every read, that much off-heap memory drives V8
// into extra scavenges and mark-compacts ("external memory pressure"). So they come from a pool and
// go back when the read is done; the pool keeps at most POOL_DOUBLES (32 MB), the largest first.
const POOL_DOUBLES = 4 << 20;
const spare: Float64Array[] = [];
let spareDoubles = 0;

/** The smallest spare column of at least `n` doubles, or a new one. */
function takeColumn(n: number): Float64Array {
  if (n === 0) return new Float64Array(0);
  let best = -1;
  for (let i = 0; i < spare.length; i++) {
    const l = spare[i]!.length;
    if (l >= n && (best < 0 || l < spare[best]!.length)) best = i;
  }
  if (best < 0) return new Float64Array(n);
  const a = spare[best]!;
  spare[best] = spare[spare.length - 1]!;
  spare.pop();
  spareDoubles -= a.length;
  return a;
}

/** Gives a set of columns back (each distinct array once). */
function giveColumns(r: Rollup): void {
  giveColumn(r.startsMs);
  giveColumn(r.count);
  if (r.min !== r.count) giveColumn(r.min);
  if (r.max !== r.count) giveColumn(r.max);
  if (r.sum !== r.count) giveColumn(r.sum);
  if (r.last !== r.count) giveColumn(r.last);
}

function giveColumn(a: Float64Array): void {
  if (a.length === 0 || spareDoubles + a.length > POOL_DOUBLES) return;
  spare.push(a);
  spareDoubles += a.length;
}

/** Moves buckets lo ≤ i < hi of `r` down to `at` ≤ lo (the starts, counts and `columns`). */
function moveBuckets(r: Rollup, lo: number, hi: number, at: number, columns: ReadonlySet<RollupColumn> | undefined): void {
  r.startsMs.copyWithin(at, lo, hi);
  r.count.copyWithin(at, lo, hi);
  if (!columns || columns.has('min')) r.min.copyWithin(at, lo, hi);
  if (!columns || columns.has('max')) r.max.copyWithin(at, lo, hi);
  if (!columns || columns.has('sum')) r.sum.copyWithin(at, lo, hi);
  if (!columns || columns.has('last')) r.last.copyWithin(at, lo, hi);
}

/** Copies buckets lo ≤ i < hi of `from` to `to` at `at` (the starts, counts and `columns`). */
function copyColumns(from: Rollup, lo: number, hi: number, to: Rollup, at: number, columns: ReadonlySet<RollupColumn> | undefined): void {
  to.startsMs.set(from.startsMs.subarray(lo, hi), at);
  to.count.set(from.count.subarray(lo, hi), at);
  if (!columns || columns.has('min')) to.min.set(from.min.subarray(lo, hi), at);
  if (!columns || columns.has('max')) to.max.set(from.max.subarray(lo, hi), at);
  if (!columns || columns.has('sum')) to.sum.set(from.sum.subarray(lo, hi), at);
  if (!columns || columns.has('last')) to.last.set(from.last.subarray(lo, hi), at);
}

/** The first `n` buckets of `r` (views; aliases stay aliases). */
function trimmed(r: Rollup, n: number): Rollup {
  if (r.startsMs.length === n) return r;
  const count = r.count.subarray(0, n);
  const view = (a: Float64Array) => (a === r.count ? count : a.subarray(0, n));
  return { startsMs: r.startsMs.subarray(0, n), min: view(r.min), max: view(r.max), sum: view(r.sum), count, last: view(r.last) };
}

/** `s` with its days (and their buckets) in ascending day order. */
function sortedByDay(s: SeriesRollups, columns: ReadonlySet<RollupColumn> | undefined): SeriesRollups {
  const k = s.dayMs.length;
  const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => s.dayMs[a]! - s.dayMs[b]!);
  const rollup = columnsOf(s.rollup.startsMs.length, columns);
  const out: SeriesRollups = { rollup, dayMs: new Float64Array(k), resolutionMs: new Float64Array(k), lo: new Int32Array(k), hi: new Int32Array(k) };
  let at = 0;
  for (let i = 0; i < k; i++) {
    const j = order[i]!;
    copyColumns(s.rollup, s.lo[j]!, s.hi[j]!, rollup, at, columns);
    out.dayMs[i] = s.dayMs[j]!;
    out.resolutionMs[i] = s.resolutionMs[j]!;
    out.lo[i] = at;
    at += s.hi[j]! - s.lo[j]!;
    out.hi[i] = at;
  }
  return out;
}
