// Grouping on the Channels page in a real headless Chromium against the real server: a Slack channel
// is created with Alertmanager-style grouping (a bad label name refused at its field), shown with its
// settings, changed, and turned off again; the API agrees at each step. Each form is checked by axe.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TestApp } from '../helpers/app.js';
import { adminApi, browserMissing, checkPage, dashboardWithJobs, type DashboardWithJobs, journey } from '../helpers/browser.js';

let env: DashboardWithJobs | undefined;
let t: TestApp;
let browser: Browser;
let page: Page;
let base: string;
const pageErrors: string[] = [];

before(async () => {
  if (browserMissing) return;
  env = await dashboardWithJobs('Gina Grouper', pageErrors);
  ({ t, browser, page, base } = env);
});

after(async () => {
  await env?.close();
});

const api = adminApi(() => t);

test('channel grouping: created with a refusal first, shown, changed and turned off in the form', { skip: browserMissing, timeout: 120_000 }, async (s) => {
  const step = journey(s, () => page, 'channel-grouping-failed');
  const item = () => page.locator('li[data-channel-id]', { hasText: 'grouped-slack' });
  const stored = async () => {
    const list = (await api('GET', '/api/v1/channels')).items as { name: string; grouping: unknown }[];
    return list.find((c) => c.name === 'grouped-slack')?.grouping;
  };

  await step('create: a bad label name is refused at its field; then the channel is created with its grouping', async () => {
    await page.goto(`${base}/channels`);
    await page.getByRole('heading', { name: 'Channels', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'New channel' }).click();
    await page.getByLabel('Channel name').fill('grouped-slack');
    await page.getByLabel('Type').selectOption('slack');
    await page.getByLabel('Incoming webhook URL').fill('https://hooks.slack.com/services/T0/B0/groupingsecret');
    await page.getByLabel('Group notifications').check();
    assert.equal(await page.getByLabel('Group by').inputValue(), 'alertname', "Alertmanager's usual grouping is offered");
    assert.deepEqual(
      await Promise.all(['Group wait (seconds)', 'Group interval (seconds)', 'Repeat interval (seconds)'].map((l) => page.getByLabel(l).inputValue())),
      ['30', '300', '14400'],
    );
    await page.getByLabel('Group by').fill('alertname, bad name');
    await page.getByLabel('Group wait (seconds)').fill('10');
    await page.getByRole('button', { name: 'Create channel' }).click();
    await page.getByText(/must be a label name/).first().waitFor();
    assert.equal(await page.getByLabel('Group by').getAttribute('aria-invalid'), 'true');
    await checkPage(page, 'channel-grouping-01-refused');
    await page.getByLabel('Group by').fill('alertname, env');
    await page.getByRole('button', { name: 'Create channel' }).click();
    await item().waitFor();
    assert.equal(await item().getByTestId('channel-grouping').innerText(), 'grouped by alertname, env · wait 10 s · every 5 min · repeat 4 h');
    assert.deepEqual(await stored(), { groupBy: ['alertname', 'env'], groupWaitSeconds: 10, groupIntervalSeconds: 300, repeatIntervalSeconds: 14400 });
    await checkPage(page, 'channel-grouping-02-listed');
  });

  await step('edit: the form shows the grouping; a new interval is saved', async () => {
    await item().getByRole('button', { name: /^Edit/ }).click();
    assert.equal(await page.getByLabel('Group notifications').isChecked(), true);
    assert.equal(await page.getByLabel('Group by').inputValue(), 'alertname, env');
    await page.getByLabel('Group interval (seconds)').fill('600');
    await page.getByRole('button', { name: 'Save channel' }).click();
    await item().getByTestId('channel-grouping').getByText('grouped by alertname, env · wait 10 s · every 10 min · repeat 4 h').waitFor();
    assert.deepEqual(await stored(), { groupBy: ['alertname', 'env'], groupWaitSeconds: 10, groupIntervalSeconds: 600, repeatIntervalSeconds: 14400 });
  });

  await step('edit: grouping turned off', async () => {
    await item().getByRole('button', { name: /^Edit/ }).click();
    await page.getByLabel('Group notifications').uncheck();
    assert.equal(await page.getByLabel('Group by').count(), 0);
    await page.getByRole('button', { name: 'Save channel' }).click();
    await page.getByRole('button', { name: 'New channel' }).waitFor();
    assert.equal(await item().getByTestId('channel-grouping').count(), 0);
    assert.equal(await stored(), null);
    assert.deepEqual(pageErrors, []);
  });
});
