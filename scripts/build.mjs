#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ with tsconfig.build.json (no tests), which is what
// `npm start` and bin/intentvision.js run. Runs on `npm install`/`npm ci` (prepare) and from
// scripts/start.mjs when dist/ is stale. tsc is incremental (dist/.tsbuildinfo), so a rebuild after
// a small change takes seconds and the up-to-date check milliseconds.
//   node scripts/build.mjs                      build now (fails on type errors)
//   node scripts/build.mjs --if-stale           build only if dist/ is missing or older than src/
//   node scripts/build.mjs --allow-type-errors  emit anyway, unstamped (prepare: an install never
//                                               fails on a tree in progress; npm start rebuilds)
// The dashboard (web/, a Vite project) is built into dist/web the same way: when web/ changed since
// its last build (dist/web/.built), or always by a plain `node scripts/build.mjs`.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');
/** Written after a build without errors; its mtime is when that build started. */
const stamp = join(dist, '.built');
/** Files that tsc reads besides src/: a change to them changes the output too. */
const configs = ['tsconfig.json', 'tsconfig.build.json'].map((f) => join(root, f));
/** Non-TypeScript files under src/ that only the sources need (the compiled pool loads tasks.js). */
const sourceOnly = new Set(['workers/boot.mjs']);
/** Test code never ships: tsconfig.build.json excludes it; this catches production code importing it. */
const testCode = /(\.test\.js|(^|\/)test-[\w-]+\.js)$/;
/** dist/ files that are not outputs of one source file. */
const buildFiles = new Set(['.built', '.tsbuildinfo']);
/** The dashboard's sources and its build (Vite's, not tsc's: pruneOrphans leaves it alone). */
const web = join(root, 'web');
const webDist = join(dist, 'web');
const webStamp = join(webDist, '.built');

/** Newest mtime (ms) of `dir` and everything under it; folders count, so a deleted file counts too. */
function newest(dir) {
  let t = statSync(dir).mtimeMs;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function files(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

/** True when dist/ is missing, its last build failed, or a file in src/ or a tsconfig is newer. */
export function isStale() {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  return newest(src) > built || configs.some((f) => statSync(f).mtimeMs > built);
}

/** Copies non-TypeScript files of src/ (assets read at run time) to the same place in dist/. */
function copyAssets() {
  for (const file of files(src)) {
    const rel = relative(src, file).split('\\').join('/');
    if (rel.endsWith('.ts') || sourceOnly.has(rel)) continue;
    mkdirSync(dirname(join(dist, rel)), { recursive: true });
    copyFileSync(file, join(dist, rel));
  }
}

/** Removes outputs whose source is gone (moved or deleted), and folders left empty. */
function pruneOrphans(dir = dist) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (dir === dist && e.name === 'web') continue; // the dashboard's build (buildWeb)
    if (e.isDirectory()) {
      pruneOrphans(p);
      if (!readdirSync(p).length) rmdirSync(p);
      continue;
    }
    const rel = relative(dist, p);
    if (dir === dist && buildFiles.has(rel)) continue;
    const from = join(src, rel);
    if (!existsSync(from.replace(/\.js$/, '.ts')) && !existsSync(from)) rmSync(p);
  }
}

/**
 * Compiles src/ to dist/. With `allowTypeErrors` a build with type errors still counts (tsc emits
 * anyway), for test runs over a tree in progress; it is not stamped, so the next check rebuilds.
 * Returns false when the build failed.
 */
export function build({ allowTypeErrors = false } = {}) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) {
    // Installed without dev dependencies: run what was built, if anything was.
    console.error(existsSync(join(dist, 'main.js')) ? 'note: typescript is not installed; dist/ is not rebuilt' : 'error: dist/ is missing and typescript is not installed to build it (npm install, with dev dependencies)');
    return existsSync(join(dist, 'main.js'));
  }
  const started = Date.now();
  rmSync(stamp, { force: true });
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (!existsSync(dist)) return false;
  copyAssets();
  pruneOrphans();
  const tests = files(dist).map((f) => relative(dist, f).split('\\').join('/')).filter((f) => testCode.test(f));
  if (tests.length) {
    console.error(`error: test code in the build (production code imports it?): ${tests.join(', ')}`);
    return false;
  }
  if (r.status !== 0) {
    console.error(allowTypeErrors ? 'note: dist/ built with type errors' : 'error: the build has type errors (see above)');
    return allowTypeErrors;
  }
  writeFileSync(stamp, `${new Date(started).toISOString()}\n`);
  utimesSync(stamp, started / 1000, started / 1000); // a file saved during the build makes it stale
  return true;
}

/** True when web/ exists and dist/web is missing or older than a file in web/. */
export function isWebStale() {
  if (!existsSync(web)) return false;
  if (!existsSync(webStamp)) return true;
  return newest(web) > statSync(webStamp).mtimeMs;
}

/**
 * Builds the dashboard into dist/web with Vite (a few seconds). Without Vite (installed without dev
 * dependencies) an earlier build is kept; without one, the server answers / with 503 and says why.
 */
export function buildWeb() {
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) {
    console.error(existsSync(join(webDist, 'index.html')) ? 'note: vite is not installed; dist/web is not rebuilt' : 'note: vite is not installed, so the dashboard is not built (npm install, with dev dependencies)');
    return true;
  }
  const started = Date.now();
  rmSync(webStamp, { force: true });
  const r = spawnSync(process.execPath, [vite, 'build', web, '--logLevel', 'warn'], { stdio: ['ignore', 'inherit', 'inherit'], cwd: root });
  if (r.status !== 0) {
    console.error('error: the dashboard (web/) did not build (see above)');
    return false;
  }
  writeFileSync(webStamp, `${new Date(started).toISOString()}\n`);
  utimesSync(webStamp, started / 1000, started / 1000);
  return true;
}

/** Builds when {@link isStale}; says so on stderr, since it delays a start by a few seconds. */
export function buildIfStale(options) {
  let ok = true;
  if (isStale()) {
    console.error('building dist/ (src/ changed since the last build)…');
    ok = build(options);
  }
  if (isWebStale()) {
    console.error('building dist/web (web/ changed since the last build)…');
    ok = (buildWeb() || Boolean(options?.allowTypeErrors)) && ok;
  }
  return ok;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = { allowTypeErrors: process.argv.includes('--allow-type-errors') };
  const ok = process.argv.includes('--if-stale') ? buildIfStale(options) : build(options) && (buildWeb() || options.allowTypeErrors);
  process.exitCode = ok ? 0 : 1;
}
