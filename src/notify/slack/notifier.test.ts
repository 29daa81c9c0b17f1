import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { groupNotification, loopbackOutbound, sampleNotification, slackProblem, type SlackReceiver, startSlackReceiver } from '../../../test/helpers/receivers.js';
import { AppError } from '../../core/errors.js';
import type { AlertEvent, AlertNotification } from '../notifier.js';
import { maxGroupLines, slackMessage, type SlackBlock } from './message.js';
import { slackNotifier, type SlackConfig } from './notifier.js';

const token = 'xoxbSECRETtoken1234567890';
const hookPath = `/services/T0001/B0002/${token}`;
const now = new Date('2024-05-01T12:00:00.000Z');

describe('slack configuration', () => {
  test('accepts an https incoming-webhook URL', () => {
    const url = `https://hooks.slack.com${hookPath}`;
    assert.deepEqual(slackNotifier.parseConfig({ url }), { url });
  });

  const cases: { name: string; raw: unknown; fields: string[] }[] = [
    { name: 'no URL', raw: {}, fields: ['config.url'] },
    { name: 'plain http to Slack', raw: { url: `http://hooks.slack.com${hookPath}` }, fields: ['config.url'] },
    { name: 'a URL without a path', raw: { url: 'https://hooks.slack.com/' }, fields: ['config.url'] },
    { name: 'a channel override (app webhooks ignore it)', raw: { url: `https://hooks.slack.com${hookPath}`, channel: '#ops' }, fields: ['config.channel'] },
    { name: 'a URL with a line break', raw: { url: `https://hooks.slack.com${hookPath}\nX: y` }, fields: ['config.url'] },
  ];
  for (const c of cases) {
    test(`rejects ${c.name}`, () => {
      assert.throws(
        () => slackNotifier.parseConfig(c.raw),
        (e: unknown) => {
          assert.ok(e instanceof AppError && e.code === 'validation_failed');
          assert.deepEqual(
            (e.details as { field: string }[]).map((d) => d.field),
            c.fields,
          );
          assert.ok(!e.message.includes(token), 'the webhook token leaked into the message');
          return true;
        },
      );
    });
  }

  test('redact shows only the origin', () => {
    const config = slackNotifier.parseConfig({ url: `https://hooks.slack.com${hookPath}` });
    assert.deepEqual(slackNotifier.redact(config), { url: 'https://hooks.slack.com/********' });
  });
});

describe('slack message', () => {
  const table: { event: AlertEvent; emoji: string; label: string }[] = [
    { event: 'firing', emoji: '🔴', label: 'FIRING' },
    { event: 'acknowledged', emoji: '👀', label: 'ACKNOWLEDGED' },
    { event: 'resolved', emoji: '✅', label: 'RESOLVED' },
    { event: 'test', emoji: '🧪', label: 'TEST' },
  ];
  for (const { event, emoji, label } of table) {
    test(`${event}: ${emoji} header, summary, fields, context and a link button`, () => {
      const m = slackMessage(sampleNotification({ event }));
      assert.ok(m.text.startsWith(`${emoji} [${label}] critical: High CPU — `), m.text);
      const [header, section, context, actions] = m.blocks as [SlackBlock, SlackBlock, SlackBlock, SlackBlock];
      assert.deepEqual(header, { type: 'header', text: { type: 'plain_text', text: `${emoji} ${label}: High CPU`, emoji: true } });
      assert.equal(section.type, 'section');
      const fields = section.type === 'section' ? section.fields!.map((f) => f.text) : [];
      assert.deepEqual(fields.slice(0, 5), ['*Severity*\ncritical', '*State*\nfiring', '*Value*\n0.97', '*Rule*\nHigh CPU (threshold)', '*Labels*\n__name__=cpu.usage, host=web-1, region=eu-west-1']);
      assert.match(fields[5]!, /^\*Started\*\n<!date\^1714564500\^\{date_short_pretty\} \{time\}\|2024-05-01T11:55:00.000Z>$/);
      assert.equal(context.type, 'context');
      assert.deepEqual(actions, {
        type: 'actions',
        elements: [{ type: 'button', text: { type: 'plain_text', text: 'View alert' }, url: 'https://iv.example.com/alerts/alr_1', action_id: 'view_alert' }],
      });
    });
  }

  test('severity picks the emoji of a firing alert', () => {
    const emojis = (['critical', 'error', 'warning', 'info'] as const).map((severity) => slackMessage(sampleNotification({ alert: { severity } })).text.slice(0, 2));
    assert.deepEqual(emojis, ['🔴', '🟠', '🟡', '🔵']);
  });

  test('user text cannot inject links or mentions', () => {
    const m = slackMessage(sampleNotification({ alert: { summary: '<!channel> <https://evil.example|click> & more', labels: { team: '<@U123>' }, url: 'javascript:alert(1)' } }));
    const all = JSON.stringify(m);
    assert.ok(!all.includes('<!channel>') && !all.includes('<@U123>') && !all.includes('<https://evil'), all);
    assert.match(all, /&lt;!channel&gt; &lt;https:\/\/evil.example\|click&gt; &amp; more/);
    assert.ok(!m.blocks.some((b) => b.type === 'actions'), 'a javascript: URL must not become a button');
  });

  test('long texts stay within Block Kit limits', () => {
    const m = slackMessage(sampleNotification({ alert: { ruleName: 'R'.repeat(500), summary: 'S'.repeat(5000), labels: { big: 'L'.repeat(5000) } } }));
    const header = m.blocks[0]!;
    assert.ok(header.type === 'header' && header.text.text.length <= 150);
    const section = m.blocks[1]!;
    assert.ok(section.type === 'section' && section.text!.text.length <= 3000 && section.fields!.every((f) => f.text.length <= 2000));
  });
});

