import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { loopbackOutbound, sampleNotification, startHttpReceiver, startWebhookReceiver, type HttpReceiver, type WebhookReceiver } from '../../../test/helpers/receivers.js';
import { AppError } from '../../core/errors.js';
import { alertmanagerWebhookMessage } from '../alertmanager/webhook-message.js';
import type { AlertEvent, NotificationGroup } from '../notifier.js';
import { generateWebhookSecret, signWebhook, verifyWebhook, webhookNotifier, type WebhookBody } from './notifier.js';

// The Standard Webhooks specification's published test vector.
const vector = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const secret = generateWebhookSecret(() => new Uint8Array(32).map((_, i) => (i * 37 + 11) % 256));
const now = new Date('2024-05-01T12:00:00.000Z');
const nowSeconds = now.getTime() / 1000;

describe('webhook signatures', () => {
  test('signWebhook reproduces the specification test vector', () => {
    assert.equal(signWebhook(vector.secret, vector.id, vector.timestamp, vector.body), vector.signature);
  });

  test('generateWebhookSecret makes a whsec_ secret of 32 random bytes', () => {
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(secret.slice(6), 'base64').length, 32);
    assert.notEqual(generateWebhookSecret(), generateWebhookSecret());
  });

  const at = new Date(vector.timestamp * 1000);
  const headers = { id: vector.id, timestamp: String(vector.timestamp), signature: vector.signature };
  const cases: { name: string; secret?: string; headers?: Partial<typeof headers>; body?: string; now?: Date; ok: boolean; reason?: RegExp }[] = [
    { name: 'the vector verifies', ok: true },
    { name: 'one of several signatures (rotation) verifies', headers: { signature: `v1,AAAA ${vector.signature}` }, ok: true },
    { name: 'within the tolerance, 5 minutes late', now: new Date(at.getTime() + 300_000), ok: true },
    { name: 'a changed body fails', body: '{"test": 2432232315}', ok: false, reason: /no v1 signature/ },
    { name: 'another id fails', headers: { id: 'msg_other' }, ok: false, reason: /no v1 signature/ },
    { name: 'another secret fails', secret, ok: false, reason: /no v1 signature/ },
    { name: 'an unknown version fails', headers: { signature: vector.signature.replace('v1,', 'v2,') }, ok: false, reason: /no v1 signature/ },
    { name: 'too old fails', now: new Date(at.getTime() + 301_000), ok: false, reason: /tolerance/ },
    { name: 'from the future fails', now: new Date(at.getTime() - 301_000), ok: false, reason: /tolerance/ },
    { name: 'a non-numeric timestamp fails', headers: { timestamp: '2021-02-25' }, ok: false, reason: /unix seconds/ },
    { name: 'missing headers fail', headers: { signature: '' }, ok: false, reason: /required/ },
  ];
  for (const c of cases) {
    test(`verifyWebhook: ${c.name}`, () => {
      const result = verifyWebhook(c.secret ?? vector.secret, { ...headers, ...c.headers }, c.body ?? vector.body, { now: c.now ?? at });
      assert.equal(result.ok, c.ok, JSON.stringify(result));
      if (!result.ok && c.reason) assert.match(result.reason, c.reason);
    });
  }
});

describe('webhook configuration', () => {
  const cases: { name: string; raw: unknown; fields: string[] }[] = [
    { name: 'not an object', raw: 'https://x', fields: ['config'] },
    { name: 'nothing given', raw: {}, fields: ['config.url', 'config.secret'] },
    { name: 'plain http to a remote host', raw: { url: 'http://hooks.example.com/x', secret }, fields: ['config.url'] },
    { name: 'ftp', raw: { url: 'ftp://example.com/x', secret }, fields: ['config.url'] },
    { name: 'credentials in the URL', raw: { url: 'https://u:p@example.com/x', secret }, fields: ['config.url'] },
    { name: 'not a URL', raw: { url: 'example.com/hook', secret }, fields: ['config.url'] },
    { name: 'secret without the prefix', raw: { url: 'https://example.com/x', secret: secret.slice(6) }, fields: ['config.secret'] },
    { name: 'secret too short', raw: { url: 'https://example.com/x', secret: 'whsec_c2hvcnQ=' }, fields: ['config.secret'] },
    { name: 'secret not base64', raw: { url: 'https://example.com/x', secret: 'whsec_not base64 at all!!' }, fields: ['config.secret'] },
    { name: 'unknown field', raw: { url: 'https://example.com/x', secret, headers: {} }, fields: ['config.headers'] },
    { name: 'unknown format', raw: { url: 'https://example.com/x', secret, format: 'prometheus' }, fields: ['config.format'] },
    { name: 'format not a string', raw: { url: 'https://example.com/x', secret, format: 4 }, fields: ['config.format'] },
  ];
  for (const c of cases) {
    test(`rejects ${c.name}`, () => {
      assert.throws(
        () => webhookNotifier.parseConfig(c.raw),
        (e: unknown) => {
          assert.ok(e instanceof AppError);
          assert.equal(e.code, 'validation_failed');
          assert.deepEqual(
            (e.details as { field: string }[]).map((d) => d.field),
            c.fields,
          );
          assert.ok(!e.message.includes(secret.slice(6)), 'the secret leaked into the message');
          return true;
        },
      );
    });
  }

  test('accepts https anywhere and http on loopback', () => {
    for (const url of ['https://hooks.example.com/in?x=1', 'http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://[::1]:9/h']) {
      assert.deepEqual(webhookNotifier.parseConfig({ url, secret }), { url: new URL(url).href, secret, format: 'intentvision' });
    }
    assert.equal(webhookNotifier.parseConfig({ url: 'https://example.com/x', secret, format: 'alertmanager' }).format, 'alertmanager');
  });

  test('redact hides the secret and query values', () => {
    const config = webhookNotifier.parseConfig({ url: 'https://hooks.example.com/in?token=abcdef123456&team=ops', secret });
    const shown = JSON.stringify(webhookNotifier.redact(config));
    assert.ok(!shown.includes(secret.slice(6)) && !shown.includes('abcdef123456'), shown);
    assert.deepEqual(webhookNotifier.redact(config), { url: 'https://hooks.example.com/in?token=********&team=********', secret: '********', format: 'intentvision' });
  });
});

