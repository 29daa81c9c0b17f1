// The import graph of src/ keeps the shape DESIGN.md describes: no cycles between folders, folders
// never import the root files (app.ts, server.ts, config.ts … compose; they are not imported), only
// the root imports workers/, and the domains (forecast/, anomaly/, alert/) import no driver or web
// framework: they own the function types they need (ForecastFunc, DetectFunc, Clock …) and are
// handed implementations.
// Imports are read with TypeScript's own pre-processor (static, type-only, re-exports and dynamic
// import() alike), from non-test files only.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const src = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * Folder edges ("from -> to") allowed although they break a rule below. Both lists are empty and
 * should stay so: an entry needs a comment naming the work that removes it, and an entry whose edge
 * no longer occurs fails the test, so the list cannot outlive the edge.
 */
const allowedCycleEdges: string[] = [
  // (none: the forecast ↔ workers, anomaly ↔ workers, ingest ↔ metrics and root cycles are gone)
];
const allowedWorkerImports: string[] = [
  // (none: alert/ is handed DetectFunc and a forecast function by the root, like everyone else)
];

/** Domain folders: no driver, no web framework (DESIGN.md, habit 1). */
const domains = ['forecast', 'anomaly', 'alert'];
const forbiddenPackages = /^(fastify|@fastify\/|pg$|pg-boss|@electric-sql\/|piscina|ioredis|undici)/;

interface Graph {
  /** "from -> to" folder edge → the file imports that make it. */
  edges: Map<string, string[]>;
  /** "folder -> package" for bare imports. */
  packages: Map<string, string[]>;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (/\.(ts|mts|mjs|js)$/.test(e.name) && !/\.test\.ts$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The top folder under src/ a path belongs to; files at src/'s root are "(root)". */
function folderOf(path: string): string {
  const parts = relative(src, path).split(sep);
  return parts.length === 1 ? '(root)' : parts[0]!;
}

function buildGraph(): Graph {
  const edges = new Map<string, string[]>();
  const packages = new Map<string, string[]>();
  const add = (m: Map<string, string[]>, k: string, v: string) => (m.get(k) ?? m.set(k, []).get(k)!).push(v);
  for (const file of sourceFiles(src)) {
    const from = folderOf(file);
    for (const { fileName: spec } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      const shown = `${relative(src, file)} imports ${spec}`;
      if (!spec.startsWith('.')) {
        if (!spec.startsWith('node:')) add(packages, `${from} -> ${spec}`, shown);
        continue;
      }
      const to = folderOf(resolve(dirname(file), spec));
      if (to !== from) add(edges, `${from} -> ${to}`, shown);
    }
  }
  return { edges, packages };
}

/** Every folder edge that lies on a cycle (its target reaches its source), minus the allowed ones. */
function cycleEdges(edges: Map<string, string[]>, allowed: Set<string>): string[] {
  const next = new Map<string, string[]>();
  for (const k of edges.keys()) {
    if (allowed.has(k)) continue;
    const [a, b] = k.split(' -> ') as [string, string];
    (next.get(a) ?? next.set(a, []).get(a)!).push(b);
  }
  const reaches = (start: string, goal: string): boolean => {
    const seen = new Set<string>();
    const stack = [start];
    while (stack.length) {
      const x = stack.pop()!;
      if (x === goal) return true;
      for (const y of next.get(x) ?? []) if (!seen.has(y)) seen.add(y), stack.push(y);
    }
    return false;
  };
  return [...edges.keys()].filter((k) => {
    if (allowed.has(k)) return false;
    const [a, b] = k.split(' -> ') as [string, string];
    return reaches(b, a);
  });
}

const graph = buildGraph();
const explain = (keys: string[], m: Map<string, string[]>) => keys.map((k) => `${k}\n    ${m.get(k)!.join('\n    ')}`).join('\n');

test('the graph is read (a broken parser would pass every rule below)', () => {
  assert.ok(graph.edges.has('ingest -> metrics'), 'ingest writes through the series store in metrics/');
  assert.ok(graph.edges.has('(root) -> api'), 'app.ts registers the routes');
});

test('no import cycles between the folders of src/ (and none through its root files)', () => {
  const found = cycleEdges(graph.edges, new Set(allowedCycleEdges));
  assert.deepEqual(found, [], `folder edges on a cycle:\n${explain(found, graph.edges)}`);
});

test('folders never import the root files: the root composes, folders are composed', () => {
  const found = [...graph.edges.keys()].filter((k) => k.endsWith(' -> (root)'));
  assert.deepEqual(found, [], `folders importing src/*.ts:\n${explain(found, graph.edges)}`);
});

test('only the composition root imports workers/: everyone else is handed a ForecastFunc or DetectFunc', () => {
  const allowed = new Set(allowedWorkerImports);
  const folders = [...graph.edges.keys()].filter((k) => k.endsWith(' -> workers') && !k.startsWith('(root) ') && !allowed.has(k));
  assert.deepEqual(folders, [], `folders importing workers/:\n${explain(folders, graph.edges)}`);
});

test('domains import no driver or web framework', () => {
  const pkgs = [...graph.packages.keys()].filter((k) => {
    const [a, p] = k.split(' -> ') as [string, string];
    return domains.includes(a) && forbiddenPackages.test(p);
  });
  assert.deepEqual(pkgs, [], `domains importing a driver or framework:\n${explain(pkgs, graph.packages)}`);
});

test('every allowance is still needed (delete the line once its edge is gone)', () => {
  const stale = [...allowedCycleEdges, ...allowedWorkerImports].filter((k) => !graph.edges.has(k));
  assert.deepEqual(stale, [], 'allowed edges that no longer occur: remove them from test/architecture.test.ts');
});
