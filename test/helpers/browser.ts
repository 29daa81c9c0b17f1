// A real headless Chromium for browser tests: Debian's `chromium` driven by playwright-core (never a
// downloaded browser), screenshots kept in test-results/screenshots/, and axe-core checks.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { csrfTokenFor } from '../../src/api/session-cookie.js';
import { createLogger } from '../../src/core/logger.js';
import { JobQueue } from '../../src/jobs/queue.js';
import { jobDefinitions } from '../../src/jobs/registry.js';
import { loadMigrations, migrate } from '../../src/store/migrate.js';
import { bearer, startTestApp, testDeps, type TestApp } from './app.js';
import { signedInUser } from './people.js';
import { storeKinds, type TestStore } from './stores.js';

export const chromiumPath = '/usr/bin/chromium';

/** Why browser tests skip here, or false when they can run. */
export const browserMissing: string | false = existsSync(chromiumPath) ? false : `no browser at ${chromiumPath}: install Debian's chromium package (apt-get install chromium; .ci/run does) to run the browser tests`;

const root = fileURLToPath(new URL('../../', import.meta.url));
export const screenshotDir = join(root, 'test-results', 'screenshots');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** Builds the dashboard (web/ → dist/web) when web/ changed since its last build. */
export async function buildDashboardIfStale(): Promise<void> {
  const script = join(root, 'scripts', 'build.mjs'); // plain JS, imported by path (no type declarations)
  const { isWebStale, buildWeb } = (await import(script)) as { isWebStale(): boolean; buildWeb(): boolean };
  if (isWebStale() && !buildWeb()) throw new Error('the dashboard (web/) did not build');
}

/** A full-page screenshot as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

/**
 * A page signed in as the session `token` on `base` (the session and CSRF cookies a sign-in sets),
 * with a 15 s default timeout; script errors and console errors other than 4xx replies go to `errors`.
 */
export async function signedInPage(browser: Browser, base: string, token: string, errors: string[], viewport = { width: 1280, height: 800 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  await context.addCookies([
    { name: 'iv_session', value: token, url: base, httpOnly: true, sameSite: 'Lax' },
    { name: 'iv_csrf', value: csrfTokenFor(token), url: base, sameSite: 'Lax' },
  ]);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return page;
}

/** A screenshot of the page as `name`, then axe: no serious or critical violations. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  assert.deepEqual(await seriousViolations(page), [], `axe: serious or critical violations on ${name}`);
}

/** Calls the API with the test app's admin key (set-up a test needs besides the browser); fails on a non-2xx. */
export function adminApi(t: () => TestApp) {
  return async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const r = await t().app.inject({ method: method as 'GET', url: path, headers: bearer(t().adminKey), ...(body === undefined ? {} : { payload: body as object }) });
    assert.ok(r.statusCode < 300, `${method} ${path}: ${r.statusCode} ${r.body}`);
    return r.body ? (r.json() as Record<string, unknown>) : {};
  };
}

/** A dashboard on a real port over the embedded store with a running job queue, and an owner's signed-in page. */
export interface DashboardWithJobs {
  store: TestStore;
  queue: JobQueue;
  t: TestApp;
  browser: Browser;
  page: Page;
  base: string;
  close(): Promise<void>;
}

/** Starts a {@link DashboardWithJobs} for an owner named `ownerName`; page errors go to `errors`. */
export async function dashboardWithJobs(ownerName: string, errors: string[]): Promise<DashboardWithJobs> {
  await buildDashboardIfStale();
  const store = await storeKinds[0]!.open();
  await migrate(store.sql, loadMigrations());
  const queue = await JobQueue.start({ sql: store.sql, logger: createLogger({ level: 'silent' }), definitions: jobDefinitions(testDeps({ sql: store.sql })), pollingIntervalSeconds: 0.5, schedule: false });
  const t = await startTestApp({ store, jobs: queue });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const person = await signedInUser(t, { role: 'owner', name: ownerName });
  const browser = await launchBrowser();
  const page = await signedInPage(browser, base, person.token, errors);
  const close = async () => {
    await browser.close();
    await t.close();
    await queue.stop();
    await store.drop();
  };
  return { store, queue, t, browser, page, base, close };
}

/** A step of a browser journey; `failed` tells whether one has failed so far. */
export interface Journey {
  (name: string, fn: () => Promise<void>): Promise<void>;
  readonly failed: boolean;
}

/**
 * Steps of one browser journey as subtests of `s`: once a step fails, the later ones are skipped
 * (they build on it), and with `shot` the page is saved as `<shot>.png` for the failure.
 */
export function journey(s: TestContext, page?: () => Page, shot?: string): Journey {
  let failed = false;
  const step = (name: string, fn: () => Promise<void>) =>
    s.test(name, { skip: failed ? 'an earlier step failed' : false }, async () => {
      try {
        await fn();
      } catch (err) {
        failed = true;
        if (page && shot) await screenshot(page(), shot).catch(() => undefined);
        throw err;
      }
    });
  return Object.defineProperty(step, 'failed', { get: () => failed }) as Journey;
}
