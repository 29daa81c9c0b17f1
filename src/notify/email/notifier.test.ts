import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { groupNotification, loopbackOutbound, sampleNotification, type SmtpReceiver, startSmtpReceiver, unusedPort } from '../../../test/helpers/receivers.js';
import { AppError } from '../../core/errors.js';
import { OutboundGuard } from '../../net/outbound.js';
import type { AlertEvent, AlertNotification } from '../notifier.js';
import { emailContent } from './format.js';
import { emailNotifier, type EmailConfig } from './notifier.js';

const now = new Date('2024-05-01T12:00:00.000Z');
const pass = 'hunter2-Very-Secret';

/** A configuration for a local receiver: plain SMTP, STARTTLS off. */
function local(port: number, over: Record<string, unknown> = {}): EmailConfig {
  return emailNotifier.parseConfig({ host: '127.0.0.1', port, ignoreTLS: true, from: 'IntentVision <alerts@iv.example.com>', to: ['ops@example.com'], ...over });
}

describe('email configuration', () => {
  test('fills defaults: STARTTLS port 587, or 465 with secure; one address becomes a list', () => {
    assert.deepEqual(emailNotifier.parseConfig({ host: 'smtp.example.com', from: 'alerts@example.com', to: 'ops@example.com' }), {
      host: 'smtp.example.com',
      port: 587,
      secure: false,
      requireTLS: false,
      ignoreTLS: false,
      from: 'alerts@example.com',
      to: ['ops@example.com'],
    });
    const smtps = emailNotifier.parseConfig({ host: 'smtp.example.com', secure: true, from: 'a@example.com', to: ['b@example.com'] });
    assert.equal(smtps.port, 465);
    assert.equal(emailNotifier.parseConfig({ host: 'smtp.example.com', port: 465, from: 'a@example.com', to: ['b@example.com'] }).secure, true);
  });

  test('keeps display names and drops duplicate recipients', () => {
    const c = emailNotifier.parseConfig({ host: 'h.example.com', from: 'IV <a@example.com>', to: ['Ops <ops@example.com>', 'OPS@example.com', 'dev@example.com'], subjectPrefix: '[prod]' });
    assert.deepEqual(c.to, ['Ops <ops@example.com>', 'dev@example.com']);
    assert.equal(c.subjectPrefix, '[prod]');
  });

  const base = { host: 'smtp.example.com', from: 'alerts@example.com', to: ['ops@example.com'] };
  const cases: { name: string; raw: unknown; fields: string[] }[] = [
    { name: 'nothing', raw: {}, fields: ['config.host', 'config.from', 'config.to'] },
    { name: 'a host with a space', raw: { ...base, host: 'smtp example.com' }, fields: ['config.host'] },
    { name: 'port 0', raw: { ...base, port: 0 }, fields: ['config.port'] },
    { name: 'a port as text', raw: { ...base, port: '25' }, fields: ['config.port'] },
    { name: 'secure with requireTLS', raw: { ...base, secure: true, requireTLS: true }, fields: ['config.requireTLS'] },
    { name: 'requireTLS with ignoreTLS', raw: { ...base, requireTLS: true, ignoreTLS: true }, fields: ['config.ignoreTLS'] },
    { name: 'auth without pass', raw: { ...base, auth: { user: 'u' } }, fields: ['config.auth.pass'] },
    { name: 'auth with an unknown field', raw: { ...base, auth: { user: 'u', pass, method: 'x' } }, fields: ['config.auth.method'] },
    { name: 'a from that is not an address', raw: { ...base, from: 'alerts' }, fields: ['config.from'] },
    { name: 'no recipients', raw: { ...base, to: [] }, fields: ['config.to'] },
    { name: 'a bad second recipient', raw: { ...base, to: ['ops@example.com', 'not-an-address'] }, fields: ['config.to[1]'] },
    { name: 'a recipient list in one string', raw: { ...base, to: 'a@example.com, b@example.com' }, fields: ['config.to'] },
    { name: 'a header injection in from', raw: { ...base, from: 'a@example.com\r\nBcc: x@example.com' }, fields: ['config.from'] },
    { name: 'a long subject prefix', raw: { ...base, subjectPrefix: 'p'.repeat(65) }, fields: ['config.subjectPrefix'] },
    { name: 'too many recipients', raw: { ...base, to: Array.from({ length: 51 }, (_, i) => `u${i}@example.com`) }, fields: ['config.to'] },
  ];
  for (const c of cases) {
    test(`rejects ${c.name}`, () => {
      assert.throws(
        () => emailNotifier.parseConfig(c.raw),
        (e: unknown) => {
          assert.ok(e instanceof AppError && e.code === 'validation_failed');
          assert.deepEqual(
            (e.details as { field: string }[]).map((d) => d.field),
            c.fields,
          );
          return true;
        },
      );
    });
  }

  test('redact hides the password', () => {
    const c = emailNotifier.parseConfig({ ...base, auth: { user: 'mailer', pass } });
    const shown = emailNotifier.redact(c);
    assert.deepEqual(shown.auth, { user: 'mailer', pass: '********' });
    assert.ok(!JSON.stringify(shown).includes(pass));
  });
});