describe('webhook notifier against a verifying receiver', () => {
  let receiver: WebhookReceiver;
  before(async () => {
    receiver = await startWebhookReceiver(secret, { now: () => now });
  });
  afterEach(() => receiver.reset());
  after(() => receiver.close());

  for (const event of ['firing', 'acknowledged', 'resolved', 'test'] as AlertEvent[]) {
    test(`delivers a signed ${event} event`, async () => {
      const n = sampleNotification({ event, deliveryId: `dlv_${event}` });
      const config = webhookNotifier.parseConfig({ url: `${receiver.url}/hooks/iv`, secret });
      const result = await webhookNotifier.send(config, n, { now, timeoutMs: 2000, outbound: loopbackOutbound });
      assert.deepEqual(result, { ok: true, status: 204, classification: 'http_2xx', retryable: false });
      assert.deepEqual(receiver.refused, []);
      assert.equal(receiver.verified.length, 1);
      const got = receiver.verified[0]!;
      assert.equal(got.id, `dlv_${event}`);
      assert.equal(got.timestamp, nowSeconds);
      const expected: WebhookBody = { type: `alert.${event}`, timestamp: now.toISOString(), data: { event, org: n.org, alert: n.alert } };
      assert.deepEqual(got.body, expected);
      const req = receiver.received[0]!;
      assert.equal(req.method, 'POST');
      assert.equal(req.path, '/hooks/iv');
      assert.match(String(req.headers['content-type']), /^application\/json/);
      // The signature is the HMAC of exactly the bytes sent, recomputed here independently.
      const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
      const mac = createHmac('sha256', key).update(`dlv_${event}.${nowSeconds}.${req.rawBody}`).digest('base64');
      assert.equal(req.headers['webhook-signature'], `v1,${mac}`);
    });
  }

  const group = (): NotificationGroup => {
    const first = sampleNotification({ alert: { labels: { alertname: 'High CPU', severity: 'critical', host: 'web-1' } } }).alert;
    const second = sampleNotification({ alert: { id: 'alr_2', labels: { alertname: 'High CPU', severity: 'critical', host: 'web-2' }, state: 'resolved', endsAt: '2024-05-01T11:59:00.000Z' } }).alert;
    return { key: 'g1', labels: { alertname: 'High CPU' }, receiver: 'ops-hook', status: 'firing', alerts: [first, second], truncatedAlerts: 0 };
  };

  test('the default body carries the group when the notification has one', async () => {
    const g = group();
    const n = { ...sampleNotification({ deliveryId: 'dlv_group', alert: g.alerts[0] }), group: g };
    const config = webhookNotifier.parseConfig({ url: receiver.url, secret });
    assert.equal((await webhookNotifier.send(config, n, { now, timeoutMs: 2000, outbound: loopbackOutbound })).ok, true);
    const expected: WebhookBody = { type: 'alert.firing', timestamp: now.toISOString(), data: { event: 'firing', org: n.org, alert: n.alert, group: g } };
    assert.deepEqual(receiver.verified[0]!.body, expected);
  });

  for (const event of ['firing', 'acknowledged', 'resolved', 'test'] as AlertEvent[]) {
    test(`format "alertmanager": a signed Alertmanager message for a ${event} event`, async () => {
      const state = event === 'resolved' ? 'resolved' : event === 'acknowledged' ? 'acknowledged' : 'firing';
      const n = sampleNotification({ event, deliveryId: `dlv_am_${event}`, externalUrl: 'https://iv.example.com', alert: { state, labels: { alertname: 'High CPU', severity: 'critical', host: 'web-1' } } });
      const config = webhookNotifier.parseConfig({ url: `${receiver.url}/am`, secret, format: 'alertmanager' });
      const result = await webhookNotifier.send(config, n, { now, timeoutMs: 2000, outbound: loopbackOutbound });
      assert.equal(result.ok, true);
      assert.deepEqual(receiver.refused, []);
      const got = receiver.verified[0]!;
      assert.equal(got.id, `dlv_am_${event}`);
      assert.deepEqual(got.body, alertmanagerWebhookMessage(n, now));
      const body = got.body as { version: string; status: string; receiver: string; groupKey: string; externalURL: string; alerts: { status: string; endsAt: string; fingerprint: string }[] };
      assert.deepEqual([body.version, body.receiver, body.groupKey, body.externalURL], ['4', 'intentvision', n.alert.fingerprint, 'https://iv.example.com']);
      assert.equal(body.status, event === 'resolved' ? 'resolved' : 'firing');
      assert.equal(body.alerts[0]!.endsAt, event === 'resolved' ? '2024-05-01T12:00:00Z' : '0001-01-01T00:00:00Z');
      assert.match(body.alerts[0]!.fingerprint, /^[0-9a-f]{16}$/);
    });
  }

  test('format "alertmanager" with a group: one message with every alert of the group', async () => {
    const g = group();
    const n = { ...sampleNotification({ alert: g.alerts[0] }), group: g };
    const config = webhookNotifier.parseConfig({ url: receiver.url, secret, format: 'alertmanager' });
    assert.equal((await webhookNotifier.send(config, n, { now, timeoutMs: 2000, outbound: loopbackOutbound })).ok, true);
    const body = receiver.verified[0]!.body as { receiver: string; groupKey: string; groupLabels: object; commonLabels: object; alerts: { status: string; labels: { host: string } }[] };
    assert.deepEqual([body.receiver, body.groupKey, body.groupLabels], ['ops-hook', 'g1', { alertname: 'High CPU' }]);
    assert.deepEqual(body.commonLabels, { alertname: 'High CPU', severity: 'critical' });
    assert.deepEqual(
      body.alerts.map((a) => [a.status, a.labels.host]),
      [
        ['firing', 'web-1'],
        ['resolved', 'web-2'],
      ],
    );
  });

  test('a receiver with another secret refuses it: 401, not retryable', async () => {
    const other = await startWebhookReceiver(generateWebhookSecret(), { now: () => now });
    try {
      const config = webhookNotifier.parseConfig({ url: other.url, secret });
      const result = await webhookNotifier.send(config, sampleNotification(), { now, timeoutMs: 2000, outbound: loopbackOutbound });
      assert.equal(result.ok, false);
      assert.equal(result.status, 401);
      assert.equal(result.retryable, false);
      assert.deepEqual(other.refused, ['signature mismatch']);
    } finally {
      await other.close();
    }
  });

  test('a clock far from the receiver fails the timestamp check', async () => {
    const config = webhookNotifier.parseConfig({ url: receiver.url, secret });
    const result = await webhookNotifier.send(config, sampleNotification(), { now: new Date(now.getTime() - 3_600_000), timeoutMs: 2000, outbound: loopbackOutbound });
    assert.equal(result.status, 401);
    assert.deepEqual(receiver.refused, ['timestamp outside the tolerance']);
  });
});

