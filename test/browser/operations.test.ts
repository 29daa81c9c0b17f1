// The dashboard's operations pages in a real headless Chromium against the real server on a real port
// (with a running job queue): an item ingest rejected is corrected in the dead-letter page's JSON editor
// and reprocessed; a forecast schedule is created, run now, and its run seen completing; the Alerts page
// shows an alert that fires through the API without a reload (polling with ETags: 304s while quiet); and
// Explore shades the alert's firing on the series' chart. The person is signed in through the stores
// (the sign-up pages are dashboard.test.ts'). Each page is screenshotted and checked by axe.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import type { TestApp } from '../helpers/app.js';
import { adminApi, browserMissing, dashboardWithJobs, type DashboardWithJobs, checkPage, screenshot, journey } from '../helpers/browser.js';
import { signedInUser } from '../helpers/people.js';

const hour = 3_600_000;
let env: DashboardWithJobs | undefined;
let t: TestApp;
let browser: Browser;
let page: Page;
let base: string;
const pageErrors: string[] = [];
/** Status codes of the Alerts page's polls of GET /api/v1/alerts, in order. */
const alertPolls: number[] = [];

before(async () => {
  if (browserMissing) return;
  env = await dashboardWithJobs('Olive Operator', pageErrors);
  ({ t, browser, page, base } = env);
  page.on('response', (r) => {
    if (new URL(r.url()).pathname === '/api/v1/alerts' && r.request().headers()['if-none-match'] !== undefined) alertPolls.push(r.status());
  });
});

after(async () => {
  await env?.close();
});


const api = adminApi(() => t);

/** Page coordinates of the first pixel of the critical region's solid top strip (#e02424 at 85 %), if painted. */
async function regionStrip(): Promise<{ x: number; y: number } | undefined> {
  return page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('.chart-canvas canvas');
    if (!c) return undefined;
    const rows = Math.floor(c.height / 4);
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, rows).data;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i]! - 0xe0) + Math.abs(d[i + 1]! - 0x24) + Math.abs(d[i + 2]! - 0x24) > 24 || Math.abs(d[i + 3]! - 217) > 20) continue;
      const box = c.getBoundingClientRect();
      return { x: box.left + (((i / 4) % c.width) * box.width) / c.width, y: box.top + (Math.floor(i / 4 / c.width) * box.height) / c.height };
    }
    return undefined;
  });
}

const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();

