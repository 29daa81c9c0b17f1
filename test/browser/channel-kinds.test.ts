// The Alertmanager channel type and the webhook's Alertmanager body format on the Channels page, in a
// real headless Chromium against the real server and a real local receiver: an alertmanager channel is
// created in the form (a URL ending in /api/v2/alerts refused at its field first), listed with its URL
// and never its password, tested (the receiver gets an empty array with the basic authentication
// header), edited with the password left empty (kept) and switched to a bearer token; a webhook is
// created with the Alertmanager format; the Grouping fieldset is there for Slack and not for
// Alertmanager. Each form is checked by axe.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { adminApi, browserMissing, buildDashboardIfStale, checkPage, launchBrowser, signedInPage, journey } from '../helpers/browser.js';
import { signedInUser } from '../helpers/people.js';
import { loopbackOutbound, startHttpReceiver, type HttpReceiver } from '../helpers/receivers.js';

let t: TestApp | undefined;
let receiver: HttpReceiver | undefined;
let browser: Browser | undefined;
let page: Page;
let base: string;
const pageErrors: string[] = [];
const password = 'am pass:word-5ecret';

before(async () => {
  if (browserMissing) return;
  await buildDashboardIfStale();
  // Answers as an Alertmanager does at its alerts endpoint, and as a webhook receiver at /hook.
  receiver = await startHttpReceiver((req) => {
    if (req.method === 'POST' && req.path === '/api/v2/alerts') return { status: 200, body: '' };
    if (req.method === 'POST' && req.path === '/hook') return { status: 204 };
    return { status: 404, body: 'not found' };
  });
  // The receiver listens on loopback: the outbound guard lets channels reach it.
  t = await startTestApp({ alerting: { outbound: loopbackOutbound } });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const owner = await signedInUser(t, { role: 'owner', name: 'Alma Manager' });
  browser = await launchBrowser();
  page = await signedInPage(browser, base, owner.token, pageErrors);
});

after(async () => {
  await browser?.close();
  await t?.close();
  await receiver?.close();
});

