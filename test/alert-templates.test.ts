// Alert annotation templates through the real server on both stores: a rule with a template that
// does not parse is refused with the field and the position; a rule whose summary and description
// use $labels, $value and pipes fires in a real pass, and the stored alert, the signed webhook and
// the Slack message at local receivers carry the rendered text.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deliverDue } from '../src/alert/delivery.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError, type Injected } from './helpers/ingest.js';
import { loopbackOutbound, startSlackReceiver, startWebhookReceiver, type SlackReceiver, type WebhookReceiver } from './helpers/receivers.js';
import { storeKinds } from './helpers/stores.js';

const T0 = Date.UTC(2026, 10, 20, 10, 0);
const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const slackPath = '/services/T0TPL/B0TPL/templatesecret';

interface Alert {
  id: string;
  state: string;
  summary: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  dimensions: Record<string, string>;
}

for (const kind of storeKinds) {
  describe(`alert templates (${kind.name})`, () => {
    let t: TestApp;
    const clock = T0;
    const now = () => new Date(clock);
    const instant = async () => undefined;
    let hook: WebhookReceiver;
    let slack: SlackReceiver;
    const channels: string[] = [];

    const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown): Promise<Injected> =>
      t.app.inject({ method, url, headers: bearer(t.adminKey), ...(payload !== undefined ? { payload: payload as object } : {}) });
    const ok = async <T>(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown): Promise<T> => {
      const r = await call(method, url, payload);
      assert.ok(r.statusCode >= 200 && r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
      return r.json() as T;
    };

    before(async () => {
      t = await startTestApp({ kind, now, alerting: { sleep: instant, outbound: loopbackOutbound } });
      [hook, slack] = await Promise.all([startWebhookReceiver(secret, { now }), startSlackReceiver({ path: slackPath })]);
      channels.push((await ok<{ id: string }>('POST', '/api/v1/channels', { name: 'hook', type: 'webhook', config: { url: `${hook.url}/hook`, secret } })).id);
      channels.push((await ok<{ id: string }>('POST', '/api/v1/channels', { name: 'slack', type: 'slack', config: { url: `${slack.url}${slackPath}` } })).id);
    });
    after(async () => {
      await Promise.all([hook.close(), slack.close()]);
      await t.close();
    });

    const base = { key: 'tmpl.cpu', condition: { kind: 'threshold', operator: 'gt', value: 0.9 } };

    test('a template that does not parse: 400 validation_failed naming the annotation and the position, on create and on change', async () => {
      const bad = await call('POST', '/api/v1/alert-rules', { ...base, name: 'bad', annotations: { summary: '{{ $value | humanise }}', runbook: 'https://wiki/cpu', description: 'Host {{ $labels.host }}\n{{ if }}' } });
      const e = assertError(bad, 400, 'validation_failed');
      assert.deepEqual(e.details, [
        { field: 'body.annotations.summary', message: 'template error at line 1, column 13: function "humanise" not defined', line: 1, column: 13 },
        { field: 'body.annotations.description', message: 'template error at line 2, column 7: missing value for if', line: 2, column: 7 },
      ]);
      assert.match(e.message, /annotations\.summary: template error at line 1, column 13: function "humanise" not defined/);
      for (const [annotation, reason] of [
        ['{{ $nope }}', 'undefined variable "$nope"'],
        ['{{ humanize 1 2 }}', 'wrong number of args for humanize: want 1 got 2'],
        ['{{ define "x" }}{{ end }}', '{{define}} is not supported'],
        ['{{ reReplaceAll "(" "" $labels.host }}', 'not a valid RE2 pattern'],
      ]) {
        const r = assertError(await call('POST', '/api/v1/alert-rules', { ...base, name: 'bad', annotations: { summary: annotation } }), 400, 'validation_failed');
        assert.match((r.details as { message: string }[])[0]!.message, new RegExp(reason!.replace(/[{}()$]/g, '\\$&')), annotation);
      }
      assert.deepEqual((await ok<{ items: unknown[] }>('GET', '/api/v1/alert-rules')).items, []);

      const rule = await ok<{ id: string; annotations: Record<string, string> }>('POST', '/api/v1/alert-rules', { ...base, name: 'editable', annotations: { summary: '{{ $labels.host }} is hot', note: 'plain text with { braces }' } });
      const patched = assertError(await call('PATCH', `/api/v1/alert-rules/${rule.id}`, { annotations: { summary: 'x {{ toUpper }}' } }), 400, 'validation_failed');
      assert.deepEqual(patched.details, [{ field: 'body.annotations.summary', message: 'template error at line 1, column 6: wrong number of args for toUpper: want 1 got 0', line: 1, column: 6 }]);
      assert.deepEqual((await ok<{ annotations: Record<string, string> }>('GET', `/api/v1/alert-rules/${rule.id}`)).annotations, { summary: '{{ $labels.host }} is hot', note: 'plain text with { braces }' });
      // A change that leaves the annotations alone is not checked against them again.
      assert.equal((await ok<{ enabled: boolean }>('PATCH', `/api/v1/alert-rules/${rule.id}`, { enabled: false })).enabled, false);
    });

    test('a firing rule renders summary and description from $labels, $value and pipes: stored alert, webhook and Slack carry the text', async () => {
      hook.reset();
      slack.reset();
      const rule = await ok<{ id: string }>('POST', '/api/v1/alert-rules', {
        ...base,
        name: 'templated',
        severity: 'critical',
        labels: { team: 'core' },
        channels,
        annotations: {
          summary: '{{ $labels.host | toUpper }} CPU at {{ $value | humanizePercentage }}',
          description: 'Host {{ $labels.host }} ({{ .Labels.team }}, {{ $labels.alertname }}) is at {{ printf "%.3f" $value }}{{ if gt $value 0.95 }} — critical{{ end }}',
          labelsSeen: '{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}',
          broken: 'value: {{ humanize $labels.missing }}',
          runbook: 'https://wiki/cpu',
        },
      });
      const ingest = await call('POST', '/api/v1/ingest', {
        metrics: [
          { key: 'tmpl.cpu', value: 0.9734, timestamp: clock - 1000, dimensions: { host: 'web-1' } },
          { key: 'tmpl.cpu', value: 0.1, timestamp: clock - 1000, dimensions: { host: 'web-2' } },
        ],
      });
      assert.equal(ingest.statusCode, 200, ingest.body);
      const pass = await ok<{ transitions: { alertId: string; to: string; summary: string; dimensions: Record<string, string> }[] }>('POST', `/api/v1/alert-rules/${rule.id}/evaluate`);
      assert.deepEqual(pass.transitions.map((x) => [x.dimensions.host, x.to, x.summary]), [['web-1', 'firing', 'WEB-1 CPU at 97.34%']]);
      await deliverDue({ sql: t.sql, now, sleep: instant, outbound: loopbackOutbound });

      const expected = {
        summary: 'WEB-1 CPU at 97.34%',
        description: 'Host web-1 (core, templated) is at 0.973 — critical',
        labelsSeen: '__name__=tmpl.cpu;alertname=templated;host=web-1;severity=critical;team=core;',
        // As Prometheus: a runtime error replaces the whole rendering.
        broken: '<error expanding template: line 1, column 11: error calling humanize: strconv.ParseFloat: parsing "": invalid syntax>',
        runbook: 'https://wiki/cpu',
      };
      const alerts = await ok<{ items: Alert[] }>('GET', `/api/v1/alerts?ruleId=${rule.id}`);
      assert.equal(alerts.items.length, 1);
      const alert = alerts.items[0]!;
      assert.deepEqual([alert.state, alert.summary, alert.annotations], ['firing', expected.summary, expected]);
      // The rule keeps its templates; only the alert carries renderings.
      const stored = await ok<{ annotations: Record<string, string> }>('GET', `/api/v1/alert-rules/${rule.id}`);
      assert.equal(stored.annotations.summary, '{{ $labels.host | toUpper }} CPU at {{ $value | humanizePercentage }}');

      assert.equal(hook.verified.length, 1, JSON.stringify(hook.refused));
      const sent = (hook.verified[0]!.body as { data: { alert: { summary: string; annotations: Record<string, string> } } }).data.alert;
      assert.deepEqual([sent.summary, sent.annotations], [expected.summary, expected]);

      assert.equal(slack.messages.length, 1);
      const message = JSON.stringify(slack.messages[0]);
      assert.ok(message.includes(expected.summary), message);
      assert.ok(message.includes('Host web-1 (core, templated) is at 0.973'), message);
      assert.ok(!message.includes('{{'), message);
    });
  });
}