describe('email content', () => {
  test('subject reads [EVENT] severity: rule — summary, with the prefix', () => {
    const table: [AlertEvent, string][] = [
      ['firing', '[prod] [FIRING] critical: High CPU — cpu.usage{host=web-1} > 0.9 for 5m (now 0.97)'],
      ['acknowledged', '[prod] [ACKNOWLEDGED] critical: High CPU — cpu.usage{host=web-1} > 0.9 for 5m (now 0.97)'],
      ['resolved', '[prod] [RESOLVED] critical: High CPU — cpu.usage{host=web-1} > 0.9 for 5m (now 0.97)'],
      ['test', '[prod] [TEST] critical: High CPU — cpu.usage{host=web-1} > 0.9 for 5m (now 0.97)'],
    ];
    for (const [event, subject] of table) assert.equal(emailContent(sampleNotification({ event }), '[prod]').subject, subject);
  });

  test('HTML escapes everything users wrote; text keeps it verbatim', () => {
    const evil = '<script>alert("x")</script> & <b>';
    const n = sampleNotification({
      org: { id: 'o', name: evil },
      alert: { ruleName: evil, summary: evil, labels: { [evil]: evil }, annotations: { note: evil }, details: { d: evil }, actor: { kind: 'user', id: 'u1', comment: evil }, url: 'https://iv.example.com/a?x="><script>' },
    });
    const { html, text, subject } = emailContent(n);
    assert.ok(!html.includes('<script>') && !html.includes('<b>'), html);
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;'));
    assert.ok(html.includes('href="https://iv.example.com/a?x=%22%3E%3Cscript%3E"'), 'the link is URL-encoded and attribute-safe');
    assert.ok(text.includes(evil));
    assert.ok(!subject.includes('\n'));
  });

  test('a javascript: URL is not linked', () => {
    const { html, text } = emailContent(sampleNotification({ alert: { url: 'javascript:alert(1)' } }));
    assert.ok(!html.includes('javascript:') && !text.includes('javascript:'));
  });
});

describe('email notifier against a local SMTP server', () => {
  let smtp: SmtpReceiver;
  before(async () => {
    smtp = await startSmtpReceiver({ rejectRecipients: ['nobody@example.com'] });
  });
  afterEach(() => smtp.reset());
  after(() => smtp.close());

  test('delivers subject, text and HTML to every recipient', async () => {
    const config = local(smtp.port, { to: ['ops@example.com', 'Dev Team <dev@example.com>'], subjectPrefix: '[prod]' });
    const n = sampleNotification();
    const result = await emailNotifier.send(config, n, { now, timeoutMs: 5000, outbound: loopbackOutbound });
    assert.equal(result.ok, true, result.error);
    assert.deepEqual(result, { ok: true, retryable: false, classification: 'smtp_2xx', status: 250 });
    assert.equal(smtp.received.length, 1);
    const mail = smtp.received[0]!;
    assert.deepEqual(mail.envelope, { from: 'alerts@iv.example.com', to: ['ops@example.com', 'dev@example.com'] });
    assert.equal(mail.subject, '[prod] [FIRING] critical: High CPU — cpu.usage{host=web-1} > 0.9 for 5m (now 0.97)');
    assert.equal(mail.headers['message-id'], '<dlv_01HZX8Q6W2N4TESTDELIVERY@iv.example.com>');
    assert.equal(mail.headers.references, '<alert-fp_3f9a2c7d1e@iv.example.com>');
    assert.equal(mail.headers['auto-submitted'], 'auto-generated');
    assert.equal(mail.headers.date, 'Wed, 01 May 2024 12:00:00 +0000');
    const expected = emailContent(n, '[prod]');
    assert.equal(mail.text, expected.text);
    assert.ok(mail.html?.includes('High CPU') && mail.html.includes('https://iv.example.com/alerts/alr_1'));
  });

  test('an accepted message with a rejected recipient is delivered to the others', async () => {
    const result = await emailNotifier.send(local(smtp.port, { to: ['ops@example.com', 'nobody@example.com'] }), sampleNotification(), { now, timeoutMs: 5000, outbound: loopbackOutbound });
    assert.equal(result.ok, true);
    assert.deepEqual(smtp.received[0]!.envelope.to, ['ops@example.com']);
  });

  const failures: { name: string; step?: { code: number; message: string }; to?: string[]; status: number; retryable: boolean }[] = [
    { name: '451 at DATA is transient', step: { code: 451, message: 'Try again later' }, status: 451, retryable: true },
    { name: '452 at DATA is transient', step: { code: 452, message: 'Insufficient storage' }, status: 452, retryable: true },
    { name: '554 at DATA is permanent', step: { code: 554, message: 'Message rejected as spam' }, status: 554, retryable: false },
    { name: '550 for the only recipient is permanent', to: ['nobody@example.com'], status: 550, retryable: false },
  ];
  for (const f of failures) {
    test(f.name, async () => {
      if (f.step) smtp.script(f.step);
      const result = await emailNotifier.send(local(smtp.port, f.to ? { to: f.to } : {}), sampleNotification(), { now, timeoutMs: 5000, outbound: loopbackOutbound });
      assert.equal(result.ok, false);
      assert.equal(result.status, f.status);
      assert.equal(result.retryable, f.retryable, result.error);
      // The reply code alone: the server's text ("Try again later", "No such user") is not kept.
      assert.equal(result.error, `SMTP ${f.status}`);
      assert.equal(result.classification, f.status >= 500 ? 'smtp_5xx' : 'smtp_4xx');
    });
  }
});

