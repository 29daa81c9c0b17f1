// Known bounds and detection schedules in a real headless Chromium against the real server on a real
// port (with a running job queue): a series' bounds are set in Explore (a bad pair refused), listed in
// the catalogue and used by "Detect now"; a detection schedule is created on the Detection page (a
// half-given bound refused), run now until its series shows points scored, shown to a viewer without
// buttons, paused, resumed and deleted. Each page is screenshotted and checked by axe.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TestApp } from '../helpers/app.js';
import { adminApi, browserMissing, dashboardWithJobs, type DashboardWithJobs, checkPage, signedInPage, journey } from '../helpers/browser.js';
import { signedInUser } from '../helpers/people.js';

const minute = 60_000;
let env: DashboardWithJobs | undefined;
let t: TestApp;
let browser: Browser;
let page: Page;
let base: string;
const pageErrors: string[] = [];

before(async () => {
  if (browserMissing) return;
  env = await dashboardWithJobs('Dana Detector', pageErrors);
  ({ t, browser, page, base } = env);
});

after(async () => {
  await env?.close();
});

const api = adminApi(() => t);
const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
const key = 'cpu.busy_pct';
const label = `${key}{host=web-1}`;

test('known bounds in Explore, and a detection schedule created, run, paused, resumed and deleted', { skip: browserMissing, timeout: 120_000 }, async (s) => {
  const step = journey(s, () => page, 'detection-failed');
  const last = Math.floor(Date.now() / minute) * minute - minute;
  const n = 240;
  const overAt = n - 30;
  const overTime = new Date(last - (n - 1 - overAt) * minute).toISOString();

  await step('ingest: four hours of a busy percentage, one reading above 100', async () => {
    const metrics = Array.from({ length: n }, (_, i) => ({
      key,
      dimensions: { host: 'web-1' },
      value: i === overAt ? 100.2 : 98.5 + Math.sin(i * 12.9898) * Math.cos(i * 4.1414),
      timestamp: new Date(last - (n - 1 - i) * minute).toISOString(),
    }));
    const r = await api('POST', '/api/v1/ingest', { metrics });
    assert.deepEqual([r.accepted, r.rejected], [n, 0]);
  });

  await step('Explore: bounds refused when reversed, saved, listed in the catalogue; Detect now uses them', async () => {
    await page.goto(`${base}/explore?${new URLSearchParams({ s: `${key}{"host":"web-1"}`, range: '24h' })}`);
    const form = page.getByRole('form', { name: `Known bounds of ${label}` });
    await form.waitFor();
    assert.match(await form.locator('legend').innerText(), /none set/);
    await form.getByLabel('Lowest value').fill('100');
    await form.getByLabel('Highest value').fill('0');
    await form.getByRole('button', { name: 'Save bounds' }).click();
    await form.getByRole('alert').getByText(/min must be less than/).waitFor();
    await form.getByLabel('Lowest value').fill('0');
    await form.getByLabel('Highest value').fill('100');
    await form.getByRole('button', { name: 'Save bounds' }).click();
    await form.getByRole('status').getByText(`Bounds of ${label} saved: 0 – 100.`).waitFor();
    const stored = await api('GET', `/api/v1/series/settings?key=${key}&dimensions=${encodeURIComponent('{"host":"web-1"}')}`);
    assert.deepEqual(stored.bounds, { min: 0, max: 100 });
    await form.locator('legend').getByText('0 – 100').waitFor();

    await page.getByLabel('Key starts with').fill('cpu.');
    await page.locator('.series-list').getByText(/bounds 0 – 100/).waitFor();

    await page.getByRole('button', { name: 'Detect now' }).click();
    // Detection runs on this shared machine's busy cores: give it time.
    await page.getByText(/Detection found \d+ anomal(y|ies) \(within the known bounds\)/).waitFor({ timeout: 45_000 });
    const row = page.locator(`table.anomalies tr[data-timestamp="${overTime}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /1\.00/, 'the reading above 100 scores 1');
    await checkPage(page, 'detection-01-explore-bounds');
  });

  let scheduleId = '';
  await step('Detection: a half-given bound is refused; a schedule is created and listed', async () => {
    await nav('Detection');
    await page.getByRole('heading', { name: 'Detection schedules', level: 1 }).waitFor();
    await page.getByText('No detection schedules yet').waitFor();
    await checkPage(page, 'detection-02-empty');
    await page.getByLabel('Name', { exact: true }).fill('busy watch');
    await page.getByLabel('Metric key').fill(key);
    await page.getByLabel('Dimensions').fill('host=web-1');
    await page.getByLabel('Runs', { exact: true }).selectOption('300');
    await page.getByLabel('Sensitivity').fill('0.6');
    await page.getByLabel('Lowest possible value').fill('0');
    await page.getByRole('button', { name: 'Create detection schedule' }).click();
    await page.getByRole('alert').getByText(/bounds\.max/).waitFor();
    await page.getByLabel('Lowest possible value').fill('');
    await page.getByRole('button', { name: 'Create detection schedule' }).click();
    const row = page.locator('tr[data-schedule-id]', { hasText: 'busy watch' });
    await row.waitFor();
    scheduleId = (await row.getAttribute('data-schedule-id'))!;
    assert.equal(await row.getAttribute('data-state'), 'active');
    assert.match(await row.innerText(), /every 5 minutes[\s\S]*0\.6[\s\S]*each series’ own/);
    const created = await api('GET', `/api/v1/detection-schedules/${scheduleId}`);
    assert.deepEqual([created.key, created.dimensions, created.intervalSeconds, created.sensitivity, created.bounds], [key, { host: 'web-1' }, 300, 0.6, null]);
  });

  await step('run now: the series table shows the points scored from the saved state', async () => {
    const row = page.locator(`tr[data-schedule-id="${scheduleId}"]`);
    await row.getByRole('button', { name: 'Run now busy watch' }).click();
    await page.getByText('A run of “busy watch” is queued.').waitFor();
    await page.getByRole('heading', { name: 'Series of “busy watch”' }).waitFor();
    const series = page.locator('tr[data-series-id]', { hasText: label });
    await series.waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => Number(document.querySelector('tr[data-series-id]')?.getAttribute('data-points') ?? 0) > 0, undefined, { timeout: 30_000 });
    const states = (await api('GET', `/api/v1/detection-schedules/${scheduleId}/series`)).items as { pointsProcessed: number; lastError: string | null }[];
    assert.equal(states.length, 1);
    assert.ok(states[0]!.pointsProcessed > 0 && states[0]!.lastError === null, JSON.stringify(states));
    assert.equal(new URL(page.url()).searchParams.get('series'), scheduleId, 'the URL holds the open schedule');
    await checkPage(page, 'detection-03-series-states');
  });

  await step('an anomaly rule alerts on what the schedule stored: chosen in the rule editor, saved with its id', async () => {
    await nav('Rules');
    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByLabel('Name', { exact: true }).fill('busy anomalies');
    await page.getByLabel('Metric key').fill(key);
    await page.getByLabel('Kind').selectOption('anomaly');
    const from = page.getByLabel('Anomalies from');
    await from.locator(`option[value="${scheduleId}"]`).waitFor({ state: 'attached' });
    await from.selectOption(scheduleId);
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.waitForURL(/\/alert-rules\/edit\?id=[0-9a-f-]{36}$/);
    const ruleId = new URL(page.url()).searchParams.get('id')!;
    const rule = (await api('GET', `/api/v1/alert-rules/${ruleId}`)) as { condition: { kind: string; detectionScheduleId?: string } };
    assert.deepEqual([rule.condition.kind, rule.condition.detectionScheduleId], ['anomaly', scheduleId]);
    // Back to detecting itself: the field is left out.
    await page.getByLabel('Anomalies from').selectOption('');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForFunction(async (id) => (await (await fetch(`/api/v1/alert-rules/${id}`)).json()).condition.detectionScheduleId === undefined, ruleId, { timeout: 15_000 });
    await api('DELETE', `/api/v1/alert-rules/${ruleId}`);
    await page.goto(`${base}/detection-schedules?series=${scheduleId}`);
    await page.getByRole('heading', { name: 'Series of “busy watch”' }).waitFor();
  });

  await step('a phone-width screen: the Detection page without horizontal scrolling (tables scroll in their own box)', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    try {
      await page.locator(`tr[data-schedule-id="${scheduleId}"]`).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling at 390 px (overflow ${overflow} px)`);
      await checkPage(page, 'detection-04-phone');
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  await step('a viewer sees the schedule, its series and the bounds without any button that changes them', async () => {
    const viewer = await signedInUser(t, { role: 'viewer' });
    const p = await signedInPage(browser, base, viewer.token, pageErrors);
    try {
      await p.goto(`${base}/detection-schedules`);
      await p.locator(`tr[data-schedule-id="${scheduleId}"]`).getByRole('button', { name: 'Series of busy watch' }).click();
      await p.locator('tr[data-series-id]', { hasText: label }).waitFor();
      assert.equal(await p.getByRole('button', { name: /Create detection schedule|Run now|Pause|Resume|Delete/ }).count(), 0);
      await p.getByText('Only admins and owners create and change detection schedules.').waitFor();
      await p.goto(`${base}/explore?${new URLSearchParams({ s: `${key}{"host":"web-1"}`, range: '24h' })}`);
      await p.locator(`[data-bounds-of="${label}"]`).getByText(`${label}: 0 – 100`).waitFor();
      assert.equal(await p.getByRole('button', { name: /Save bounds|Clear bounds|Detect now/ }).count(), 0);
    } finally {
      await p.context().close();
    }
  });

  await step('pause, resume, delete (asked first)', async () => {
    const row = page.locator(`tr[data-schedule-id="${scheduleId}"]`);
    await row.getByRole('button', { name: 'Pause busy watch' }).click();
    await page.locator(`tr[data-schedule-id="${scheduleId}"][data-state="paused"]`).waitFor();
    assert.equal((await api('GET', `/api/v1/detection-schedules/${scheduleId}`)).paused, true);
    await row.getByRole('button', { name: 'Resume busy watch' }).click();
    await page.locator(`tr[data-schedule-id="${scheduleId}"][data-state="active"]`).waitFor();
    assert.equal((await api('GET', `/api/v1/detection-schedules/${scheduleId}`)).paused, false);
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await row.getByRole('button', { name: 'Delete busy watch' }).click();
    await page.getByText('No detection schedules yet').waitFor();
    assert.match(asked, /Delete the detection schedule “busy watch”/);
    const list = await api('GET', '/api/v1/detection-schedules');
    assert.deepEqual(list.items, []);
  });

  await step('no script errors', async () => {
    assert.deepEqual(pageErrors, []);
  });
});
