// The dashboard end to end in a real headless Chromium against the real server on a real port: a
// new user signs up, verifies through the link in the email a local SMTP server received, signs in,
// creates an organisation and an API key, ingests a seasonal series with a spike through the API,
// charts it in Explore, forecasts (bands drawn) and detects (the spike marked), creates a webhook
// channel (to a local receiver) and a threshold rule in the forms, evaluates it now, sees the alert
// fire and the receiver get it, acknowledges it with a comment, and silences it from the alert.
// Every page is screenshotted (test-results/screenshots/) and checked by axe.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { deliverDue } from '../../src/alert/delivery.js';
import { smtpMailer } from '../../src/mail/smtp.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { browserMissing, buildDashboardIfStale, launchBrowser, screenshot, seriousViolations, journey } from '../helpers/browser.js';
import { loopbackOutbound, startSmtpReceiver, startWebhookReceiver, type SmtpReceiver, type WebhookReceiver } from '../helpers/receivers.js';

const hour = 3_600_000;
const email = `ada.${Math.random().toString(36).slice(2, 8)}@example.test`;
const password = 'correct horse battery staple 42';
const seriesKey = 'demo.requests';
const seriesLabel = `${seriesKey}{service=web}`;

let t: TestApp;
let smtp: SmtpReceiver;
let hook: WebhookReceiver;
const hookSecret = `whsec_${randomBytes(32).toString('base64')}`;
let mailer: ReturnType<typeof smtpMailer>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;
const pageErrors: string[] = [];

before(async () => {
  if (browserMissing) return;
  await buildDashboardIfStale();
  smtp = await startSmtpReceiver();
  hook = await startWebhookReceiver(hookSecret);
  mailer = smtpMailer(`smtp://${smtp.host}:${smtp.port}`, 'IntentVision <accounts@iv.example.test>');
  // The webhook receiver listens on loopback: the outbound guard lets channels reach it.
  t = await startTestApp({ config: { passwordScryptLogN: 10 }, people: { sendMail: mailer.send }, alerting: { outbound: loopbackOutbound } });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, permissions: ['clipboard-read', 'clipboard-write'] });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
  page.on('console', (m) => {
    // A refused script or style (CSP) or any other console error is a defect; 4xx the app shows are not.
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
});

after(async () => {
  await browser?.close();
  await t?.close();
  mailer?.close();
  await smtp?.close();
  await hook?.close();
});

/** Screenshot and axe check of the page as it is now (axe skipped where a later check covers the same page with more on it). */
async function checkPage(name: string, opts: { axe?: boolean } = {}): Promise<void> {
  await screenshot(page, name);
  if (opts.axe === false) return;
  assert.deepEqual(await seriousViolations(page), [], `axe: serious or critical violations on ${name}`);
}

async function mailTo(to: string, subject: RegExp, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = smtp.received.find((x) => x.envelope.to.includes(to) && subject.test(x.subject));
    if (m) return m;
    if (Date.now() > deadline) assert.fail(`no email to ${to} matching ${subject}`);
    await sleep(25);
  }
}

/** The share of painted pixels in a vertical strip of the chart canvas (x from `x0` to `x1`, fractions of the width). */
function paintedShare(x0: number, x1: number): Promise<number> {
  return page.evaluate(
    ([a, b]) => {
      const c = document.querySelector<HTMLCanvasElement>('.chart-canvas canvas');
      if (!c) return -1;
      const ctx = c.getContext('2d')!;
      const left = Math.floor(c.width * a!);
      const w = Math.max(1, Math.floor(c.width * b!) - left);
      const d = ctx.getImageData(left, 0, w, c.height).data;
      let painted = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) painted++;
      return painted / (d.length / 4);
    },
    [x0, x1],
  );
}

