// The Sources page in a real headless Chromium against the real server on a real port: an admin
// creates a webhook source through the form (a default dimension, a mapping rule the server first
// refuses with its reason shown at the JSON editor), reads the curl snippet with this server's URL,
// points sent through the source with an API key move its counters on the page without a reload, an
// edit removes a dimension (the PATCH merge sends null), the switch disables it (a send is then
// refused with 403 source_disabled), a delete refused while a key is bound names the key, and the
// source is deleted. The other pushing kinds show their client's block (prometheus.yml, the OTel
// Collector, Telegraf); a scrape source made in the form shows its targets' health after a scrape of
// a local exporter. A viewer sees the list without edit controls. Screenshots and axe checks as the
// other browser tests do. One store is enough here: what is stored is covered by the API tests on both.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { scrapeDue } from '../../src/sources/scrape-due.js';
import { loadMigrations, migrate } from '../../src/store/migrate.js';
import { startTestApp, testDeps, type TestApp } from '../helpers/app.js';
import { adminApi, browserMissing, buildDashboardIfStale, checkPage, launchBrowser, signedInPage, journey } from '../helpers/browser.js';
import { signedInUser } from '../helpers/people.js';
import { loopbackOutbound } from '../helpers/receivers.js';
import { storeKinds, type TestStore } from '../helpers/stores.js';

let store: TestStore;
let t: TestApp;
let browser: Browser;
let page: Page;
let base: string;
/** A local exporter: /metrics answers the text format, /fail a 500. */
let exporter: Server;
let exporterBase: string;
const pageErrors: string[] = [];

before(async () => {
  if (browserMissing) return;
  await buildDashboardIfStale();
  store = await storeKinds[0]!.open();
  await migrate(store.sql, loadMigrations());
  t = await startTestApp({ store });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  exporter = createServer((req, res) => {
    if (req.url === '/metrics') res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('# TYPE room_temperature gauge\nroom_temperature{room="lab"} 21.5\nroom_humidity 40\n');
    else res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
  });
  await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
  exporterBase = `http://127.0.0.1:${(exporter.address() as AddressInfo).port}`;
  const person = await signedInUser(t, { role: 'admin', name: 'Sam Sourcer' });
  browser = await launchBrowser();
  page = await signedInPage(browser, base, person.token, pageErrors, { width: 1280, height: 900 });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (exporter ? exporter.close(resolve) : resolve(undefined)));
  await t?.close();
  await store?.drop();
});


const api = adminApi(() => t);

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Sends metrics to the webhook through the real port, as a client would. */
async function send(key: string, source: string, metrics: unknown[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${base}/api/v1/ingest?source=${source}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ metrics }) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