describe('webhook notifier results', () => {
  let http: HttpReceiver;
  before(async () => {
    http = await startHttpReceiver();
  });
  afterEach(() => http.reset());
  after(() => http.close());

  test("keeps only the status and its class: the receiver's answer, echoed secrets included, never reaches the result", async () => {
    const config = webhookNotifier.parseConfig({ url: `${http.url}/in?token=tok_0123456789`, secret });
    http.script({ status: 500, body: `bad signature for ${secret} and tok_0123456789` });
    const result = await webhookNotifier.send(config, sampleNotification(), { now, timeoutMs: 2000, outbound: loopbackOutbound });
    assert.deepEqual(result, { ok: false, status: 500, classification: 'http_5xx', retryable: true, error: 'HTTP 500' });
    http.script({ status: 400, body: 'internal service banner: redis_version:7.0.0' });
    const text = JSON.stringify(await webhookNotifier.send(config, sampleNotification(), { now, timeoutMs: 2000, outbound: loopbackOutbound }));
    assert.ok(!text.includes('banner') && !text.includes('redis'), text);
  });

  test('a large answer is drained, not kept', async () => {
    const config = webhookNotifier.parseConfig({ url: http.url, secret });
    http.script({ status: 200, body: 'x'.repeat(100_000) });
    const result = await webhookNotifier.send(config, sampleNotification(), { now, timeoutMs: 2000, outbound: loopbackOutbound });
    assert.deepEqual(result, { ok: true, status: 200, classification: 'http_2xx', retryable: false });
  });

  test('does not follow redirects', async () => {
    const config = webhookNotifier.parseConfig({ url: http.url, secret });
    http.script({ status: 307, headers: { location: 'https://elsewhere.example.com/' } });
    const result = await webhookNotifier.send(config, sampleNotification(), { now, timeoutMs: 2000, outbound: loopbackOutbound });
    assert.equal(result.ok, false);
    assert.equal(result.status, 307);
    assert.equal(result.retryable, false);
    assert.equal(result.classification, 'http_3xx');
    assert.match(result.error!, /redirects are not followed/);
    assert.equal(http.received.length, 1);
  });
});