const api = adminApi(() => t!);
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`;

test('channel kinds: an Alertmanager channel and a webhook in Alertmanager format through the form', { skip: browserMissing, timeout: 120_000 }, async (s) => {
  const step = journey(s, () => page, 'channel-kinds-failed');
  const rx = receiver!;
  const item = (name: string) => page.locator('li[data-channel-id]', { hasText: name });
  const stored = async (name: string) => {
    const list = (await api('GET', '/api/v1/channels')).items as { name: string; type: string; config: Record<string, unknown>; grouping: unknown }[];
    const c = list.find((x) => x.name === name);
    assert.ok(c, `the API lists ${name}`);
    return c;
  };
  const grouping = () => page.getByRole('group', { name: 'Grouping' });
  const sendTest = async (name: string) => {
    rx.reset();
    await item(name).getByRole('button', { name: /^Send test/ }).click();
    return item(name).getByTestId('test-outcome').innerText();
  };

  await step('create: no Grouping for Alertmanager; a URL with /api/v2/alerts is refused at its field; then created with basic authentication', async () => {
    await page.goto(`${base}/channels`);
    await page.getByRole('heading', { name: 'Channels', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'New channel' }).click();
    await grouping().waitFor();
    await page.getByLabel('Channel name').fill('am-forward');
    await page.getByLabel('Type').selectOption('alertmanager');
    assert.equal(await grouping().count(), 0, 'an Alertmanager groups alerts itself: no Grouping fieldset');
    assert.equal(await page.getByLabel('Group notifications').count(), 0);
    assert.equal(await page.getByLabel('Authentication').inputValue(), 'none');
    assert.equal(await page.getByLabel('User name').count(), 0, 'no basic authentication fields until chosen');
    await page.getByLabel('Alertmanager URL').fill(`${rx.url}/api/v2/alerts`);
    await page.getByLabel('Authentication').selectOption('basic');
    await page.getByLabel('User name').fill('ops');
    await page.getByLabel('Password').fill(password);
    assert.equal(await page.getByLabel('Bearer token').count(), 0);
    await page.getByRole('button', { name: 'Create channel' }).click();
    await page.getByText(/must be the base URL/).first().waitFor();
    assert.equal(await page.getByLabel('Alertmanager URL').getAttribute('aria-invalid'), 'true', 'the refusal is shown at the URL');
    await checkPage(page, 'channel-kinds-01-refused');
    await page.getByLabel('Alertmanager URL').fill(rx.url);
    await page.getByRole('button', { name: 'Create channel' }).click();
    await item('am-forward').waitFor();
    const text = await item('am-forward').innerText();
    assert.match(text, /Alertmanager/);
    assert.ok(text.includes(rx.url), `listed with its URL: ${text}`);
    assert.equal(await item('am-forward').getByTestId('channel-sending').innerText(), 'basic authentication as ops');
    assert.ok(!(await page.content()).includes(password), 'the password is nowhere on the page');
    const c = await stored('am-forward');
    assert.equal(c.type, 'alertmanager');
    assert.deepEqual(c.config, { url: `${rx.url}/`, basicAuth: { username: 'ops', password: '********' } });
    assert.equal(c.grouping, null);
    await checkPage(page, 'channel-kinds-02-listed');
  });

  await step('test: the Alertmanager receives an empty array of alerts with the basic authentication header', async () => {
    assert.match(await sendTest('am-forward'), /^Test delivered: http_2xx \(200\)/);
    assert.equal(rx.received.length, 1);
    const [r] = rx.received;
    assert.equal(r!.method, 'POST');
    assert.equal(r!.path, '/api/v2/alerts');
    assert.deepEqual(r!.json, []);
    assert.equal(r!.headers.authorization, basic('ops', password));
  });

  await step('edit: the password left empty is kept while the user name changes', async () => {
    await item('am-forward').getByRole('button', { name: /^Edit/ }).click();
    assert.equal(await grouping().count(), 0);
    assert.equal(await page.getByLabel('Authentication').inputValue(), 'basic');
    assert.equal(await page.getByLabel('User name').inputValue(), 'ops');
    assert.equal(await page.getByLabel('Password').inputValue(), '', 'a secret is never shown back');
    assert.equal(await page.getByLabel('Password').getAttribute('required'), null, 'the stored password is kept when left empty');
    await page.getByLabel('User name').fill('ops2');
    await checkPage(page, 'channel-kinds-03-edit');
    await page.getByRole('button', { name: 'Save channel' }).click();
    await item('am-forward').getByTestId('channel-sending').getByText('basic authentication as ops2').waitFor();
    assert.deepEqual((await stored('am-forward')).config, { url: `${rx.url}/`, basicAuth: { username: 'ops2', password: '********' } });
    assert.match(await sendTest('am-forward'), /^Test delivered/);
    assert.equal(rx.received[0]?.headers.authorization, basic('ops2', password), 'the stored password went with the new user name');
  });

  await step('edit: switched to a bearer token, the basic authentication is removed', async () => {
    await item('am-forward').getByRole('button', { name: /^Edit/ }).click();
    await page.getByLabel('Authentication').selectOption('bearer');
    assert.equal(await page.getByLabel('User name').count(), 0);
    assert.equal(await page.getByLabel('Bearer token').getAttribute('required'), '', 'no token is stored yet: one is required');
    await page.getByLabel('Bearer token').fill('am-token-123');
    await page.getByRole('button', { name: 'Save channel' }).click();
    await item('am-forward').getByTestId('channel-sending').getByText('bearer token').waitFor();
    assert.deepEqual((await stored('am-forward')).config, { url: `${rx.url}/`, bearerToken: '********' });
    assert.match(await sendTest('am-forward'), /^Test delivered/);
    assert.equal(rx.received[0]?.headers.authorization, 'Bearer am-token-123');
  });

  await step('webhook: created with the Alertmanager body format, which the API stores and a test uses', async () => {
    await page.getByRole('button', { name: 'New channel' }).click();
    await page.getByLabel('Channel name').fill('am-format-hook');
    assert.equal(await page.getByLabel('Type').inputValue(), 'webhook');
    assert.equal(await page.getByLabel('Body format').inputValue(), 'intentvision', 'the platform’s own body by default');
    await page.getByLabel('URL', { exact: true }).fill(`${rx.url}/hook`);
    await page.getByLabel('Body format').selectOption('alertmanager');
    await checkPage(page, 'channel-kinds-04-webhook');
    await page.getByRole('button', { name: 'Create channel' }).click();
    await page.getByTestId('generated-secret').waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    await item('am-format-hook').waitFor();
    assert.equal(await item('am-format-hook').getByTestId('channel-sending').innerText(), 'Alertmanager webhook format');
    const c = await stored('am-format-hook');
    assert.equal(c.config.format, 'alertmanager');
    assert.match(await sendTest('am-format-hook'), /^Test delivered: http_2xx \(204\)/);
    assert.equal((rx.received[0]?.json as { version?: unknown } | undefined)?.version, '4', "Alertmanager's webhook message, version 4");
  });

  await step('webhook: the format changed back on edit', async () => {
    await item('am-format-hook').getByRole('button', { name: /^Edit/ }).click();
    assert.equal(await page.getByLabel('Body format').inputValue(), 'alertmanager');
    await page.getByLabel('Body format').selectOption('intentvision');
    await page.getByRole('button', { name: 'Save channel' }).click();
    await item('am-format-hook').getByTestId('channel-sending').waitFor({ state: 'detached' });
    assert.equal((await stored('am-format-hook')).config.format, 'intentvision');
  });

  await step('the Grouping fieldset is there for Slack and goes away for Alertmanager', async () => {
    await page.getByRole('button', { name: 'New channel' }).click();
    await page.getByLabel('Type').selectOption('slack');
    await grouping().waitFor();
    assert.equal(await grouping().getByLabel('Group notifications').count(), 1);
    await page.getByLabel('Group notifications').check();
    await page.getByLabel('Type').selectOption('alertmanager');
    assert.equal(await grouping().count(), 0);
    assert.equal(await page.getByLabel('Group by').count(), 0);
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual(pageErrors, []);
  });
});