test('sources: create a webhook source in the form, send through it, see its counters, disable it, delete it', { skip: browserMissing, timeout: 180_000 }, async (s) => {
  const step = journey(s);
  const row = () => page.locator('table.sources tbody tr', { hasText: 'edge-web' });
  let writeKey = '';
  let writeKeyId = '';

  await step('the page is in the navigation, and empty', async () => {
    await page.goto(`${base}/explore`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sources', exact: true }).click();
    await page.getByRole('heading', { name: 'Sources', exact: true }).waitFor();
    await page.getByText('No sources yet.').waitFor();
  });

  await step('create: the server refuses a bad mapping rule and says why next to the editor; corrected, the source is created', async () => {
    await page.getByRole('button', { name: 'New source' }).click();
    await page.getByLabel('Source name').fill('edge-web');
    await page.getByLabel('Kind').selectOption('webhook');
    await page.getByLabel('Description').fill('Edge proxies posting JSON');
    await page.getByRole('button', { name: 'Add a dimension' }).click();
    await page.getByLabel('Dimension 1 name').fill('env');
    await page.getByLabel('Dimension 1 value').fill('prod');
    const editor = page.getByLabel('Key mapping rules (JSON)');
    await editor.fill('[{"action": "prefix"');
    await page.getByText(/^Not valid JSON/).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Create source' }).isDisabled(), true, 'text that is not JSON is not sent');
    // Valid JSON the server refuses: a rule without its prefix.
    await editor.fill('[{"action": "prefix"}]');
    await page.getByRole('button', { name: 'Create source' }).click();
    const errors = page.getByTestId('mapping-errors');
    await errors.waitFor();
    assert.match(await errors.innerText(), /\S/, 'the server’s reason is shown at the editor');
    assert.equal(await editor.getAttribute('aria-invalid'), 'true');
    await editor.fill('[{"action": "prefix", "prefix": "edge."}]');
    await page.getByRole('button', { name: 'Create source' }).click();
    await row().waitFor();
    assert.match(await row().innerText(), /edge-web[\s\S]*JSON webhook[\s\S]*never/);
    assert.equal(await row().getByRole('switch', { name: 'Enabled: edge-web' }).isChecked(), true);
    const stored = (await api('GET', '/api/v1/sources')).items as { name: string; defaultDimensions: Record<string, string>; mapping: unknown[]; description: string }[];
    const created = stored.find((x) => x.name === 'edge-web');
    assert.deepEqual(created && [created.defaultDimensions, created.mapping, created.description], [{ env: 'prod' }, [{ action: 'prefix', prefix: 'edge.' }], 'Edge proxies posting JSON']);
  });

  await step('how to send: the curl snippet carries this server’s URL and the source’s path', async () => {
    const detail = page.getByTestId('source-detail');
    await detail.waitFor(); // opened on the new source
    assert.match(await page.getByTestId('snippet').innerText(), new RegExp(`curl -X POST '${esc(base)}/api/v1/ingest\\?source=edge-web'`));
    assert.match(await detail.innerText(), /POST \/api\/v1\/ingest\?source=edge-web/);
  });

  await step('points sent through the source: its default dimension and mapping apply; the counters move on the page', async () => {
    const k = await api('POST', '/api/v1/keys', { name: 'edge writer', scopes: ['write'] });
    writeKey = k.key as string;
    writeKeyId = k.id as string;
    const now = new Date().toISOString();
    const r = await send(writeKey, 'edge-web', [
      { key: 'requests', value: 42, timestamp: now },
      { key: 'requests', value: 'many', timestamp: now },
    ]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual([r.body.accepted, r.body.rejected], [1, 1]);
    // No reload: the page polls.
    await row().locator('[data-testid="accepted"]', { hasText: /^1$/ }).waitFor();
    assert.equal(await row().getByTestId('rejected').innerText(), '1');
    assert.doesNotMatch(await row().innerText(), /never/, 'last received is shown');
    const q = await api('POST', '/api/v1/query', { key: 'edge.requests', from: Date.now() - 3_600_000, to: Date.now() + 60_000 });
    const series = q.series as { dimensions: Record<string, string>; points: { value: number }[] }[];
    assert.deepEqual(
      series.map((x) => [x.dimensions, x.points.map((p) => p.value)]),
      [[{ env: 'prod' }, [42]]],
      'stored under the mapped key with the default dimension',
    );
    await checkPage(page, 'sources');
  });

  await step('edit: a removed dimension is removed (the API merges), a new one added', async () => {
    await row().getByRole('button', { name: /^Edit/ }).click();
    const form = page.getByRole('form', { name: 'Edit the source edge-web' });
    await form.waitFor();
    assert.equal(await form.getByLabel('Dimension 1 name').inputValue(), 'env');
    assert.equal(await form.getByLabel('Kind').isDisabled(), true, 'the kind is fixed');
    await form.getByRole('button', { name: 'Remove dimension 1' }).click();
    await form.getByRole('button', { name: 'Add a dimension' }).click();
    await form.getByLabel('Dimension 1 name').fill('region');
    await form.getByLabel('Dimension 1 value').fill('eu');
    await form.getByRole('button', { name: 'Save source' }).click();
    const refused = form.getByRole('alert');
    await Promise.race([form.waitFor({ state: 'detached' }), refused.waitFor().then(async () => assert.fail(`the save was refused: ${await refused.innerText()}`))]);
    const stored = (await api('GET', '/api/v1/sources')).items as { name: string; defaultDimensions: Record<string, string> }[];
    assert.deepEqual(stored.find((x) => x.name === 'edge-web')?.defaultDimensions, { region: 'eu' });
    // The detail panel shows the saved dimensions once its reload lands (it may lag the form closing).
    await page.getByTestId('source-detail').getByText(/region=eu/).waitFor();
    assert.doesNotMatch(await page.getByTestId('source-detail').innerText(), /env=prod/);
  });

  await step('the switch disables the source: a send is refused with 403 source_disabled', async () => {
    await row().getByRole('switch', { name: 'Enabled: edge-web' }).click();
    await page.locator('table.sources tbody tr[data-enabled="false"]', { hasText: 'edge-web' }).waitFor();
    const r = await send(writeKey, 'edge-web', [{ key: 'requests', value: 1, timestamp: new Date().toISOString() }]);
    assert.equal(r.status, 403);
    assert.equal((r.body.error as { code: string }).code, 'source_disabled');
    const stored = (await api('GET', '/api/v1/sources')).items as { name: string; enabled: boolean }[];
    assert.equal(stored.find((x) => x.name === 'edge-web')?.enabled, false);
  });

  await step('a viewer sees the sources and their counters, and no control that changes them', async () => {
    const viewer = await signedInUser(t, { role: 'viewer' });
    const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      await other.addCookies([{ name: 'iv_session', value: viewer.token, url: base, httpOnly: true, sameSite: 'Lax' }]);
      const p = await other.newPage();
      await p.goto(`${base}/sources`);
      const r = p.locator('table.sources tbody tr', { hasText: 'edge-web' });
      await r.waitFor();
      assert.equal(await r.getByTestId('accepted').innerText(), '1');
      assert.equal(await p.getByRole('button', { name: /New source|Edit|Delete/ }).count(), 0);
      assert.equal(await p.getByRole('switch').count(), 0);
      await p.getByText('Admins and owners of').waitFor();
      await r.getByRole('button', { name: /^How to send/ }).click();
      await p.getByTestId('snippet').waitFor();
    } finally {
      await other.close();
    }
  });

  await step('delete: refused while a key is bound (the key is named), then done once it is unbound', async () => {
    // Binding a key is the keys API's business; here it is set in the store, and the refusal is the server's.
    await t.sql.query('UPDATE api_keys SET source_id = (SELECT id FROM sources WHERE name = $1) WHERE id = $2', ['edge-web', writeKeyId]);
    page.once('dialog', (d) => void d.accept());
    await row().getByRole('button', { name: /^Delete/ }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'bound to this source' });
    await refused.waitFor();
    assert.match(await refused.innerText(), /"edge writer"/, 'the bound key is named');
    await t.sql.query('UPDATE api_keys SET source_id = NULL WHERE id = $1', [writeKeyId]);
    // Cancelling the dialog keeps the source.
    page.once('dialog', (d) => void d.dismiss());
    await row().getByRole('button', { name: /^Delete/ }).click();
    assert.equal(await row().count(), 1);
    page.once('dialog', (d) => void d.accept());
    await row().getByRole('button', { name: /^Delete/ }).click();
    await page.getByText('No sources yet.').waitFor();
    assert.deepEqual((await api('GET', '/api/v1/sources')).items, []);
  });

  await step('how to send, per pushing kind: the client’s configuration block with this server’s URL and path', async () => {
    const nameOf = (kind: string) => `${kind === 'prometheus-remote-write' ? 'rw' : kind}-main`;
    const expected: [string, RegExp][] = [
      ['prometheus-remote-write', new RegExp(`remote_write:\\n  - url: ${esc(base)}/api/v1/write\\n[\\s\\S]*X-Source: rw-main`)],
      ['otlp', new RegExp(`otlphttp/intentvision:\\n    metrics_endpoint: ${esc(base)}/v1/metrics\\n[\\s\\S]*X-Source: otlp-main`)],
      ['influx', new RegExp(`\\[\\[outputs\\.influxdb_v2\\]\\]\\n  urls = \\["${esc(base)}"\\][\\s\\S]*organization = "${t.org.slug}"\\n  bucket = "influx-main"`)],
    ];
    const ids: string[] = [];
    for (const [kind] of expected) ids.push((await api('POST', '/api/v1/sources', { name: nameOf(kind), kind })).id as string);
    await page.reload();
    for (const [kind, snippet] of expected) {
      const r = page.locator('table.sources tbody tr', { hasText: nameOf(kind) });
      await r.getByRole('button', { name: /^How to send/ }).click();
      await page.getByRole('heading', { name: `Sending to “${nameOf(kind)}”` }).waitFor();
      assert.match(await page.getByTestId('snippet').innerText(), snippet, kind);
    }
    await page.getByRole('button', { name: 'Close' }).click();
    for (const id of ids) await api('DELETE', `/api/v1/sources/${id}`);
    await page.reload();
    await page.getByText('No sources yet.').waitFor();
  });

  await step('a scrape source: targets and interval in the form; after a scrape its targets’ health (up, samples, error)', async () => {
    await page.getByRole('button', { name: 'New source' }).click();
    await page.getByLabel('Source name').fill('lab-exporter');
    await page.getByLabel('Kind').selectOption('prometheus-scrape');
    await page.getByRole('button', { name: 'Add a target' }).click();
    await page.getByLabel('Target 1 URL').fill(`${exporterBase}/metrics`);
    await page.getByLabel('Target 1 labels').fill('rack r1');
    await page.getByText('“rack r1” is not name=value').waitFor();
    await page.getByLabel('Target 1 labels').fill('rack=r1');
    await page.getByRole('button', { name: 'Add a target' }).click();
    await page.getByLabel('Target 2 URL').fill(`${exporterBase}/fail`);
    await page.getByLabel('Interval (seconds)').fill('15');
    await page.getByLabel('Timeout (seconds)').fill('5');
    await page.getByRole('button', { name: 'Create source' }).click();
    await page.getByRole('heading', { name: 'Targets of “lab-exporter”' }).waitFor();
    const stored = ((await api('GET', '/api/v1/sources')).items as { name: string; settings: Record<string, unknown> }[]).find((x) => x.name === 'lab-exporter');
    assert.deepEqual(stored?.settings.targets, [{ url: `${exporterBase}/metrics`, labels: { rack: 'r1' } }, { url: `${exporterBase}/fail` }]);
    assert.deepEqual([stored?.settings.intervalSeconds, stored?.settings.timeoutSeconds], [15, 5]);
    const targets = page.locator('table.targets tbody tr');
    await targets.nth(1).waitFor();
    assert.match(await targets.first().innerText(), /unknown[\s\S]*not yet/, 'not scraped yet');
    // One pass of the scraper (the job queue runs it in production), a minute on so both are due.
    const outcomes = await scrapeDue(testDeps({ sql: t.sql, scrape: { outbound: loopbackOutbound } }).scrape, new Date(Date.now() + 60_000));
    assert.equal(outcomes.length, 2);
    const up = page.locator('table.targets tbody tr', { hasText: '/metrics' });
    const down = page.locator('table.targets tbody tr', { hasText: '/fail' });
    await up.getByText('up', { exact: true }).waitFor(); // the list's poll sees the source's new counters, and the table reloads
    assert.match(await up.innerText(), /up[\s\S]*ms\s+2\s+–/, 'up, a duration, 2 samples, no error');
    assert.match(await down.innerText(), /down[\s\S]*500/, 'down, with the error');
    await checkPage(page, 'sources-scrape-targets');
  });

  if (!step.failed) assert.deepEqual(pageErrors, [], 'no script errors or CSP refusals in the browser');
});
