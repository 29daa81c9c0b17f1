// Silence regexes through the real server on both stores: RE2 syntax and anchoring as Alertmanager's,
// refusals as 400 invalid_pattern with the engine's reason, and linear-time matching: the pattern that
// stalled the whole server for 29 s on 33 characters now evaluates at once on 1,024, by the API and by
// the background evaluator, while /healthz keeps answering.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tickAlertRules } from '../src/alert/pass/evaluator.js';
import { alertingDeps } from './helpers/alerting.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError, minute, type Injected } from './helpers/ingest.js';
import { storeKinds } from './helpers/stores.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0);

interface Pass {
  transitions: { alertId: string; from: string | null; to: string; dimensions: Record<string, string> }[];
}

for (const kind of storeKinds) {
  describe(`silence patterns (${kind.name})`, () => {
    let t: TestApp;
    let clock = T0;
    const now = () => new Date(clock);

    before(async () => {
      t = await startTestApp({ kind, now });
    });
    after(async () => t.close());

    const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown): Promise<Injected> =>
      t.app.inject({ method, url, headers: bearer(t.adminKey), ...(payload !== undefined ? { payload: payload as object } : {}) });
    const created = async (url: string, body: unknown): Promise<{ id: string; [k: string]: unknown }> => {
      const r = await call('POST', url, body);
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    };
    const ingest = async (key: string, hosts: string[]) => {
      const r = await call('POST', '/api/v1/ingest', { metrics: hosts.map((host) => ({ key, value: 5, timestamp: clock - 1000, dimensions: { host } })) });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().rejected, 0, r.body);
    };
    const evaluate = async (ruleId: string): Promise<Pass> => {
      const r = await call('POST', `/api/v1/alert-rules/${ruleId}/evaluate`);
      assert.equal(r.statusCode, 200, r.body);
      return r.json();
    };
    const outcome = (p: Pass) => p.transitions.map((x) => [x.dimensions.host, x.to]).sort();

    test('(?i)web-.* silences WEB-1 and web-2 but not xweb-1 (anchored, case-insensitive as in Alertmanager)', async () => {
      clock = T0;
      const rule = await created('/api/v1/alert-rules', { name: 'case', key: 'pat.case', condition: { kind: 'threshold', operator: 'gt', value: 1 } });
      const s = await created('/api/v1/silences', { matchers: ['host=~"(?i)web-.*"'], endsAt: clock + 3_600_000 });
      assert.deepEqual((s.matchers as { text: string; isRegex: boolean }[]).map((m) => [m.text, m.isRegex]), [['host=~"(?i)web-.*"', true]]);
      await ingest('pat.case', ['WEB-1', 'web-2', 'xweb-1', 'WEB']);
      const p = await evaluate(rule.id);
      assert.deepEqual(outcome(p), [['WEB', 'firing'], ['WEB-1', 'suppressed'], ['web-2', 'suppressed'], ['xweb-1', 'firing']]);
      const suppressed = (await call('GET', `/api/v1/alerts?state=suppressed&ruleId=${rule.id}`)).json().items as { silenceId: string }[];
      assert.deepEqual(suppressed.map((a) => a.silenceId), [s.id, s.id]);
      // A negative regex matcher: everything but db-* among the same alerts.
      const neg = await created('/api/v1/silences', { matchers: [{ name: 'host', value: '(?i)web.*', isRegex: true, isEqual: false }, 'alertname="case"'], endsAt: clock + 3_600_000 });
      clock += minute;
      await ingest('pat.case', ['WEB-1', 'web-2', 'xweb-1', 'WEB']);
      const p2 = await evaluate(rule.id);
      assert.deepEqual(outcome(p2), [['xweb-1', 'suppressed']]);
      for (const id of [s.id, neg.id]) assert.equal((await call('DELETE', `/api/v1/silences/${id}`)).statusCode, 204);
      assert.equal((await call('DELETE', `/api/v1/alert-rules/${rule.id}`)).statusCode, 204);
    });

    test('patterns RE2 refuses are 400 invalid_pattern naming the field, with the reason; nothing is stored', async () => {
      const endsAt = clock + 3_600_000;
      const before = (await call('GET', '/api/v1/silences?limit=500')).json().items.length as number;
      const cases: [unknown[], string, RegExp][] = [
        [['host=~"(a)\\\\1"'], 'body.matchers[0].value', /backreferences are not supported/],
        [['env="prod"', 'host=~"web(?=-1)"'], 'body.matchers[1].value', /lookarounds are not supported/],
        [[{ name: 'host', value: '(?<!x)web', isRegex: true, isEqual: false }, 'env="prod"'], 'body.matchers[0].value', /lookarounds are not supported/],
        [['host=~"(web"'], 'body.matchers[0].value', /missing closing \)/],
        [['host=~"a{1001}"'], 'body.matchers[0].value', /invalid repeat count/],
      ];
      for (const [matchers, field, reason] of cases) {
        const e = assertError(await call('POST', '/api/v1/silences', { matchers, endsAt }), 400, 'invalid_pattern');
        assert.ok(e.message.startsWith(`${field} is not a valid RE2 pattern: `), e.message);
        assert.match(e.message, reason);
        const details = e.details as { field: string; message: string }[];
        assert.deepEqual(details.map((d) => d.field), [field]);
        assert.match(details[0]!.message, reason);
      }
      // Another problem in the same request is listed too.
      const both = assertError(await call('POST', '/api/v1/silences', { matchers: [{ name: '1bad', value: 'x' }, 'host=~"(a)\\\\1"'], endsAt }), 400, 'invalid_pattern');
      assert.deepEqual((both.details as { field: string }[]).map((d) => d.field), ['body.matchers[0].name', 'body.matchers[1].value']);
      assert.equal((await call('GET', '/api/v1/silences?limit=500')).json().items.length, before);
    });

    test('(a+)+$ against 1,024- and 256-character values evaluates promptly, by the API and the background evaluator; /healthz answers meanwhile', { timeout: 60_000 }, async () => {
      clock = T0 + 86_400_000;
      const host = `${'a'.repeat(255)}!`; // the longest dimension value ingest accepts
      const path = `${'a'.repeat(1023)}!`; // the longest rule label value
      const rule = await created('/api/v1/alert-rules', { name: 'redos', key: 'pat.redos', labels: { path }, condition: { kind: 'threshold', operator: 'gt', value: 1 } });
      const silences = [
        await created('/api/v1/silences', { matchers: ['host=~"(a+)+$"'], endsAt: clock + 3_600_000 }),
        await created('/api/v1/silences', { matchers: ['path=~"(a+)+$"'], endsAt: clock + 3_600_000 }),
        await created('/api/v1/silences', { matchers: ['path=~"(a|aa)+$"', 'host=~"(.*a){12}"'], endsAt: clock + 3_600_000 }),
      ];
      await ingest('pat.redos', [host, 'b']);

      // JavaScript's backtracking RegExp took 29 s for 33 characters, doubling with each one more.
      let healthMs = -1;
      const started = performance.now();
      const [pass, health] = await Promise.all([
        evaluate(rule.id),
        t.app.inject({ method: 'GET', url: '/healthz' }).then((r) => {
          healthMs = performance.now() - started;
          return r;
        }),
      ]);
      const passMs = performance.now() - started;
      assert.equal(health.statusCode, 200);
      assert.deepEqual(outcome(pass), [[host, 'firing'], ['b', 'firing']].sort());
      assert.ok(passMs < 2000, `evaluation took ${passMs} ms`);
      assert.ok(healthMs < 2000, `/healthz took ${healthMs} ms`);

      // The background evaluator runs the same matching every interval.
      clock += 5 * minute;
      await ingest('pat.redos', [host, 'b']);
      const tickStarted = performance.now();
      const tick = await tickAlertRules(alertingDeps(t.sql, now));
      assert.ok(tick.rules >= 1, JSON.stringify(tick));
      assert.ok(performance.now() - tickStarted < 2000, `tick took ${performance.now() - tickStarted} ms`);

      // A pattern that does match the long value silences it (matching really ran).
      const matching = await created('/api/v1/silences', { matchers: ['path=~"(a+)+!"', 'host=~"(a+)+!"'], endsAt: clock + 3_600_000 });
      clock += 5 * minute;
      await ingest('pat.redos', [host, 'b']);
      const p3 = await evaluate(rule.id);
      assert.deepEqual(outcome(p3), [[host, 'suppressed']]);
      const [alert] = (await call('GET', `/api/v1/alerts?state=suppressed&ruleId=${rule.id}`)).json().items as { silenceId: string }[];
      assert.equal(alert!.silenceId, matching.id);
      for (const s of [...silences, matching]) assert.equal((await call('DELETE', `/api/v1/silences/${s.id}`)).statusCode, 204);
      assert.equal((await call('DELETE', `/api/v1/alert-rules/${rule.id}`)).statusCode, 204);
    });
  });
}