describe('email notifier with SMTP authentication', () => {
  let smtp: SmtpReceiver;
  before(async () => {
    smtp = await startSmtpReceiver({ auth: { user: 'mailer', pass } });
  });
  after(() => smtp.close());

  test('logs in and delivers', async () => {
    const result = await emailNotifier.send(local(smtp.port, { auth: { user: 'mailer', pass } }), sampleNotification(), { now, timeoutMs: 5000, outbound: loopbackOutbound });
    assert.equal(result.ok, true, result.error);
    assert.equal(smtp.received.at(-1)!.user, 'mailer');
  });

  test('a wrong password is permanent (535) and never shows the password', async () => {
    const wrong = 'not-the-password-123';
    const result = await emailNotifier.send(local(smtp.port, { auth: { user: 'mailer', pass: wrong } }), sampleNotification(), { now, timeoutMs: 5000, outbound: loopbackOutbound });
    assert.equal(result.ok, false);
    assert.equal(result.status, 535);
    assert.equal(result.retryable, false);
    assert.equal(result.error, 'SMTP 535 (authentication failed)');
    const text = JSON.stringify(result);
    assert.ok(!text.includes(wrong) && !text.includes(Buffer.from(wrong).toString('base64')) && !text.includes('Authentication failed'), text);
  });
});

