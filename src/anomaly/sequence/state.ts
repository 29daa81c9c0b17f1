// Saving and restoring a sequence-context detector: the live contexts and halves only (free slots
// follow from them, see ./store.ts), the left set, the range and the clock, little-endian. A restored
// detector continues exactly as the one saved would have: same scores, bit for bit.
import { ByteWriter } from '../../core/byte-writer.js';
import { AnomalyError } from '../errors.js';
import { WARM_UP, type Range } from './quantise.js';
import { SequenceDetector } from './detector.js';
import { FREE, FREE_LEN, MAX_NEURONS } from './store.js';

const VERSION = 1;

/** What the method keeps between runs. */
export interface SequenceState {
  detector: SequenceDetector;
  range: Range;
  /** Values read before a learnt range was ready (fewer than WARM_UP). */
  pending: number[];
  /** The running mean of raw scores the method judges a score against, and how many it holds. */
  usual: number;
  scored: number;
}

class Reader {
  private readonly view: DataView;
  at = 0;
  constructor(b: Uint8Array) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  private check(n: number): void {
    if (this.at + n > this.view.byteLength) throw new AnomalyError('invalid_option', 'the saved sequence-context state is truncated');
  }
  u8(): number {
    this.check(1);
    return this.view.getUint8(this.at++);
  }
  u16(): number {
    this.check(2);
    const v = this.view.getUint16(this.at, true);
    this.at += 2;
    return v;
  }
  i32(): number {
    this.check(4);
    const v = this.view.getInt32(this.at, true);
    this.at += 4;
    return v;
  }
  f64(): number {
    this.check(8);
    const v = this.view.getFloat64(this.at, true);
    this.at += 8;
    return v;
  }
}

export function encodeState({ detector: d, range, pending, usual, scored }: SequenceState): Uint8Array {
  const s = d.store;
  const w = new ByteWriter(true, 1 << 16);
  w.u8(VERSION);
  w.i32(s.capacity);
  w.i32(d.step);
  w.i32(d.leftMask);
  w.u8(d.leftLen);
  for (let i = 0; i < d.leftLen; i++) w.i32(d.leftNeurons[i]!);
  w.u8(d.frozen ? 1 : 0);
  w.f64(range.lo);
  w.f64(range.hi);
  w.f64(range.seen);
  w.u8(range.fixed ? 1 : 0);
  w.i32(pending.length);
  for (const v of pending) w.f64(v);
  w.f64(usual);
  w.f64(scored);
  w.i32(s.halfCount);
  for (let h = 0; h < s.capacity; h++) {
    const len = s.halfLen[h]!;
    if (len === FREE_LEN) continue;
    w.i32(h);
    w.u16(s.halfMask[h]!);
    w.u8(len);
    for (let i = 0; i < len; i++) w.i32(s.halfNeurons[h * MAX_NEURONS + i]!);
    w.i32(s.halfFirst[h]!);
  }
  w.i32(s.ctxCount);
  for (let c = 0; c < s.capacity; c++) {
    if (s.ctxNext[c] === FREE) continue;
    w.i32(c);
    w.i32(s.ctxHalf[c]!);
    w.u16(s.ctxRight[c]!);
    w.i32(s.ctxUses[c]!);
    w.i32(s.ctxLast[c]!);
    w.u8(s.ctxZero[c]!);
    w.i32(s.ctxNext[c]!);
  }
  return w.result();
}

/** Restores a state saved by encodeState; throws AnomalyError when it is not one. */
export function decodeState(bytes: Uint8Array): SequenceState {
  const r = new Reader(bytes);
  const bad = (what: string) => new AnomalyError('invalid_option', `the saved sequence-context state is invalid (${what})`);
  if (r.u8() !== VERSION) throw bad('unknown version');
  const capacity = r.i32();
  if (!(capacity > 0 && capacity <= 1 << 20)) throw bad('capacity');
  const d = new SequenceDetector(capacity);
  const s = d.store;
  d.step = r.i32();
  d.leftMask = r.i32();
  d.leftLen = r.u8();
  if (d.leftLen > d.leftNeurons.length) throw bad('left set');
  for (let i = 0; i < d.leftLen; i++) d.leftNeurons[i] = r.i32();
  d.frozen = r.u8() === 1;
  const range: Range = { lo: r.f64(), hi: r.f64(), seen: r.f64(), fixed: r.u8() === 1 };
  const nPending = r.i32();
  if (!(nPending >= 0 && nPending <= WARM_UP)) throw bad('pending values');
  const pending: number[] = [];
  for (let i = 0; i < nPending; i++) pending.push(r.f64());
  const usual = r.f64();
  const scored = r.f64();
  const slot = (v: number) => {
    if (!(v >= 0 && v < capacity)) throw bad('slot');
    return v;
  };
  const halves = r.i32();
  for (let k = 0; k < halves; k++) {
    const h = slot(r.i32());
    s.halfMask[h] = r.u16();
    const len = r.u8();
    if (len > MAX_NEURONS) throw bad('half');
    s.halfLen[h] = len;
    for (let i = 0; i < len; i++) s.halfNeurons[h * MAX_NEURONS + i] = slot(r.i32());
    s.halfFirst[h] = r.i32();
  }
  const contexts = r.i32();
  for (let k = 0; k < contexts; k++) {
    const c = slot(r.i32());
    s.ctxHalf[c] = slot(r.i32());
    s.ctxRight[c] = r.u16();
    s.ctxUses[c] = r.i32();
    s.ctxLast[c] = r.i32();
    s.ctxZero[c] = r.u8();
    s.ctxNext[c] = r.i32();
  }
  s.reindex();
  return { detector: d, range, pending, usual, scored };
}
