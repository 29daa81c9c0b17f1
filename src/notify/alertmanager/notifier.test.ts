import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startAlertmanagerApiReceiver, type AlertmanagerApiReceiver } from '../../../test/helpers/alertmanager.js';
import { loopbackOutbound, sampleNotification, unusedPort } from '../../../test/helpers/receivers.js';
import { AppError } from '../../core/errors.js';
import { strictOutboundGuard } from '../../net/outbound.js';
import { checkDestinations } from '../validate.js';
import { alertmanagerNotifier, alertsEndpoint } from './notifier.js';

const now = new Date('2024-05-01T12:00:00.000Z');
const send = (config: unknown, n = sampleNotification()) =>
  alertmanagerNotifier.send(alertmanagerNotifier.parseConfig(config), n, { now, timeoutMs: 2000, outbound: loopbackOutbound });

describe('alertmanager configuration', () => {
  const cases: { name: string; raw: unknown; fields: string[] }[] = [
    { name: 'not an object', raw: 'https://am', fields: ['config'] },
    { name: 'no url', raw: {}, fields: ['config.url'] },
    { name: 'plain http to a remote host', raw: { url: 'http://am.example.com:9093' }, fields: ['config.url'] },
    { name: 'credentials in the URL', raw: { url: 'https://u:p@am.example.com' }, fields: ['config.url'] },
    { name: 'a query', raw: { url: 'https://am.example.com/?x=1' }, fields: ['config.url'] },
    { name: 'the alerts endpoint instead of the base URL', raw: { url: 'https://am.example.com/api/v2/alerts' }, fields: ['config.url'] },
    { name: 'basicAuth without a password', raw: { url: 'https://am.example.com', basicAuth: { username: 'iv' } }, fields: ['config.basicAuth.password'] },
    { name: 'a colon in the user name', raw: { url: 'https://am.example.com', basicAuth: { username: 'a:b', password: 'pw' } }, fields: ['config.basicAuth.username'] },
    { name: 'an unknown basicAuth field', raw: { url: 'https://am.example.com', basicAuth: { username: 'iv', password: 'pw', realm: 'x' } }, fields: ['config.basicAuth.realm'] },
    { name: 'an empty token', raw: { url: 'https://am.example.com', bearerToken: '' }, fields: ['config.bearerToken'] },
    { name: 'a token with a line break', raw: { url: 'https://am.example.com', bearerToken: 'abc\r\nx-evil: 1' }, fields: ['config.bearerToken'] },
    { name: 'both kinds of authentication', raw: { url: 'https://am.example.com', bearerToken: 'tok', basicAuth: { username: 'iv', password: 'pw' } }, fields: ['config.bearerToken'] },
    { name: 'an unknown field', raw: { url: 'https://am.example.com', timeout: 5 }, fields: ['config.timeout'] },
  ];
  for (const c of cases) {
    test(`rejects ${c.name}`, () => {
      assert.throws(
        () => alertmanagerNotifier.parseConfig(c.raw),
        (e: unknown) => {
          assert.ok(e instanceof AppError);
          assert.equal(e.code, 'validation_failed');
          assert.deepEqual(
            (e.details as { field: string }[]).map((d) => d.field),
            c.fields,
          );
          return true;
        },
      );
    });
  }

  test('accepts a base URL with a path prefix; the alerts endpoint follows it', () => {
    const config = alertmanagerNotifier.parseConfig({ url: 'https://AM.example.com/alertmanager/', bearerToken: ' tok en ' });
    assert.deepEqual(config, { url: 'https://am.example.com/alertmanager/', bearerToken: ' tok en ' });
    assert.equal(alertsEndpoint(config), 'https://am.example.com/alertmanager/api/v2/alerts');
    assert.equal(alertsEndpoint({ url: 'http://127.0.0.1:9093' }), 'http://127.0.0.1:9093/api/v2/alerts');
  });

  test('redact hides the password and the token, keeps the user name', () => {
    const basic = alertmanagerNotifier.parseConfig({ url: 'https://am.example.com', basicAuth: { username: 'iv', password: 's3cret-pass' } });
    assert.deepEqual(alertmanagerNotifier.redact(basic), { url: 'https://am.example.com/', basicAuth: { username: 'iv', password: '********' } });
    const bearer = alertmanagerNotifier.parseConfig({ url: 'https://am.example.com', bearerToken: 'tok-0123456789' });
    assert.deepEqual(alertmanagerNotifier.redact(bearer), { url: 'https://am.example.com/', bearerToken: '********' });
  });

  test('destinations: the URL host; a literal internal address is refused unless allowed', () => {
    const config = alertmanagerNotifier.parseConfig({ url: 'http://127.0.0.1:9093' });
    assert.deepEqual(alertmanagerNotifier.destinations(config), [{ field: 'config.url', host: '127.0.0.1' }]);
    assert.throws(() => checkDestinations('alertmanager', alertmanagerNotifier.destinations(config), strictOutboundGuard), (e: unknown) => e instanceof AppError && (e.details as { field: string }[])[0]!.field === 'config.url');
    checkDestinations('alertmanager', alertmanagerNotifier.destinations(config), loopbackOutbound);
  });
});

