import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { defaultMethods, methods } from './registry.js';

test('every method file is registered under its file name, and the default ensemble uses them all', () => {
  const files = readdirSync(new URL('./methods/', import.meta.url))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.replace(/\.ts$/, ''));
  const names = Object.keys(methods);
  assert.deepEqual([...names].sort(), files.sort());
  for (const [name, m] of Object.entries(methods)) {
    assert.equal(m.name, name);
    assert.ok(m.description.length > 20);
    assert.ok(m.minPoints('batch') >= 1 && m.minPoints('online') >= 1);
  }
  assert.deepEqual(defaultMethods.map((d) => d.name).sort(), [...names].sort());
  assert.ok(defaultMethods.every((d) => d.weight > 0));
});