describe('email notifier network failures', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  before(async () => {
    // Accepts connections and never greets: the client's timeout must end the attempt.
    silent = createServer((s) => void sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  test('a closed port is retryable', async () => {
    const result = await emailNotifier.send(local(await unusedPort()), sampleNotification(), { now, timeoutMs: 5000, outbound: loopbackOutbound });
    assert.equal(result.ok, false);
    assert.equal(result.retryable, true);
    assert.equal(result.status, undefined);
    assert.equal(result.classification, 'connection_refused');
    assert.equal(result.error, 'connection refused (ECONNREFUSED)');
  });

  test('a server that never answers times out, retryably', async () => {
    const started = process.hrtime.bigint();
    const result = await emailNotifier.send(local((silent.address() as AddressInfo).port), sampleNotification(), { now, timeoutMs: 300, outbound: loopbackOutbound });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(result.ok, false);
    assert.equal(result.retryable, true);
    assert.match(result.error!, /timed out|ETIMEDOUT/i);
    assert.equal(result.classification, 'timeout');
    assert.ok(ms < 3000, `took ${ms} ms`);
  });
});

describe('email notifier through the outbound guard', () => {
  let smtp: SmtpReceiver;
  before(async () => {
    smtp = await startSmtpReceiver({ starttls: true });
  });
  afterEach(() => smtp.reset());
  after(() => smtp.close());

  test('without loopback allowed: refused before connecting, permanently', async () => {
    for (const host of ['127.0.0.1', '127.1', '2130706433', '::ffff:127.0.0.1', 'localhost']) {
      const result = await emailNotifier.send(local(smtp.port, { host }), sampleNotification(), { now, timeoutMs: 5000, outbound: new OutboundGuard() });
      assert.equal(result.classification, 'refused_by_outbound_guard', `${host}: ${result.error}`);
      assert.equal(result.retryable, false);
      assert.match(result.error!, /^refused by the outbound guard: /);
    }
    assert.equal(smtp.connections, 0);
  });

  test('a name is connected to by the checked address, and TLS is verified against the name (SNI)', async () => {
    // STARTTLS required; the server offers it with a self-signed certificate, which verification refuses.
    const result = await emailNotifier.send(local(smtp.port, { host: 'localhost', ignoreTLS: false, requireTLS: true }), sampleNotification(), {
      now,
      timeoutMs: 5000,
      outbound: new OutboundGuard({ allowedCidrs: ['127.0.0.0/8'] }),
    });
    assert.equal(result.ok, false);
    assert.equal(result.classification, 'tls_error', result.error);
    assert.deepEqual(smtp.servernames, ['localhost']);
    assert.equal(smtp.received.length, 0);
  });

  test('the next address of a name is tried when one cannot be reached', async () => {
    // Nothing listens on 127.0.0.2: refused; 127.0.0.1 takes the message.
    const resolve = async (): Promise<LookupAddress[]> => [{ address: '127.0.0.2', family: 4 }, { address: '127.0.0.1', family: 4 }];
    const guard = new OutboundGuard({ allowedCidrs: ['127.0.0.0/8'], resolve });
    const result = await emailNotifier.send(local(smtp.port, { host: 'mail.example' }), sampleNotification(), { now, timeoutMs: 5000, outbound: guard });
    assert.deepEqual(result, { ok: true, retryable: false, classification: 'smtp_2xx', status: 250 });
    assert.equal(smtp.received.length, 1);
  });

  test('a literal address sends no server name', async () => {
    const result = await emailNotifier.send(local(smtp.port, { ignoreTLS: false, requireTLS: true }), sampleNotification(), { now, timeoutMs: 5000, outbound: loopbackOutbound });
    assert.equal(result.classification, 'tls_error', result.error);
    assert.equal(smtp.connections, 1);
    assert.deepEqual(smtp.servernames, []);
  });
});

describe('email of a group', () => {
  test('subject [FIRING:n] title with the prefix; the text lists every alert; the HTML escapes', () => {
    const n = groupNotification([{ labels: { host: 'web-1' } }, { labels: { host: '<b>web-2</b>' }, annotations: { runbook: 'https://wiki/x' } }], 'firing', 3);
    const c = emailContent(n, '[prod]');
    assert.equal(c.subject, '[prod] [FIRING:2] High CPU (cpu.usage eu-west-1)');
    assert.match(c.text, /^\[FIRING:2\] High CPU \(cpu\.usage eu-west-1\)\n2 firing, 0 resolved, notified to ops\.\nGroup: alertname=High CPU\n/);
    assert.match(c.text, /\n1\. cpu\.usage\{host=web-1\} > 0\.9 for 5m \(now 0\.97\)\n   State: +firing\n/);
    assert.match(c.text, /host=<b>web-2<\/b>/);
    assert.match(c.text, /runbook: +https:\/\/wiki\/x/);
    assert.match(c.text, /\n… and 3 more alerts\n/);
    assert.ok(c.html.includes('host=&lt;b&gt;web-2&lt;/b&gt;'));
    assert.ok(!c.html.includes('<b>web-2'));
    assert.ok(c.html.includes('href="https://iv.example.com/alerts/alr_2"'));
  });

  test('a resolved group reads [RESOLVED]', () => {
    const c = emailContent(groupNotification([{ state: 'resolved', endsAt: '2024-05-01T12:00:00.000Z' }], 'resolved'));
    assert.equal(c.subject, '[RESOLVED] High CPU (cpu.usage web-1 eu-west-1)');
    assert.match(c.text, /Ended: +2024-05-01T12:00:00.000Z/);
  });

  test('every flush of a group references one thread id', async () => {
    const smtp = await startSmtpReceiver();
    try {
      for (const status of ['firing', 'resolved'] as const) {
        const result = await emailNotifier.send(local(smtp.port), { ...groupNotification([{}], status), deliveryId: `dlv_${status}` }, { now, timeoutMs: 5000, outbound: loopbackOutbound });
        assert.equal(result.ok, true, result.error);
      }
      const [a, b] = smtp.received;
      assert.match(a!.headers.references!, /^<group-[0-9a-f]{32}@iv\.example\.com>$/);
      assert.equal(b!.headers.references, a!.headers.references);
      assert.deepEqual([a!.subject, b!.subject], ['[FIRING:1] High CPU (cpu.usage web-1 eu-west-1)', '[RESOLVED] High CPU (cpu.usage web-1 eu-west-1)']);
    } finally {
      await smtp.close();
    }
  });
});
