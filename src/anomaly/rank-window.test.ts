import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quantileSorted, seededRandom } from '../forecast/stats.js';
import { RankWindow } from './rank-window.js';
import { SortedWindow } from './sorted-window.js';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} ≠ ${b}`);

test('RankWindow matches sorting the window, with ties, as it slides', () => {
  const rnd = seededRandom(7);
  // Rounded values make many ties (the case where ranks must still be distinct).
  const x = Float64Array.from({ length: 400 }, () => Math.round(rnd() * 20) / 2);
  const w = new RankWindow(x);
  const size = 37;
  for (let t = 0; t < x.length; t++) {
    w.add(t);
    if (t >= size) w.remove(t - size);
    const win = Float64Array.from(x.subarray(Math.max(0, t - size + 1), t + 1)).sort();
    assert.equal(w.size, win.length);
    for (const p of [0, 0.1, 0.25, 0.5, 0.75, 0.98, 1]) close(w.quantile(p), quantileSorted(win, p));
    for (const c of [w.quantile(0.5), 3.25, x[t]!]) assert.equal(w.countAtLeast(c), win.filter((v) => v >= c).length);
  }
});

test('robustSigma: IQR/1.349, wider quantile ranges when over half the values tie, 0 when constant', () => {
  const w = new RankWindow(Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  for (let i = 0; i < 9; i++) w.add(i);
  close(w.robustSigma(), (7 - 3) / 1.349);
  const ties = Float64Array.from([5, 5, 5, 5, 5, 5, 9, 1]);
  const t = new RankWindow(ties);
  for (let i = 0; i < ties.length; i++) t.add(i);
  close(t.robustSigma(), (6.2 - 3.8) / 2.5631); // Q(0.9) = 5 + 0.3·4, Q(0.1) = 1 + 0.7·4
  const flat = new RankWindow(new Float64Array(5).fill(3));
  for (let i = 0; i < 5; i++) flat.add(i);
  assert.equal(flat.robustSigma(), 0);
});

test('SortedWindow keeps the median of its last `capacity` values', () => {
  const rnd = seededRandom(3);
  const w = new SortedWindow(8);
  const seen: number[] = [];
  for (let i = 0; i < 200; i++) {
    const v = Math.round(rnd() * 10);
    w.push(v);
    seen.push(v);
    const win = Float64Array.from(seen.slice(-8)).sort();
    close(w.median(), quantileSorted(win, 0.5));
  }
});
