// The context store and the step on hand-made level sequences: learning, breaks, memory bound and
// state round trips, bit for bit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../forecast/stats.js';
import { SequenceDetector } from './detector.js';
import { levelMask } from './quantise.js';
import { decodeState, encodeState } from './state.js';

const run = (d: SequenceDetector, levels: number[]) => levels.map((l) => d.next(levelMask(l)));
const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;

test('a repeated pattern is learnt (scores fall), and a break in it scores high', () => {
  const d = new SequenceDetector();
  const pattern = [0, 2, 5, 7, 4, 1];
  const early = run(d, pattern.concat(pattern));
  const learnt = run(d, Array.from({ length: 30 }, () => pattern).flat());
  assert.ok(mean(early) > 0.5, `early ${mean(early)}`);
  assert.ok(mean(learnt.slice(-12)) < 0.05, `learnt ${mean(learnt.slice(-12))}`);
  // The break: 5 where 7 always followed; the levels stay within the pattern's range.
  const broken = run(d, [0, 2, 5, 5]);
  assert.ok(broken[3]! > 0.5, `break scores ${broken[3]}`);
});

test('a repeated burst is new the first times, then normal', () => {
  const d = new SequenceDetector();
  const rnd = seededRandom(3);
  const quiet = () => Array.from({ length: 40 }, () => (rnd() < 0.5 ? 1 : 2));
  const burst = [6, 7, 6, 7];
  run(d, quiet().concat(quiet()));
  const firstTimes: number[] = [];
  const laterTimes: number[] = [];
  for (let k = 0; k < 12; k++) {
    run(d, quiet());
    const s = Math.max(...run(d, burst));
    (k < 2 ? firstTimes : laterTimes).push(s);
  }
  assert.ok(Math.min(...firstTimes) > 0.6, `first bursts ${firstTimes}`);
  assert.ok(Math.max(...laterTimes.slice(-4)) < 0.5, `later bursts ${laterTimes}`);
});

test('memory stays bounded: a random walk of 100k levels never stores more than the capacity', () => {
  const d = new SequenceDetector(512);
  const rnd = seededRandom(9);
  let level = 4;
  let most = 0;
  for (let t = 0; t < 100_000; t++) {
    level = Math.min(7, Math.max(0, level + (rnd() < 0.5 ? -1 : 1) * (rnd() < 0.3 ? 2 : 1)));
    d.next(levelMask(level));
    most = Math.max(most, d.store.size);
  }
  assert.ok(most <= 512, `${most} contexts`);
  assert.ok(d.store.halfCount <= 512);
  const bytes = encodeState({ detector: d, range: { lo: 0, hi: 1, seen: 0, fixed: true }, pending: [], usual: 0, scored: 0 }).byteLength;
  assert.ok(bytes < 512 * 80, `${bytes} bytes of state`);
});

test('a saved state resumes exactly: prefix + resumed run == one run, bit for bit, through evictions', () => {
  const rnd = seededRandom(21);
  const levels = Array.from({ length: 6000 }, (_, t) => (t % 24 < 12 ? 2 : 5) + (rnd() < 0.2 ? Math.floor(rnd() * 3) : 0));
  const whole = run(new SequenceDetector(256), levels);
  for (const cut of [1, 500, 3001, 5999]) {
    const first = new SequenceDetector(256);
    const a = run(first, levels.slice(0, cut));
    const saved = encodeState({ detector: first, range: { lo: 0, hi: 1, seen: 0, fixed: true }, pending: [], usual: 0, scored: 0 });
    const restored = decodeState(saved).detector;
    const b = run(restored, levels.slice(cut));
    assert.deepEqual(a.concat(b), whole, `cut at ${cut}`);
  }
});

test('a frozen detector stores nothing and still scores', () => {
  const d = new SequenceDetector();
  run(d, Array.from({ length: 20 }, () => [1, 3, 5]).flat());
  const size = d.store.size;
  d.frozen = true;
  const s = run(d, [1, 3, 5, 7, 7, 7, 7]);
  assert.equal(d.store.size, size);
  assert.ok(s[3]! > 0.5 && s[6]! > 0.5, `scores ${s}`);
});

test('a corrupt state is refused with a typed error', () => {
  assert.throws(() => decodeState(new Uint8Array([9, 0, 0])), /invalid|truncated/);
  assert.throws(() => decodeState(new Uint8Array([1, 0, 4])), /invalid|truncated/);
});
