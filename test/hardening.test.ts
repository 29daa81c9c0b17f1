// Issue 11's findings, each through the real server on both stores: numbers that overflow a double are
// a 400 naming the field, bodies nested past the documented limit are a 400 before any handler runs,
// and stored extreme values (±1e308) never break a later read — figures come back finite or null
// with a reason.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { maxJsonDepth } from '../src/api/plugins/json-body.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError, countRows, hour, minute, postIngest, type Injected } from './helpers/ingest.js';
import { storeKinds } from './helpers/stores.js';

/** Every number in a JSON value is finite (JSON.parse cannot produce anything else, but a reply that was cut short could not parse). */
function numbersOf(v: unknown, out: number[] = []): number[] {
  if (typeof v === 'number') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => numbersOf(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => numbersOf(x, out));
  return out;
}

const nested = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

for (const kind of storeKinds) {
  describe(`hardening: numbers and shapes (${kind.name})`, () => {
    let t: TestApp;
    const send = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: string): Promise<Injected> =>
      t.app.inject({ method, url, headers: { ...bearer(t.adminKey), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, payload });
    const hourNow = Math.floor(Date.now() / hour) * hour;
    const timestamps = Array.from({ length: 96 }, (_, i) => hourNow - (96 - i) * hour);

    before(async () => {
      // The server's clock runs 4 h ahead, so points up to 4 h past the test's hour are not "in the future".
      t = await startTestApp({ kind, now: () => new Date(Date.now() + 4 * hour) });
    });
    after(async () => {
      await t?.close();
    });

    test('an inline forecast value of 1e999 (Infinity once parsed) is a 400 naming the field, for forecast, backtest and detection alike', async () => {
      const values = timestamps.map((_, i) => (i === 7 ? '1e999' : String(10 + (i % 24))));
      const series = `{"timestamps":${JSON.stringify(timestamps)},"values":[${values.join(',')}]}`;
      for (const [url, rest] of [
        ['/api/v1/forecast', '"frequency":"1h","horizon":5'],
        ['/api/v1/backtest', '"frequency":"1h","horizon":5'],
        ['/api/v1/anomalies/detect', '"sensitivity":0.5'],
      ] as const) {
        const r = await send('POST', url, `{"series":${series},${rest}}`);
        const e = assertError(r, 400, 'validation_failed');
        assert.deepEqual(e.details, [{ field: 'body.series.values[7]', message: 'must be a finite number (this one overflows a double)' }], url);
        assert.match(e.message, /body\.series\.values\[7\]/);
      }
      // -1e999 and a 400-digit integer overflow as well; a huge but finite exponent form does not.
      const r = await send('POST', '/api/v1/forecast', `{"series":{"timestamps":[${timestamps[0]},${timestamps[1]}],"values":[-1e999,1${'0'.repeat(400)}]},"frequency":"1h","horizon":1}`);
      assert.deepEqual(assertError(r, 400, 'validation_failed').details, [
        { field: 'body.series.values[0]', message: 'must be a finite number (this one overflows a double)' },
        { field: 'body.series.values[1]', message: 'must be a finite number (this one overflows a double)' },
      ]);
      const finiteEdge = await send('POST', '/api/v1/forecast', `{"series":{"timestamps":[${timestamps[0]}],"values":[1.7976931348623157e308]},"frequency":"1h","horizon":1}`);
      assert.notEqual(assertError(finiteEdge, 400, 'insufficient_data').code, 'validation_failed');
    });

    test('1e999 anywhere in any JSON body is a 400: an ingest batch is refused whole and stores nothing', async () => {
      const now = Date.now();
      const r = await postIngest(t, `{"metrics":[{"key":"h.ok","value":1,"timestamp":${now}},{"key":"h.inf","value":1e999,"timestamp":${now}}]}`);
      assert.deepEqual(assertError(r, 400, 'validation_failed').details, [{ field: 'body.metrics[1].value', message: 'must be a finite number (this one overflows a double)' }]);
      assert.equal(await countRows(t.sql, 'points', t.org.id), 0);
      // A string that looks like 1e999 is text, not a number: the item is refused on its own (invalid_value).
      const text = await postIngest(t, `{"metrics":[{"key":"h.text","value":"1e999","timestamp":${now}}]}`);
      assert.equal(text.statusCode, 200, text.body);
      assert.equal(text.json().errors[0].code, 'invalid_value');
    });

    test('an alert rule threshold of 1e999 is a 400 (it was stored as null and fired as "> null"); nothing is stored', async () => {
      const r = await send('POST', '/api/v1/alert-rules', '{"name":"inf","key":"h.cpu","condition":{"kind":"threshold","operator":"gt","value":1e999}}');
      assert.deepEqual(assertError(r, 400, 'validation_failed').details, [{ field: 'body.condition.value', message: 'must be a finite number (this one overflows a double)' }]);
      const list = await send('GET', '/api/v1/alert-rules?limit=100');
      assert.equal(list.json().items.filter((x: { name: string }) => x.name === 'inf').length, 0);
    });

    test('a query-string number that is not finite is a 400 (Infinity, 1e999, NaN)', async () => {
      for (const v of ['Infinity', '1e999', 'NaN', '-Infinity']) assertError(await send('GET', `/api/v1/forecasts?limit=${v}`), 400, 'validation_failed');
    });

    test(`a body nested deeper than ${maxJsonDepth} levels is a 400 json_too_deep before any handler runs; ${maxJsonDepth} levels pass`, async () => {
      const channel = await send('POST', '/api/v1/channels', JSON.stringify({ name: 'deep', type: 'webhook', config: { url: 'https://hooks.example.com/deep' } }));
      assert.equal(channel.statusCode, 201, channel.body);
      const id = channel.json().id as string;
      // The case: a PATCH whose config is nested 10,000 deep overflowed the stack (500).
      for (const depth of [10_000, maxJsonDepth + 1]) {
        const r = await send('PATCH', `/api/v1/channels/${id}`, `{"config":{"x":${nested(depth - 2)}}}`);
        const e = assertError(r, 400, 'json_too_deep');
        assert.deepEqual(e.details, { maxDepth: maxJsonDepth });
        assert.match(e.message, new RegExp(`deeper than ${maxJsonDepth} levels`));
      }
      // Exactly at the limit the parser lets it through: here the channel's notifier then refuses the field.
      const atLimit = await send('PATCH', `/api/v1/channels/${id}`, `{"config":{"x":${nested(maxJsonDepth - 2)}}}`);
      assert.equal(assertError(atLimit, 400, 'validation_failed').message, 'Invalid webhook channel configuration: config.x is not a known field');
      // …and an ingest item with a field 32 levels down is stored (unknown item fields are ignored).
      const item = `{"key":"h.deep","value":1,"timestamp":${Date.now()},"x":${nested(maxJsonDepth - 3)}}`;
      const stored = await postIngest(t, `{"metrics":[${item}]}`);
      assert.equal(stored.statusCode, 200, stored.body);
      assert.equal(stored.json().accepted, 1);
      assertError(await postIngest(t, `{"metrics":[${item.replace('"x":', '"x":{"a":')}}]}`), 400, 'json_too_deep');
      // Arrays count as levels too; the check runs before authentication of the body's route handler
      // and before the idempotency fingerprint of an ingest.
      const arrays = await postIngest(t, `{"metrics":[${'['.repeat(40)}${']'.repeat(40)}]}`, { headers: { 'idempotency-key': 'deep-1' } });
      assertError(arrays, 400, 'json_too_deep');
      // The limit is documented in the OpenAPI document.
      const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
      assert.match(doc.info.description, new RegExp(`at most ${maxJsonDepth} levels of nested objects and arrays`));
      // Brackets inside strings are text, not nesting.
      const inString = await postIngest(t, JSON.stringify({ metrics: [{ key: 'h.str', value: 1, timestamp: Date.now(), dimensions: { d: '['.repeat(200) } }] }));
      assert.equal(inString.statusCode, 200, inString.body);
      assert.equal(inString.json().accepted, 1);
    });

    test('the JSON parser keeps its other refusals: invalid JSON, an empty body, __proto__, the body limit', async () => {
      assertError(await send('POST', '/api/v1/query', '{"key":'), 400, 'invalid_json');
      assertError(await send('POST', '/api/v1/query', ''), 400, 'invalid_json');
      assertError(await send('POST', '/api/v1/query', '{"key":"a","__proto__":{"polluted":1}}'), 400, 'invalid_json');
      assertError(await send('POST', '/api/v1/query', '{"key":"a","constructor":{"prototype":{"polluted":1}}}'), 400, 'invalid_json');
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assertError(await send('POST', '/api/v1/query', `{"key":"${'x'.repeat(1024 * 1024)}"}`), 413, 'payload_too_large');
    });

    test('errors the router raises come in the catalog shape: an over-long id (414), a bad percent-encoding (400)', async () => {
      assertError(await send('GET', `/api/v1/channels/${'a'.repeat(150)}`), 414, 'uri_too_long');
      assertError(await send('GET', '/api/v1/channels/%E0%A4%A'), 400, 'bad_request');
    });

    describe('stored extreme values (±1e308)', () => {
      let forecastId: string;
      before(async () => {
        // A regular history, a forecast from it, then actuals of ±1e308 inside the forecast's window.
        const history = timestamps.map((ts, i) => ({ key: 'x.cpu', value: 10 + ((i % 24) + (i % 7)) / 1000, timestamp: ts }));
        assert.equal((await postIngest(t, { metrics: history })).statusCode, 200);
        const f = await send('POST', '/api/v1/forecast', JSON.stringify({ key: 'x.cpu', frequency: '1h', horizon: 24 }));
        assert.equal(f.statusCode, 200, f.body);
        forecastId = f.json().id;
        const start = Date.parse(f.json().points[0].timestamp);
        // Two points in one bucket (their sum overflows), then alternating signs (their differences do).
        const extremes = `[{"key":"x.cpu","value":1e308,"timestamp":${start}},{"key":"x.cpu","value":1.5e308,"timestamp":${start + minute}},{"key":"x.cpu","value":-1e308,"timestamp":${start + hour}},{"key":"x.cpu","value":1e308,"timestamp":${start + 2 * hour}}]`;
        const r = await postIngest(t, `{"metrics":${extremes}}`);
        assert.equal(r.json().accepted, 4, r.body);
      });

      test('GET /forecasts/:id/evaluation and GET /accuracy answer 200 on every call, each number finite or null with a reason', async () => {
        for (let i = 0; i < 2; i++) {
          const e = await send('GET', `/api/v1/forecasts/${forecastId}/evaluation`);
          assert.equal(e.statusCode, 200, e.body);
          const ev = e.json();
          assert.ok(numbersOf(ev).every(Number.isFinite));
          // Three buckets compared: 1.25e308 (two points whose sum overflows), -1e308, 1e308.
          assert.equal(ev.pointsCompared, 3, e.body);
          // Errors near 1e308: their mean and root mean square still fit a double (a plain sum of squares would not).
          assert.ok(ev.mae > 1e308 && ev.mae < 1.2e308, e.body);
          assert.ok(ev.rmse >= ev.mae && ev.rmse < 1.3e308, e.body);
          assert.ok(ev.smape > 190 && ev.smape <= 200, e.body);
          assert.ok(Math.abs(ev.mape - 100) < 1e-6, e.body);
          // MASE divides that by the history's seasonal error (about 0.003): beyond a double, so null with the reason.
          assert.equal(ev.mase, null);
          assert.match(ev.nullReasons.mase, /beyond the range of a double/);
          const a = await send('GET', '/api/v1/accuracy?key=x.cpu');
          assert.equal(a.statusCode, 200, a.body);
          assert.ok(numbersOf(a.json()).every(Number.isFinite));
          assert.equal(a.json().runs.length, 1);
        }
      });

      test('stepped queries: avg of values whose float8 sum overflows is exact; a sum beyond the double range is null with a reason', async () => {
        // Hourly buckets: the first two extremes (on the hour and a minute after) always share one, whatever
        // the time of day (daily buckets split the four points when they straddle midnight UTC).
        const body = (aggregation: string) => JSON.stringify({ key: 'x.cpu', from: timestamps[0], to: Date.now() + 5 * hour, step: '1h', aggregation });
        const avg = await send('POST', '/api/v1/query', body('avg'));
        assert.equal(avg.statusCode, 200, avg.body);
        const avgPoints = avg.json().series[0].points as { value: number | null }[];
        assert.ok(avgPoints.every((p) => typeof p.value === 'number' && Number.isFinite(p.value)), avg.body);
        const sum = await send('POST', '/api/v1/query', body('sum'));
        assert.equal(sum.statusCode, 200, sum.body);
        const sums = sum.json().series[0].points as { value: number | null; reason?: string }[];
        const overflowed = sums.filter((p) => p.value === null);
        assert.equal(overflowed.length, 1, sum.body); // the hour holding 1e308 + 1.5e308
        assert.match(overflowed[0]!.reason!, /exceeds the range of a double/);
        assert.ok(sums.every((p) => p.value === null || Number.isFinite(p.value)));
        const max = await send('POST', '/api/v1/query', body('max'));
        assert.equal(max.statusCode, 200, max.body);
      });

      test('anomalies detected among stored ±1e308 values list and read back with finite-or-null context statistics', async () => {
        const d = await send('POST', '/api/v1/anomalies/detect', JSON.stringify({ key: 'x.cpu', sensitivity: 1 }));
        assert.equal(d.statusCode, 200, d.body.slice(0, 300));
        assert.ok(d.json().anomalies.length > 0);
        const stats = d.json().anomalies.map((a: { context: { stats: unknown } }) => a.context.stats).filter(Boolean);
        assert.ok(stats.some((x: { stdDev: number | null }) => x.stdDev === null || x.stdDev > 1e307), JSON.stringify(stats).slice(0, 300));
        // A context stored with null figures (jsonb turns a non-finite number into null) still lists.
        await t.sql.query(`UPDATE anomalies SET context = jsonb_set(context, '{stats}', '{"mean":null,"stdDev":null,"min":null,"max":null}') WHERE org_id = $1`, [t.org.id]);
        const list = await send('GET', '/api/v1/anomalies?limit=1000');
        assert.equal(list.statusCode, 200, list.body.slice(0, 300));
        const first = list.json().items[0];
        assert.deepEqual(first.context.stats, { mean: null, stdDev: null, min: null, max: null });
        const one = await send('GET', `/api/v1/anomalies/${first.id}`);
        assert.equal(one.statusCode, 200, one.body.slice(0, 300));
      });

      test('a backtest and a forecast over alternating ±1e308 answer with a reply that serialises', async () => {
        const values = timestamps.map((_, i) => (i % 2 ? '1e308' : '-1e308'));
        const series = `{"timestamps":${JSON.stringify(timestamps)},"values":[${values.join(',')}]}`;
        for (const url of ['/api/v1/backtest', '/api/v1/forecast']) {
          const r = await send('POST', url, `{"series":${series},"frequency":"1h","horizon":5}`);
          assert.equal(r.statusCode, 200, `${url}: ${r.body.slice(0, 300)}`);
          const parsed = r.json();
          assert.ok(numbersOf(parsed).every(Number.isFinite), url);
        }
      });

      test('a rate-of-change rule over ±1e308 a minute apart fires, its rate reported as null (beyond a double) rather than breaking the pass', async () => {
        const now = Date.now() + 4 * hour; // the server's clock
        const r0 = await postIngest(t, `{"metrics":[{"key":"r.cpu","value":-1e308,"timestamp":${now - 2 * minute}},{"key":"r.cpu","value":1e308,"timestamp":${now - minute}}]}`);
        assert.equal(r0.json().accepted, 2, r0.body);
        const rule = await send('POST', '/api/v1/alert-rules', JSON.stringify({ name: 'fast', key: 'r.cpu', condition: { kind: 'rate_of_change', maxRate: 1e300, windowSeconds: 600 } }));
        assert.equal(rule.statusCode, 201, rule.body);
        const pass = await send('POST', `/api/v1/alert-rules/${rule.json().id}/evaluate`);
        assert.equal(pass.statusCode, 200, pass.body);
        const p = pass.json();
        assert.deepEqual(p.errors, []);
        assert.equal(p.series[0].status, 'firing');
        assert.equal(p.series[0].value, null);
        assert.match(p.series[0].summary, /rising at a rate beyond the range of a double/);
      });

      test('a threshold rule stored with a null value (before non-finite numbers were refused) is reported as broken, not fired', async () => {
        const rule = await send('POST', '/api/v1/alert-rules', JSON.stringify({ name: 'legacy', key: 'x.cpu', condition: { kind: 'threshold', operator: 'gt', value: 0 } }));
        assert.equal(rule.statusCode, 201, rule.body);
        const id = rule.json().id as string;
        await t.sql.query(`UPDATE alert_rules SET condition = jsonb_set(condition, '{value}', 'null') WHERE id = $1`, [id]);
        const pass = await send('POST', `/api/v1/alert-rules/${id}/evaluate`);
        assert.equal(pass.statusCode, 200, pass.body);
        assert.deepEqual(pass.json().transitions, []);
        assert.match(pass.json().errors.join(), /condition\.value is not a finite number/);
      });
    });
  });
}
