// alert/ is a domain: it owns the function types it needs and is given their implementations, so it
// imports no worker pool, no driver and no HTTP framework, and takes time as an argument.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('./', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

const forbidden: [RegExp, string][] = [
  [/from '(\.\.\/)+workers\//, 'the worker pool (take a DetectFunc / ForecastGridFunc instead)'],
  [/from 'fastify|from '@fastify\//, 'Fastify (routes live in api/)'],
  [/from 'pg'|from '@electric-sql\/pglite'/, 'a database driver (take an Sql executor)'],
  [/Date\.now\(\)|new Date\(\)/, 'the wall clock (take a Clock or now)'],
];

test('alert/ imports no worker pool, driver or HTTP framework, and reads no clock', () => {
  const problems: string[] = [];
  for (const file of sources(root)) {
    const text = readFileSync(file, 'utf8');
    for (const [pattern, what] of forbidden) if (pattern.test(text)) problems.push(`${file.slice(root.length)}: ${what}`);
  }
  assert.deepEqual(problems, []);
});
