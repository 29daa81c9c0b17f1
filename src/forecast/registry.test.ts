import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { createBackendRegistry, defaultBackend } from './registry.js';

test('every backend file is registered, under its file name, and the default is one of them', () => {
  const files = readdirSync(new URL('./backends/', import.meta.url))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.replace(/\.ts$/, ''));
  const registry = createBackendRegistry();
  assert.deepEqual(registry.list().map((b) => b.name).sort(), files.sort());
  assert.equal(registry.defaultName, defaultBackend);
  assert.ok(registry.get(defaultBackend)?.availability().available);
});