/** Page coordinates of the first pixel painted in the critical or high severity colour, if any. */
async function markPosition(): Promise<{ x: number; y: number } | undefined> {
  const found = await page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('.chart-canvas canvas');
    if (!c) return undefined;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const colours = [[0xe0, 0x24, 0x24], [0xea, 0x6a, 0x12]]; // severityColor.critical, .high
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3]! < 250 || !colours.some(([r, g, b]) => Math.abs(d[i]! - r!) + Math.abs(d[i + 1]! - g!) + Math.abs(d[i + 2]! - b!) < 12)) continue;
      const px = (i / 4) % c.width;
      const py = Math.floor(i / 4 / c.width);
      const box = c.getBoundingClientRect();
      return { x: box.left + (px * box.width) / c.width, y: box.top + (py * box.height) / c.height + 2 };
    }
    return undefined;
  });
  return found;
}

/** Hourly points over the last 10 days: a daily cycle, and one spike 30 hours ago. */
function seasonalSeries(nowMs: number) {
  const last = Math.floor(nowMs / hour) * hour;
  const spikeAt = last - 30 * hour;
  const metrics = [];
  for (let i = 239; i >= 0; i--) {
    const ts = last - i * hour;
    const h = ts / hour;
    const value = 100 + 30 * Math.sin((2 * Math.PI * h) / 24) + 3 * Math.sin(h * 1.7) + (ts === spikeAt ? 160 : 0);
    metrics.push({ key: seriesKey, value: Math.round(value * 100) / 100, timestamp: new Date(ts).toISOString(), dimensions: { service: 'web' } });
  }
  return { metrics, spikeAt };
}

