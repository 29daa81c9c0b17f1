// A range result as the JSON bytes of the Prometheus API's `data`, written straight from the
// evaluated arrays. Building `[seconds, "value"]` objects for JSON.stringify costs two allocations
// and a float-to-text conversion per sample, most of the time of a large range query (100 series ×
// 1,441 steps); here digits go into one growing buffer and only unusual values become strings.
import type { Labels } from '../core/labels.js';
import { formatValue } from './format.js';

/** One series of a range result: a value at step i where present[i] is 1. */
export interface MatrixSeries {
  labels: Labels;
  values: Float64Array;
  present: Uint8Array;
}

const pow10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];
// As in format.ts: below this, the k-decimal text that reads back as v is v's shortest text.
const unique = 2 ** 51;
const C = { quote: 34, comma: 44, dot: 46, minus: 45, zero: 48, open: 91, close: 93 };

class Writer {
  buf: Buffer;
  off = 0;
  private readonly scratch = new Uint8Array(24);

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(Math.max(size, 1024));
  }

  ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  text(s: string): void {
    this.ensure(Buffer.byteLength(s));
    this.off += this.buf.write(s, this.off);
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.off);
    this.off += b.length;
  }

  byte(c: number): void {
    this.ensure(1);
    this.buf[this.off++] = c;
  }

  /** Digits of a non-negative integer below 2^53, at least `width` of them (zero-padded). */
  digits(n: number, width: number): void {
    let i = this.scratch.length;
    do {
      const q = Math.floor(n / 10);
      this.scratch[--i] = C.zero + (n - q * 10);
      n = q;
    } while (n > 0);
    while (this.scratch.length - i < width) this.scratch[--i] = C.zero;
    this.bytes(this.scratch.subarray(i));
  }

  /** A value as formatValue writes it, without making the string when it is an integer or has up to 6 decimals. */
  value(v: number): void {
    if (Object.is(v, -0)) return this.ascii('-0');
    if (Number.isInteger(v) && Math.abs(v) < unique) {
      if (v < 0) this.byte(C.minus);
      this.digits(Math.abs(v), 1);
      return;
    }
    if (Number.isFinite(v)) {
      for (let k = 1; k < pow10.length; k++) {
        const p = pow10[k]!;
        const n = Math.round(v * p);
        if (Math.abs(n) >= unique) break;
        if (n / p !== v) continue;
        const a = Math.abs(n);
        const whole = Math.floor(a / p);
        if (n < 0) this.byte(C.minus);
        this.digits(whole, 1);
        this.byte(C.dot);
        this.digits(a - whole * p, k);
        return;
      }
    }
    this.ascii(formatValue(v));
  }

  /** A string of ASCII characters (formatValue's output), without a native call per string. */
  private ascii(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.off++] = s.charCodeAt(i);
  }

  /** Copies bytes already written (a repeated value) to the end. */
  repeat(start: number, end: number): void {
    this.ensure(end - start);
    this.buf.copyWithin(this.off, start, end);
    this.off += end - start;
  }
}

/** `{"resultType":"matrix","result":[{"metric":{…},"values":[[t,"v"],…]},…]}` for `series` over `stepsMs`. */
export function matrixJson(stepsMs: Float64Array, series: readonly MatrixSeries[]): Buffer {
  let samples = 0;
  for (const s of series) for (let i = 0; i < s.present.length; i++) samples += s.present[i]!;
  const w = new Writer(samples * 28 + series.length * 128 + 64);
  // `[<seconds>,"` for each step, encoded once.
  const openers = Array.from(stepsMs, (t) => Buffer.from(`[${JSON.stringify(t / 1000)},"`, 'latin1'));
  w.text('{"resultType":"matrix","result":[');
  series.forEach((s, si) => {
    w.text(`${si ? ',' : ''}{"metric":${JSON.stringify(s.labels)},"values":[`);
    let first = true;
    // Steady series repeat their value: its text is copied from where it was last written.
    let last = NaN;
    let lastStart = 0;
    let lastEnd = 0;
    for (let i = 0; i < stepsMs.length; i++) {
      if (!s.present[i]) continue;
      if (!first) w.byte(C.comma);
      w.bytes(openers[i]!);
      const v = s.values[i]!;
      if (!first && (v === last || (Number.isNaN(v) && Number.isNaN(last))) && !Object.is(v, -0) === !Object.is(last, -0)) w.repeat(lastStart, lastEnd);
      else {
        lastStart = w.off;
        w.value(v);
        lastEnd = w.off;
        last = v;
      }
      first = false;
      w.byte(C.quote);
      w.byte(C.close);
    }
    w.text(']}');
  });
  w.text(']}');
  return w.buf.subarray(0, w.off);
}
