import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Model } from '../model.js';
import { models } from './index.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const isModel = (v: unknown): v is Model => typeof v === 'object' && v !== null && typeof (v as Model).fit === 'function' && typeof (v as Model).minLength === 'function';

test('every Model exported by a file in models/ is registered under its name', async () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts');
  let seen = 0;
  for (const f of files) {
    const mod = (await import(`./${f}`)) as Record<string, unknown>;
    for (const [exported, value] of Object.entries(mod)) {
      if (!isModel(value)) continue;
      seen++;
      assert.equal(models[value.name], value, `${f}: ${exported} ("${value.name}") is not registered in models/index.ts`);
    }
  }
  assert.equal(seen, Object.keys(models).length, 'the registry holds only models from this folder');
});

test('every registered model fits and predicts a short seasonal series', () => {
  const y = Float64Array.from({ length: 60 }, (_, t) => 10 + Math.sin((2 * Math.PI * t) / 12) + 0.01 * t);
  for (const [name, model] of Object.entries(models)) {
    assert.ok(model.minLength([12]) <= 60, name);
    const p = model.fit(y, { periods: [12] }).predict(12, [80, 95]);
    assert.equal(p.mean.length, 12, name);
    assert.ok(p.mean.every(Number.isFinite), name);
    assert.deepEqual(p.intervals.map((i) => i.level), [80, 95], name);
  }
});