async function apiWithKey(key: string, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

test('the dashboard: sign up → verify → organisation → key → ingest → chart, forecast, anomalies → channel, rule → alert fired, acknowledged, silenced', { skip: browserMissing, timeout: 180_000 }, async (s) => {
  const started = Date.now();
  // Each step needs the ones before it: after a failure the rest are skipped, not failed in turn.
  const step = journey(s);
  let apiKey = '';
  let colleague = '';
  let invitationLink = '';
  let spikeAt = 0;

  await step('/ is the sign-in page, served with a strict CSP', async () => {
    const res = await fetch(`${base}/`, { headers: { accept: 'text/html' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    await page.goto(`${base}/`);
    await page.waitForURL(/\/sign-in$/);
    await page.getByRole('heading', { name: 'Sign in to IntentVision' }).waitFor();
    await checkPage('01-sign-in');
  });

  await step('sign up, then "check your email"', async () => {
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.waitForURL(/\/sign-up$/);
    await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await checkPage('02-sign-up');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await checkPage('03-check-email');
  });

  await step('the link in the email verifies the address; sign in', async () => {
    const mail = await mailTo(email, /Verify your email/);
    const link = /(http:\/\/\S+\/verify-email\?token=[\w-]+)/.exec(mail.text ?? '')?.[1];
    assert.ok(link?.startsWith(base), `a verification link to this server in:\n${mail.text}`);
    await page.goto(link!);
    await page.waitForURL(/\/sign-in\?verified=1$/);
    await page.getByText('Your email address is verified').waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Create your first organisation' }).waitFor();
    await checkPage('04-create-organisation');
  });

  await step('create an organisation', async () => {
    await page.getByLabel('Organisation name').fill('Analytical Engines');
    await page.getByRole('button', { name: 'Create organisation' }).click();
    await page.getByRole('heading', { name: 'Explore' }).waitFor();
    await page.getByLabel('Organisation').waitFor();
    assert.match(await page.getByLabel('Organisation').inputValue(), /^[0-9a-f-]{36}$/);
    await page.getByText('No series match').waitFor();
  });

  await step('create an API key; the secret is shown once', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'Create a key' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('collector');
    await page.getByRole('checkbox', { name: /^admin/ }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    apiKey = (await page.getByTestId('new-key-secret').textContent()) ?? '';
    assert.match(apiKey, /^iv_[\w-]{32}$/);
    await page.getByRole('cell', { name: 'collector', exact: true }).waitFor();
    await checkPage('05-api-keys');
  });

  await step('ingest a seasonal series with a spike through the API with that key', async () => {
    const series = seasonalSeries(Date.now());
    spikeAt = series.spikeAt;
    const r = await apiWithKey(apiKey, 'POST', '/api/v1/ingest', { metrics: series.metrics });
    assert.deepEqual([r.accepted, r.rejected], [240, 0]);
  });

  await step('Explore: find the series, chart it over 7 days', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Explore' }).click();
    await page.getByLabel('Key starts with').fill('demo');
    await page.getByRole('button', { name: new RegExp(seriesLabel.replace(/[.{}]/g, '\\$&')) }).click();
    await page.getByRole('button', { name: 'Last 7d' }).click();
    await page.locator('figure.chart[data-histories="1"] canvas').waitFor();
    assert.match(await page.locator('ul.legend').innerText(), new RegExp(seriesLabel.replace(/[.{}]/g, '\\$&')));
    const url = new URL(page.url());
    assert.deepEqual([url.searchParams.getAll('s'), url.searchParams.get('range')], [[`${seriesKey}{"service":"web"}`], '7d'], 'the URL holds the view');
    assert.ok((await paintedShare(0, 1)) > 0.01, 'the canvas drew');
    await page.getByText('No forecast of this series yet').waitFor();
    await checkPage('06-explore', { axe: false }); // 07: the same page with the forecast and anomalies
  });

  await step('forecast now: the line and its 80 % and 95 % bands are drawn', async () => {
    await page.getByRole('button', { name: 'Forecast now' }).click();
    await page.locator('figure.chart[data-forecasts="1"]').waitFor();
    assert.match(await page.locator('ul.legend').innerText(), /forecast \(80 % and 95 % bands\)/);
    // The last day of the x range is forecast only: its bands fill a good part of that strip.
    assert.ok((await paintedShare(0.95, 0.99)) > 0.05, 'the forecast bands are painted');
  });

  await step('detect now: the spike is marked and listed', async () => {
    await page.getByRole('button', { name: 'Detect now' }).click();
    const row = page.locator(`table.anomalies tr[data-timestamp="${new Date(spikeAt).toISOString()}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /high|critical/);
    assert.ok(Number(await page.locator('figure.chart').getAttribute('data-anomalies')) >= 1);
    // Hovering the mark (drawn in the severity's colour) shows its score and methods.
    const mark = await markPosition();
    assert.ok(mark, 'a critical or high anomaly mark is drawn on the canvas');
    await page.mouse.move(mark.x, mark.y);
    const tip = page.getByTestId('anomaly-tooltip');
    await tip.waitFor();
    assert.match(await tip.innerText(), /anomaly · score 0\.\d\d[\s\S]*methods: /);
    await checkPage('07-explore-forecast-anomalies');
  });

  await step('Anomalies lists the spike and links to its chart', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Anomalies' }).click();
    await page.getByLabel('Severity at least').selectOption('high');
    const row = page.getByRole('row', { name: new RegExp(seriesLabel.replace(/[.{}]/g, '\\$&')) });
    await row.first().waitFor();
    await checkPage('08a-anomalies');
    await row.first().getByRole('link').click();
    await page.locator('figure.chart[data-anomalies="1"] canvas').waitFor();
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('range'), 'custom');
    assert.ok(Date.parse(url.searchParams.get('from')!) < spikeAt && spikeAt < Date.parse(url.searchParams.get('to')!), 'the chart is around the spike');
  });

  await step('dark mode follows the system, with the same contrast checks', async () => {
    await page.goBack(); // Anomalies
    await page.goBack(); // the 7-day Explore view
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.locator('figure.chart[data-forecasts="1"] canvas').waitFor();
    assert.equal(new URL(page.url()).searchParams.get('range'), '7d');
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(17, 20, 24)');
    await checkPage('07b-explore-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  await step('a phone-width screen shows the same view', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.locator('figure.chart[data-forecasts="1"] canvas').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling at 390 px (overflow ${overflow} px)`);
    await checkPage('08-explore-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await step('channels: create a webhook channel to a local receiver; a test reaches it and is listed', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Channels' }).click();
    await page.getByText('No channels yet').waitFor();
    await page.getByRole('button', { name: 'New channel' }).click();
    await page.getByLabel('Channel name').fill('ops-webhook');
    await page.getByLabel('Type').selectOption('webhook');
    await page.getByLabel('URL', { exact: true }).fill(`${hook.url}/alerts`);
    await page.getByLabel('Signing secret').fill(hookSecret);
    await page.getByRole('button', { name: 'Create channel' }).click();
    const item = page.locator('li[data-channel-id]', { hasText: 'ops-webhook' });
    await item.waitFor();
    assert.ok(!(await page.content()).includes(hookSecret), 'the secret is never shown back');
    await item.getByRole('button', { name: /^Send test/ }).click();
    assert.match(await item.getByTestId('test-outcome').innerText(), /Test delivered: http_2xx \(204\)/);
    assert.equal(hook.verified.length, 1, `the receiver verified the test (refused: ${hook.refused.join(', ')})`);
    // Edit: the secret field is empty (write-only); left empty, the stored secret stays and still signs.
    await item.getByRole('button', { name: /^Edit/ }).click();
    assert.equal(await page.getByLabel('Signing secret').inputValue(), '');
    await page.getByLabel('URL', { exact: true }).fill(`${hook.url}/alerts/v2`);
    await page.getByRole('button', { name: 'Save channel' }).click();
    await item.getByText(`${hook.url}/alerts/v2`).waitFor();
    await item.getByRole('button', { name: /^Send test/ }).click();
    await item.getByTestId('test-outcome').getByText(/Test delivered/).waitFor();
    assert.deepEqual([hook.verified.length, hook.received.at(-1)?.path], [2, '/alerts/v2'], `refused: ${hook.refused.join(', ')}`);
    await item.getByRole('button', { name: 'Show deliveries' }).click();
    await item.locator('tr[data-event="test"][data-delivery-status="delivered"]').nth(1).waitFor(); // both tests
    await checkPage('09a-channels');
  });

  await step('rules: create a threshold rule in the form with that channel; the preview draws it; evaluate now fires', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Rules' }).click();
    await page.getByText('No alert rules yet').waitFor();
    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Requests present');
    await page.getByLabel('Metric key').fill(seriesKey);
    await page.getByLabel('Dimension filter').fill('service=web');
    await page.getByLabel('Severity').selectOption('critical');
    await page.getByLabel('Kind').selectOption('forecast');
    await page.getByLabel('Horizon (hours)').waitFor(); // the form shows the chosen kind's fields only
    assert.equal(await page.getByLabel('For (seconds)', { exact: true }).count(), 0);
    await page.getByLabel('Kind').selectOption('threshold');
    await page.getByLabel('Operator').selectOption('gt');
    await page.getByLabel('Value', { exact: true }).fill('0');
    await page.getByLabel('ops-webhook (webhook)').check();
    // The preview: the matching series and the threshold line on the chart.
    await page.locator('figure.chart[data-histories="2"] canvas').waitFor();
    await page.getByTestId('preview-note').getByText(/the latest value is/).waitFor();
    await checkPage('09b-rule-editor', { axe: false }); // 09c: the same editor, saved, with the evaluation
    // A summary template that does not parse: the server's refusal, with its position, shows at the field.
    const summary = page.getByLabel('Summary', { exact: true });
    await summary.fill('{{ $value | humanise }}');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.locator('.field-error', { hasText: 'template error at line 1, column 13: function "humanise" not defined' }).waitFor();
    assert.equal(await summary.getAttribute('aria-invalid'), 'true');
    await summary.fill('{{ $labels.service | toUpper }} requests at {{ $value | humanize }}');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.waitForURL(/\/alert-rules\/edit\?id=[0-9a-f-]{36}$/);
    await page.getByRole('heading', { name: 'Alert rule “Requests present”' }).waitFor();
    // The editor loads the saved rule after the navigation: the template comes back as written.
    const saved = '{{ $labels.service | toUpper }} requests at {{ $value | humanize }}';
    await page.waitForFunction((v) => [...document.querySelectorAll('input, textarea')].some((e) => (e as HTMLInputElement).value === v), saved, { timeout: 10_000 });
    assert.equal(await page.getByLabel('Summary', { exact: true }).inputValue(), saved);
    // A point now, so the latest value is fresh when the rule is evaluated.
    await apiWithKey(apiKey, 'POST', '/api/v1/ingest', { metrics: [{ key: seriesKey, value: 101, timestamp: new Date().toISOString(), dimensions: { service: 'web' } }] });
    hook.reset();
    await page.getByRole('button', { name: 'Evaluate now' }).click();
    const result = page.getByTestId('evaluation');
    await result.getByText(/Evaluated 1 series .*: 1 firing, \d+ alert changes?, 1 notification queued/).waitFor();
    assert.match(await result.locator('tbody tr').innerText(), /firing/);
    await checkPage('09c-rule-evaluated');
    // The delivery job's work, run here: the firing notification reaches the receiver, signed.
    const sent = await deliverDue({ sql: t.sql, now: () => new Date(), outbound: loopbackOutbound });
    assert.equal(sent.delivered, 1);
    assert.equal(hook.verified.length, 1, `refused: ${hook.refused.join(', ')}`);
    const body = hook.verified[0]!.body as { type: string; data: { alert: { ruleName?: string; name?: string; state?: string; summary?: string } } };
    assert.equal(body.type, 'alert.firing');
    assert.match(JSON.stringify(body.data.alert), /Requests present/);
    assert.equal(body.data.alert.summary, 'WEB requests at 101'); // the summary template, rendered when it fired
    await nav.getByRole('link', { name: 'Rules' }).click();
    const row = page.getByRole('row', { name: /Requests present/ });
    await row.waitFor();
    assert.match(await row.innerText(), /Threshold[\s\S]*> 0[\s\S]*critical[\s\S]*yes/);
    await checkPage('09d-rules');
  });

  await step('an alert fires; acknowledge it with a comment; its history names the comment', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    const item = page.locator('li.alert', { hasText: 'Requests present' });
    await item.waitFor();
    await checkPage('09-alerts', { axe: false }); // 10: the same page with the history open
    await item.getByLabel('Comment').fill('Looking into it');
    await item.getByRole('button', { name: 'Acknowledge' }).click();
    await item.locator('.badge.state', { hasText: 'acknowledged' }).waitFor();
    await item.getByRole('button', { name: 'Show history' }).click();
    await item.getByText(/firing → acknowledged by you: “Looking into it”/).waitFor();
    await checkPage('10-alert-history');
  });

  await step('silence from the alert in one click: matchers from its labels; an RE2 error shows at its field', async () => {
    const item = page.locator('li.alert', { hasText: 'Requests present' });
    await item.getByRole('link', { name: /^Silence/ }).click();
    await page.waitForURL(/\/silences\?matchers=/);
    await page.getByRole('heading', { name: 'New silence' }).waitFor();
    const rows = page.getByTestId('matcher-row');
    const n = await rows.count();
    const filled: string[] = [];
    for (let i = 1; i <= n; i++) filled.push(`${await page.getByLabel(`Label ${i}`, { exact: true }).inputValue()}=${await page.getByLabel(`Value ${i}`, { exact: true }).inputValue()}`);
    assert.ok(filled.includes('alertname=Requests present') && filled.includes('service=web') && filled.includes(`__name__=${seriesKey}`), filled.join(', '));
    // A lookbehind is valid JavaScript but not RE2: the API's message shows at that value.
    await page.getByRole('button', { name: 'Add matcher' }).click();
    await page.getByLabel(`Label ${n + 1}`, { exact: true }).fill('service');
    await page.getByLabel(`Operator ${n + 1}`).selectOption('=~');
    await page.getByLabel(`Value ${n + 1}`, { exact: true }).fill('(?<=x)web');
    await page.getByLabel('Comment').fill('Deploying the fix');
    await page.getByRole('button', { name: 'Create silence' }).click();
    const value = page.getByLabel(`Value ${n + 1}`, { exact: true });
    await page.locator('.field-error', { hasText: 'is not a valid RE2 pattern' }).waitFor();
    assert.equal(await value.getAttribute('aria-invalid'), 'true');
    await value.fill('web|api');
    await page.getByRole('button', { name: 'Create silence' }).click();
    await page.getByText('Silence created.').waitFor();
    const active = page.locator('tr[data-silence-status="active"]');
    await active.waitFor();
    assert.match(await active.innerText(), /service=~"web\|api"[\s\S]*Deploying the fix/);
    await checkPage('10b-silences');
    page.once('dialog', (d) => void d.accept());
    await active.getByRole('button', { name: /^End now/ }).click();
    // Ended, it stays listed as expired (as Alertmanager does) and can then be deleted.
    const expired = page.locator('tr[data-silence-status="expired"]');
    await expired.waitFor();
    assert.match(await expired.innerText(), /Deploying the fix/);
    page.once('dialog', (d) => void d.accept());
    await expired.getByRole('button', { name: /^Delete/ }).click();
    await page.getByText('No silences.').waitFor();
  });

  await step('members: invite a colleague (the invitation is emailed and listed); the account page lists this session', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('cell', { name: 'Ada Lovelace (you)' }).waitFor();
    colleague = `grace.${Math.random().toString(36).slice(2, 8)}@example.test`;
    await page.getByLabel('Email').fill(colleague);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByRole('cell', { name: colleague, exact: true }).waitFor();
    invitationLink = /(http:\/\/\S+\/invitations\/accept\?token=[\w%-]+)/.exec((await mailTo(colleague, /./)).text ?? '')?.[1] ?? '';
    assert.ok(invitationLink.startsWith(base), 'the invitation email links to this server');
    await checkPage('11-members');
    await page.getByRole('link', { name: 'Ada Lovelace' }).click();
    await page.getByRole('heading', { name: 'Where you are signed in' }).waitFor();
    await page.getByText('(this one)').waitFor();
    await checkPage('12-account');
  });

  await step('the invited colleague accepts in their own browser and, as a viewer, sees no write buttons', async () => {
    // Their account is made through the API (the sign-up pages were covered above); the invitation page is the browser's.
    const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await post('/api/v1/auth/register', { email: colleague, password, name: 'Grace Hopper' })).status, 202);
    const token = /verify-email\?token=([\w-]+)/.exec((await mailTo(colleague, /Verify your email/)).text ?? '')?.[1];
    assert.equal((await post('/api/v1/auth/verify-email', { token })).status, 200);
    const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      assert.ok((await other.request.post(`${base}/api/v1/auth/login`, { data: { email: colleague, password } })).ok());
      const p = await other.newPage();
      await p.goto(invitationLink);
      await p.getByRole('button', { name: 'Accept the invitation' }).click();
      await p.getByRole('heading', { name: 'Explore' }).waitFor();
      assert.match(await p.getByLabel('Organisation').locator('option:checked').innerText(), /Analytical Engines \(viewer\)/);
      await p.goto(`${base}/explore?s=${encodeURIComponent(`${seriesKey}{"service":"web"}`)}&range=7d`);
      await p.locator('figure.chart[data-forecasts="1"] canvas').waitFor();
      assert.equal(await p.getByRole('button', { name: /Forecast now|Detect now/ }).count(), 0, 'a viewer sees no forecast or detect buttons');
      await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
      await p.locator('li.alert', { hasText: 'Requests present' }).waitFor();
      assert.equal(await p.getByRole('button', { name: /Acknowledge|Resolve/ }).count(), 0, 'nor acknowledge or resolve');
      await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rules' }).click();
      await p.getByRole('row', { name: /Requests present/ }).waitFor();
      assert.equal(await p.getByRole('link', { name: 'New rule' }).count(), 0, 'a viewer sees no new rule link');
      assert.equal(await p.getByRole('button', { name: /Disable|Delete/ }).count(), 0, 'nor rule actions');
      await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Channels' }).click();
      await p.locator('li[data-channel-id]', { hasText: 'ops-webhook' }).waitFor();
      assert.equal(await p.getByRole('button', { name: /New channel|Send test|Edit|Delete/ }).count(), 0, 'nor channel actions');
      await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Silences' }).click();
      await p.getByText('create and delete silences').waitFor();
      assert.equal(await p.getByRole('button', { name: 'Create silence' }).count(), 0, 'nor a silence form');
      await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
      await p.getByText('Only admins and owners').waitFor();
      await screenshot(p, '13-viewer-alerts');
    } finally {
      await other.close();
    }
  });

  await step('sign out', async () => {
    await page.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(/\/sign-in$/);
  });

  if (!step.failed) assert.deepEqual(pageErrors, [], 'no script errors or CSP refusals in the browser');
  console.log(`dashboard browser test: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