test('operations: dead letters corrected and reprocessed, a schedule run now, alerts live, alert regions on the chart', { skip: browserMissing, timeout: 90_000 }, async (s) => {
  const started = Date.now();
  const step = journey(s);
  const last = Math.floor(Date.now() / hour) * hour;

  await step('ingest: 48 hourly points and one bad item (lands in the dead-letter queue)', async () => {
    const metrics: unknown[] = Array.from({ length: 48 }, (_, i) => ({ key: 'ops.cpu', value: 50 + 10 * Math.sin((2 * Math.PI * i) / 24), timestamp: new Date(last - (47 - i) * hour).toISOString() }));
    metrics.push({ key: 'ops.cpu', value: 'fifty', timestamp: new Date(last - 48 * hour).toISOString() });
    const r = await api('POST', '/api/v1/ingest', { metrics });
    assert.deepEqual([r.accepted, r.rejected], [48, 1]);
  });

  await step('dead letters: inspect the item, correct it in the JSON editor, reprocess', async () => {
    await page.goto(`${base}/explore`);
    await page.getByRole('heading', { name: 'Explore' }).waitFor();
    await nav('Dead letters');
    const row = page.locator('table.dead-letters tbody tr');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    assert.match(await row.first().innerText(), /fifty/);
    await checkPage(page, 'ops-01-dead-letters');
    await row.first().getByRole('button', { name: /^Inspect/ }).click();
    const editor = page.getByLabel(/^Item \(JSON\)/);
    await editor.waitFor();
    assert.equal(JSON.parse(await editor.inputValue()).value, 'fifty', 'the raw item as received');
    assert.ok(await page.getByText(/^Request id/).isVisible());
    await editor.fill('{"key": "ops.cpu", "value": ');
    await page.getByText(/^Not valid JSON/).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Reprocess corrected' }).isDisabled(), true, 'invalid JSON cannot be sent');
    const fixed = { key: 'ops.cpu', value: 50, timestamp: new Date(last - 48 * hour).toISOString() };
    await editor.fill(JSON.stringify(fixed, null, 2));
    await page.getByText('Valid JSON; reprocessing sends this correction.').waitFor();
    await checkPage(page, 'ops-02-dead-letter-inspect');
    await page.getByRole('button', { name: 'Reprocess corrected' }).click();
    assert.equal(await page.getByTestId('reprocess-result').innerText(), 'Stored');
    await page.getByText('No rejected items').waitFor();
    const q = await api('POST', '/api/v1/query', { key: 'ops.cpu', from: last - 49 * hour, to: last - 47 * hour });
    const points = (q.series as { points: { timestamp: string; value: number }[] }[])[0]!.points;
    assert.deepEqual(points.find((p) => p.timestamp === fixed.timestamp)?.value, 50, 'the corrected point is stored');
  });

  await step('forecast schedules: create one, run it now, see the run complete', async () => {
    await nav('Schedules');
    await page.getByText('No forecast schedules yet').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('cpu every hour');
    await page.getByLabel('Metric key').fill('ops.cpu');
    await page.getByLabel('Horizon (steps)').fill('6');
    await page.getByLabel('Backend').selectOption('stub');
    await page.getByLabel('Runs', { exact: true }).selectOption('cron');
    await page.getByLabel('Cron (UTC)').fill('*/30 * * * *');
    await page.getByRole('button', { name: 'Create schedule' }).click();
    const row = page.getByRole('row', { name: /cpu every hour/ });
    await row.waitFor();
    assert.match(await row.innerText(), /\*\/30 \* \* \* \*[\s\S]*active/);
    await row.getByRole('button', { name: /^Run now/ }).click();
    await page.getByRole('heading', { name: 'Runs of “cpu every hour”' }).waitFor();
    const run = page.locator('table.runs tbody tr[data-status="completed"]');
    await run.waitFor();
    assert.match(await run.innerText(), /completed\s+1\s+1\s+1/, 'one attempt, one series, one forecast');
    await checkPage(page, 'ops-03-schedules');
    await row.getByRole('button', { name: /^Pause/ }).click();
    await row.getByText('paused', { exact: true }).first().waitFor();
  });

  let alertId = '';
  await step('alerts: quiet polls answer 304; an alert fired through the API appears without a reload; no polls while hidden', async () => {
    await nav('Alerts');
    await page.getByText('No open alerts. All quiet.').waitFor();
    await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
    // A tab that shows again polls at once (then every 5 s): with the tag, and nothing changed, a 304.
    const quiet = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/alerts' && r.status() === 304, { timeout: 8_000 });
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await quiet;
    const rule = await api('POST', '/api/v1/alert-rules', { name: 'CPU present', key: 'ops.cpu', severity: 'critical', condition: { kind: 'threshold', operator: 'gt', value: 0, forSeconds: 0 } });
    await api('POST', '/api/v1/ingest', { metrics: [{ key: 'ops.cpu', value: 61, timestamp: new Date().toISOString() }] });
    await api('POST', `/api/v1/alert-rules/${rule.id as string}/evaluate`);
    const item = page.locator('li.alert', { hasText: 'CPU present' });
    await item.waitFor({ timeout: 10_000 });
    alertId = (await item.getAttribute('data-alert-id')) ?? '';
    assert.equal(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere), true, 'no reload');
    assert.ok(alertPolls.includes(304) && alertPolls[alertPolls.length - 1] === 200, `polls: ${alertPolls.join(', ')}`);
    await checkPage(page, 'ops-04-alerts-live');
    // A hidden tab does not poll; shown again, it polls at once.
    // (A string: tsx would wrap a named function in a helper the page does not have.)
    await page.evaluate(`Object.defineProperty(document, 'hidden', { configurable: true, value: true }); document.dispatchEvent(new Event('visibilitychange'))`);
    const before = alertPolls.length;
    await sleep(5_500);
    assert.equal(alertPolls.length, before, 'no polls while the tab is hidden');
    const shown = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/alerts' && r.status() === 304, { timeout: 3_000 });
    await page.evaluate(() => {
      delete (document as unknown as { hidden?: boolean }).hidden; // the prototype's getter again
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await shown;
  });

  await step('Explore: the firing is a shaded region on the series, listed under the chart', async () => {
    await page.goto(`${base}/explore?s=ops.cpu&range=7d`);
    await page.locator('figure.chart[data-regions="1"] canvas').waitFor();
    const listed = page.locator(`ul.alert-regions li[data-alert-id="${alertId}"]`);
    assert.match(await listed.innerText(), /critical CPU present on ops\.cpu: .* – now \(firing\)/);
    assert.match(await page.locator('ul.legend').innerText(), /critical alerts firing/);
    // The region began a moment ago (a thin band at "now", before the forecast): hovering it names the rule.
    const at = await regionStrip();
    assert.ok(at, 'the region is painted in the critical colour');
    await page.mouse.move(at.x, at.y + 40);
    const tip = page.getByTestId('region-tooltip');
    await tip.waitFor();
    assert.match(await tip.innerText(), /CPU present · critical · firing/);
    await checkPage(page, 'ops-05-explore-alert-region');
  });

  await step('a phone-width screen: schedules and dead letters without horizontal scrolling (tables scroll in their own box)', async () => {
    await api('POST', '/api/v1/ingest', { metrics: [{ key: 'ops.cpu', value: null, timestamp: new Date().toISOString() }] }); // one more dead letter
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [path, heading] of [['/forecast-schedules', 'Forecast schedules'], ['/dead-letters', 'Dead letters']] as const) {
      await page.goto(`${base}${path}`);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await page.getByRole('region', { name: heading }).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      const wide = await page.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => !e.closest('.table-wrap') && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 6).map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`));
      assert.ok(overflow <= 0, `no horizontal scrolling at 390 px on ${path} (overflow ${overflow} px): ${wide.join(', ')}`);
    }
    await screenshot(page, 'ops-06-dead-letters-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await step('a viewer sees schedules, runs and dead letters without any button that changes them', async () => {
    const viewer = await signedInUser(t, { role: 'viewer' });
    const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      await other.addCookies([{ name: 'iv_session', value: viewer.token, url: base, httpOnly: true, sameSite: 'Lax' }]);
      const p = await other.newPage();
      await p.goto(`${base}/forecast-schedules`);
      await p.getByRole('row', { name: /cpu every hour/ }).getByRole('button', { name: /^Runs/ }).click();
      await p.locator('table.runs tbody tr[data-status="completed"]').waitFor();
      assert.equal(await p.getByRole('button', { name: /Create schedule|Run now|Pause|Resume|Delete/ }).count(), 0);
      await p.getByText('Only admins and owners create and change schedules.').waitFor();
      await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dead letters' }).click();
      await p.getByRole('button', { name: /^Inspect/ }).first().click();
      const editor = p.getByLabel(/^Item \(JSON\)/);
      await editor.waitFor();
      assert.equal(await editor.getAttribute('readonly'), '', 'the item is shown read-only');
      assert.equal(await p.getByRole('button', { name: /Reprocess|Delete/ }).count(), 0);
    } finally {
      await other.close();
    }
  });

  if (!step.failed) assert.deepEqual(pageErrors, [], 'no script errors or CSP refusals in the browser');
  console.log(`operations browser test: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
