import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cutPoints, mergePoints, rangeBounds } from './read.js';
import { unpackDoubles, unpackTimes } from './packed.js';
import type { PointArrays } from './types.js';

const pts = (ts: number[], vs: number[] = ts.map((t) => t * 10)): PointArrays => ({ timestampsMs: Float64Array.from(ts), values: Float64Array.from(vs) });
const plain = (p: PointArrays) => ({ t: Array.from(p.timestampsMs), v: Array.from(p.values) });

test('rangeBounds: every end kind becomes whole-ms inclusive bounds; open ends are infinite; NaN matches nothing', () => {
  assert.deepEqual(rangeBounds({}), { lo: -Infinity, hi: Infinity });
  assert.deepEqual(rangeBounds({ afterMs: 10, beforeMs: 20 }), { lo: 11, hi: 19 });
  assert.deepEqual(rangeBounds({ fromMs: 10, toMs: 20 }), { lo: 10, hi: 20 });
  assert.deepEqual(rangeBounds({ afterMs: 10.5, fromMs: 10.5, beforeMs: 19.5, toMs: 19.5 }), { lo: 11, hi: 19 });
  // All ends apply: the tightest wins.
  assert.deepEqual(rangeBounds({ afterMs: 5, fromMs: 8, beforeMs: 30, toMs: 25 }), { lo: 8, hi: 25 });
  assert.deepEqual(rangeBounds({ afterMs: 9, fromMs: 8, beforeMs: 20, toMs: 25 }), { lo: 10, hi: 19 });
  const nan = rangeBounds({ fromMs: Number.NaN });
  assert.ok(!(nan.lo <= nan.hi));
});

test('cutPoints keeps lo ≤ t ≤ hi', () => {
  const p = pts([1, 3, 5, 7, 9]);
  assert.deepEqual(plain(cutPoints(p, 3, 7)).t, [3, 5, 7]);
  assert.deepEqual(plain(cutPoints(p, 4, 6)).t, [5]);
  assert.deepEqual(plain(cutPoints(p, 10, 20)).t, []);
  assert.deepEqual(plain(cutPoints(p, 6, 4)).t, []);
  assert.deepEqual(plain(cutPoints(p, -Infinity, Infinity)).t, [1, 3, 5, 7, 9]);
});

test('mergePoints: chunks in any order and hot rows interleave; a timestamp in both keeps the hot value', () => {
  const chunks = [pts([20, 21, 22]), pts([1, 2, 3])];
  const hot = pts([0, 2, 10, 22, 30], [-1, -2, -10, -22, -30]);
  const m = mergePoints(chunks, hot, -Infinity, Infinity);
  assert.deepEqual(plain(m), { t: [0, 1, 2, 3, 10, 20, 21, 22, 30], v: [-1, 10, -2, 30, -10, 200, 210, -22, -30] });
  // Cut to a range, both sides.
  assert.deepEqual(plain(mergePoints(chunks, hot, 2, 21)).t, [2, 3, 10, 20, 21]);
  // Limits from either end, ascending either way.
  assert.deepEqual(plain(mergePoints(chunks, hot, -Infinity, Infinity, { limit: 3 })).t, [0, 1, 2]);
  assert.deepEqual(plain(mergePoints(chunks, hot, -Infinity, Infinity, { limit: 3, newest: true })).t, [21, 22, 30]);
  assert.deepEqual(plain(mergePoints(chunks, hot, -Infinity, Infinity, { limit: 0, newest: true })).t, []);
  assert.deepEqual(plain(mergePoints(chunks, hot, -Infinity, Infinity, { limit: 100 })).t.length, 9);
});

test('mergePoints: hot rows that arrive newest first are put in ascending order', () => {
  const m = mergePoints([pts([1, 2])], pts([9, 5, 2], [90, 50, 20]), -Infinity, Infinity);
  assert.deepEqual(plain(m), { t: [1, 2, 5, 9], v: [10, 20, 50, 90] });
  assert.deepEqual(plain(mergePoints([], pts([3, 1, 2]), -Infinity, Infinity)).t, [1, 2, 3]);
});

test('unpackTimes and unpackDoubles read timestamptz_send and float8send bytes', () => {
  const b = new Uint8Array(16);
  const view = new DataView(b.buffer);
  // 2026-12-06T00:00:00.123Z in µs since 2000-01-01, and a time before 2000.
  const ms = [Date.UTC(2026, 11, 6, 0, 0, 0, 123), Date.UTC(1990, 0, 1)];
  ms.forEach((m, i) => view.setBigInt64(i * 8, BigInt(m - 946_684_800_000) * 1000n));
  assert.deepEqual(Array.from(unpackTimes(b)), ms);
  [1.5, -0].forEach((v, i) => view.setFloat64(i * 8, v));
  assert.deepEqual(Array.from(unpackDoubles(b)), [1.5, -0]);
  assert.equal(unpackTimes(null).length, 0);
});
