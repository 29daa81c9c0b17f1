import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nelderMead } from './optim.js';

test('Nelder–Mead finds the minimum of the Rosenbrock function', () => {
  const f = (x: Float64Array) => 100 * (x[1]! - x[0]! ** 2) ** 2 + (1 - x[0]!) ** 2;
  const r = nelderMead(f, [-1.2, 1], { maxEvaluations: 2000, tolerance: 1e-14 });
  assert.ok(Math.abs(r.x[0]! - 1) < 1e-3 && Math.abs(r.x[1]! - 1) < 2e-3, `got ${Array.from(r.x)}`);
  assert.ok(r.value < 1e-6);
  assert.ok(r.evaluations <= 2000);
});

test('Nelder–Mead treats +Infinity and NaN as rejected points', () => {
  // Minimum of (x − 2)² restricted to x ≤ 1.5 is at the bound.
  const f = (x: Float64Array) => (x[0]! > 1.5 ? Infinity : x[0]! < -10 ? NaN : (x[0]! - 2) ** 2);
  const r = nelderMead(f, [0], { step: [1], maxEvaluations: 500, tolerance: 1e-12 });
  assert.ok(Math.abs(r.x[0]! - 1.5) < 1e-3, `got ${r.x[0]}`);
});