describe('slack notifier against a Slack-like receiver', () => {
  let slack: SlackReceiver;
  let config: SlackConfig;
  before(async () => {
    slack = await startSlackReceiver({ path: hookPath });
    config = slackNotifier.parseConfig({ url: `${slack.url}${hookPath}` });
  });
  afterEach(() => slack.reset());
  after(() => slack.close());

  for (const event of ['firing', 'acknowledged', 'resolved', 'test'] as AlertEvent[]) {
    test(`posts a valid ${event} message`, async () => {
      const n = sampleNotification({ event });
      const result = await slackNotifier.send(config, n, { now, timeoutMs: 2000, outbound: loopbackOutbound });
      assert.deepEqual(result, { ok: true, status: 200, classification: 'http_2xx', retryable: false });
      assert.equal(slack.messages.length, 1);
      assert.deepEqual(slack.messages[0], JSON.parse(JSON.stringify(slackMessage(n))));
      assert.equal(slack.received[0]!.path, hookPath);
    });
  }

  const failures: { name: string; step: Parameters<SlackReceiver['script']>[0]; status: number; retryable: boolean; retryAfterMs?: number }[] = [
    { name: '400 invalid_payload', step: { status: 400, body: 'invalid_payload' }, status: 400, retryable: false },
    { name: '403 action_prohibited', step: { status: 403, body: 'action_prohibited' }, status: 403, retryable: false },
    { name: '404 channel_not_found', step: { status: 404, body: 'channel_not_found' }, status: 404, retryable: false },
    { name: '410 channel_is_archived', step: { status: 410, body: 'channel_is_archived' }, status: 410, retryable: false },
    { name: '429 with Retry-After', step: { status: 429, headers: { 'retry-after': '30' }, body: 'rate_limited' }, status: 429, retryable: true, retryAfterMs: 30_000 },
    { name: '429 with an HTTP-date Retry-After', step: { status: 429, headers: { 'retry-after': new Date(now.getTime() + 90_000).toUTCString() } }, status: 429, retryable: true, retryAfterMs: 90_000 },
    { name: '500', step: { status: 500, body: 'internal_error' }, status: 500, retryable: true },
    { name: '503', step: 503, status: 503, retryable: true },
  ];
  for (const f of failures) {
    test(`${f.name} → ${f.retryable ? 'retryable' : 'permanent'}`, async () => {
      slack.script(f.step);
      const result = await slackNotifier.send(config, sampleNotification(), { now, timeoutMs: 2000, outbound: loopbackOutbound });
      assert.equal(result.ok, false);
      assert.equal(result.status, f.status);
      assert.equal(result.retryable, f.retryable);
      assert.equal(result.retryAfterMs, f.retryAfterMs);
      assert.equal(result.classification, f.status >= 500 ? 'http_5xx' : 'http_4xx');
      // The status alone: Slack's answer (invalid_payload, …) is not read into the result.
      assert.equal(result.error, `HTTP ${f.status}`);
    });
  }

  test('the receiver refuses what Slack refuses', async () => {
    const post = async (body: unknown): Promise<[number, string]> => {
      const res = await fetch(`${slack.url}${hookPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return [res.status, await res.text()];
    };
    assert.deepEqual(await post({}), [400, 'no_text']);
    assert.deepEqual(await post({ text: 'x', blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'no' } }] }), [400, 'invalid_blocks']);
    assert.deepEqual(await post({ blocks: [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }] }), [400, 'invalid_blocks']);
    assert.deepEqual(await post({ text: 'plain' }), [200, 'ok']);
  });

  test('a wrong webhook path gets 404, and neither the answer nor the URL token shows', async () => {
    const wrong = slackNotifier.parseConfig({ url: `${slack.url}/services/T0001/B0002/WRONGtoken1234567890` });
    const result = await slackNotifier.send(wrong, sampleNotification(), { now, timeoutMs: 2000, outbound: loopbackOutbound });
    assert.deepEqual(result, { ok: false, status: 404, classification: 'http_4xx', retryable: false, error: 'HTTP 404' });
    slack.script({ status: 500, body: `failed posting to ${slack.url}${hookPath} (${token})` });
    const echoed = await slackNotifier.send(config, sampleNotification(), { now, timeoutMs: 2000, outbound: loopbackOutbound });
    assert.deepEqual(echoed, { ok: false, status: 500, classification: 'http_5xx', retryable: true, error: 'HTTP 500' });
  });
});

describe('slack group message', () => {
  const text = (b: SlackBlock) => ('text' in b && b.text ? b.text.text : '');

  test('Alertmanager-style title, counts and receiver, one line per alert with its labels and value', () => {
    const n = groupNotification([{ labels: { host: 'web-1' } }, { labels: { host: 'web-2' }, value: 0.99, summary: 'cpu.usage{host=web-2} > 0.9' }]);
    const m = slackMessage(n);
    assert.equal(m.text, '🔴 [FIRING:2] High CPU (cpu.usage eu-west-1)');
    assert.deepEqual(m.blocks[0], { type: 'header', text: { type: 'plain_text', text: '🔴 [FIRING:2] High CPU (cpu.usage eu-west-1)', emoji: true } });
    assert.equal(text(m.blocks[1]!), '2 firing, 0 resolved · ops');
    const lines = text(m.blocks[2]!).split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^🔴 <https:\/\/iv\.example\.com\/alerts\/alr_1\|cpu\.usage\{host=web-1\} &gt; 0\.9 for 5m \(now 0\.97\)> — __name__=cpu\.usage, alertname=High CPU, host=web-1, region=eu-west-1 · value 0\.97$/);
    assert.match(lines[1]!, /host=web-2, .*· value 0\.99$/);
    assert.equal(slackProblem(JSON.parse(JSON.stringify(m))), null);
  });

  test('resolved group: ✅ [RESOLVED] title and every alert marked resolved', () => {
    const n = groupNotification([{ state: 'resolved', endsAt: '2024-05-01T12:00:00.000Z' }], 'resolved');
    const m = slackMessage(n);
    assert.equal(text(m.blocks[0]!), '✅ [RESOLVED] High CPU (cpu.usage web-1 eu-west-1)');
    assert.match(text(m.blocks[2]!), /^✅ /);
    assert.match(text(m.blocks[2]!), /· resolved <!date\^1714564800\^\{date_short_pretty\} \{time\}\|2024-05-01T12:00:00.000Z>$/);
  });

  test('a large group stays within Slack limits and says how many alerts it left out', () => {
    const n = groupNotification(Array.from({ length: 50 }, (_, i) => ({ labels: { host: `web-${i}` }, summary: `<!channel> ${'x'.repeat(200)}` })), 'firing', 7);
    const m = slackMessage(n);
    assert.equal(slackProblem(JSON.parse(JSON.stringify(m))), null);
    const all = m.blocks.map(text).join('\n');
    assert.equal((all.match(/host=web-/g) ?? []).length, maxGroupLines);
    assert.match(all, /… and 17 more alerts/);
    assert.ok(!all.includes('<!channel>'), 'user text cannot mention @channel');
  });

  test('posts a group message a Slack-like receiver accepts', async () => {
    const slack = await startSlackReceiver({ path: hookPath });
    try {
      const config = slackNotifier.parseConfig({ url: `${slack.url}${hookPath}` });
      const n = groupNotification([{ labels: { host: 'web-1' } }, { labels: { host: 'web-2' } }]);
      const result = await slackNotifier.send(config, n, { now, timeoutMs: 2000, outbound: loopbackOutbound });
      assert.deepEqual(result, { ok: true, status: 200, classification: 'http_2xx', retryable: false });
      assert.deepEqual(slack.messages, [JSON.parse(JSON.stringify(slackMessage(n)))]);
    } finally {
      await slack.close();
    }
  });
});