describe('alertmanager notifier against a local Alertmanager API', () => {
  let am: AlertmanagerApiReceiver;
  let guarded: AlertmanagerApiReceiver;
  const basic = `Basic ${Buffer.from('iv:pa ss').toString('base64')}`;
  before(async () => {
    am = await startAlertmanagerApiReceiver({ prefix: '/am' });
    guarded = await startAlertmanagerApiReceiver({ authorization: basic });
  });
  afterEach(() => {
    am.reset();
    am.posts.length = 0;
    guarded.reset();
    guarded.posts.length = 0;
  });
  after(async () => {
    await am.close();
    await guarded.close();
  });

  test('posts the firing alert as JSON to <url>/api/v2/alerts and gets 200', async () => {
    const n = sampleNotification({ alert: { labels: { __name__: 'cpu.usage', alertname: 'High CPU', severity: 'critical', 'dc.zone': 'a' } } });
    const result = await send({ url: `${am.url}/am` }, n);
    assert.deepEqual(result, { ok: true, status: 200, classification: 'http_2xx', retryable: false });
    const req = am.received[0]!;
    assert.deepEqual([req.method, req.path, req.headers.authorization], ['POST', '/am/api/v2/alerts', undefined]);
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(am.posts, [
      [
        {
          labels: { __name__: 'cpu.usage', alertname: 'High CPU', dc_zone: 'a', severity: 'critical' },
          annotations: { description: 'CPU on web-1 is saturated', summary: n.alert.summary },
          startsAt: '2024-05-01T11:55:00.000Z',
          endsAt: '2024-05-01T12:04:00.000Z',
          generatorURL: 'https://iv.example.com/alerts/alr_1',
        },
      ],
    ]);
  });

  test('sends basic credentials and a bearer token in the authorization header', async () => {
    assert.equal((await send({ url: guarded.url, basicAuth: { username: 'iv', password: 'pa ss' } })).status, 200);
    assert.equal(guarded.received[0]!.headers.authorization, basic);
    const bearerAm = await startAlertmanagerApiReceiver({ authorization: 'Bearer tok-0123456789' });
    try {
      assert.equal((await send({ url: bearerAm.url, bearerToken: 'tok-0123456789' })).status, 200);
      assert.equal(bearerAm.posts.length, 1);
    } finally {
      await bearerAm.close();
    }
  });

  test('wrong credentials: 401, not retryable, and the password never shows in the result', async () => {
    const result = await send({ url: guarded.url, basicAuth: { username: 'iv', password: 'wrong-password' } });
    assert.deepEqual(result, { ok: false, status: 401, classification: 'http_4xx', retryable: false, error: 'HTTP 401' });
    assert.deepEqual(guarded.posts, []);
  });

  test('a resolved event posts the resolution time; a test event an empty array, which Alertmanager accepts', async () => {
    const resolved = sampleNotification({ event: 'resolved', alert: { labels: { alertname: 'High CPU' }, state: 'resolved', endsAt: '2024-05-01T11:59:00.000Z' } });
    assert.equal((await send({ url: `${am.url}/am` }, resolved)).ok, true);
    assert.equal(am.posts[0]![0]!.endsAt, '2024-05-01T11:59:00.000Z');
    assert.equal((await send({ url: `${am.url}/am` }, sampleNotification({ event: 'test' }))).ok, true);
    assert.deepEqual(am.posts[1], []);
  });

  test('an alert Alertmanager refuses: 400, permanent', async () => {
    const result = await send({ url: `${am.url}/am` }, sampleNotification({ alert: { labels: {} } }));
    assert.deepEqual([result.ok, result.status, result.classification, result.retryable], [false, 400, 'http_4xx', false]);
  });

  const statuses: { reply: number | { status: number; headers: Record<string, string> }; status: number; classification: string; retryable: boolean; retryAfterMs?: number }[] = [
    { reply: 500, status: 500, classification: 'http_5xx', retryable: true },
    { reply: 503, status: 503, classification: 'http_5xx', retryable: true },
    { reply: { status: 429, headers: { 'retry-after': '7' } }, status: 429, classification: 'http_4xx', retryable: true, retryAfterMs: 7000 },
    { reply: 404, status: 404, classification: 'http_4xx', retryable: false },
  ];
  for (const s of statuses) {
    test(`classifies ${s.status}: ${s.retryable ? 'retryable' : 'permanent'}`, async () => {
      am.script(s.reply);
      const result = await send({ url: `${am.url}/am` });
      assert.deepEqual(
        { ok: result.ok, status: result.status, classification: result.classification, retryable: result.retryable, retryAfterMs: result.retryAfterMs },
        { ok: false, status: s.status, classification: s.classification, retryable: s.retryable, retryAfterMs: s.retryAfterMs },
      );
    });
  }

  test('nothing listening: a retryable connection failure', async () => {
    const result = await send({ url: `http://127.0.0.1:${await unusedPort()}` });
    assert.deepEqual([result.ok, result.retryable], [false, true]);
  });

  test('the outbound guard refuses loopback without an allowance: nothing is sent', async () => {
    const config = alertmanagerNotifier.parseConfig({ url: `${am.url}/am` });
    const result = await alertmanagerNotifier.send(config, sampleNotification(), { now, timeoutMs: 2000, outbound: strictOutboundGuard });
    assert.equal(result.ok, false);
    assert.equal(result.retryable, false);
    assert.equal(am.received.length, 0);
  });
});
