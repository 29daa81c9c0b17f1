import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeNixtla, type FakeNixtla, type NixtlaReply } from '../../../test/helpers/nixtla-server.js';
import { BackendError, type BackendRequest, type Frequency } from '../backend.js';
import { createNixtlaBackend, type NixtlaOptions } from './nixtla-timegpt.js';

const key = 'nixtla-SECRET-0123456789abcdef';

/** An hourly-looking series with a daily cycle, a trend and deterministic noise. */
function series(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, t) => 100 + 10 * Math.sin((2 * Math.PI * t) / 24) + 0.1 * t + ((t * 7919) % 13) / 10);
}

function request(over: Partial<BackendRequest> = {}): BackendRequest {
  return { values: series(72), start: Date.UTC(2024, 0, 1), frequency: '1h', horizon: 12, levels: [80, 95], ...over };
}

/** Asserts a BackendError from this backend whose message matches and never contains the key. */
async function rejectsWith(promise: Promise<unknown>, message: RegExp, retryable = false): Promise<BackendError> {
  const e = await promise.then(
    () => assert.fail('expected a BackendError'),
    (err: unknown) => err,
  );
  assert.ok(e instanceof BackendError, String(e));
  assert.equal(e.backend, 'nixtla-timegpt');
  assert.match(e.message, message);
  assert.equal(e.retryable, retryable, e.message);
  assert.ok(!e.message.includes(key), `the key leaked: ${e.message}`);
  return e;
}

/** Turns the documented answer into a malformed one. */
function mangle(edit: (body: { mean: number[]; intervals: Record<string, unknown> }) => unknown) {
  return (_call: unknown, documented: NixtlaReply): NixtlaReply => {
    // A request the API would reject passes through unchanged, so the test fails on its message.
    if (documented === 'hang' || documented.status !== 200) return documented;
    return { status: 200, body: edit(structuredClone(documented.body) as { mean: number[]; intervals: Record<string, unknown> }) };
  };
}

describe('nixtla-timegpt backend against a local TimeGPT v2 server', () => {
  let server: FakeNixtla;
  const backend = (over: NixtlaOptions = {}) => createNixtlaBackend({ apiKey: key, baseUrl: server.url, retryBaseDelayMs: 1, timeoutMs: 2000, ...over });

  before(async () => {
    server = await startFakeNixtla(key);
  });
  afterEach(() => server.reset());
  after(() => server.close());

  test('sends the documented request and maps mean and intervals in request order', async () => {
    const req = request({ levels: [95, 80] });
    const result = await backend().forecast(req);

    assert.equal(server.calls.length, 1);
    const call = server.calls[0]!;
    assert.equal(call.method, 'POST');
    assert.equal(call.path, '/v2/forecast');
    assert.equal(call.headers.authorization, `Bearer ${key}`);
    assert.match(String(call.headers['content-type']), /^application\/json/);
    assert.deepEqual(call.body, {
      series: { y: Array.from(req.values), sizes: [72] },
      model: 'timegpt-1',
      h: 12,
      freq: 'h',
      level: [95, 80],
      clean_ex_first: true,
    });

    assert.equal(result.model, 'timegpt-1');
    // The server repeats the last day: values 48..59 of the input, so order and content went through.
    assert.deepEqual(Array.from(result.mean), Array.from(req.values.subarray(48, 60)));
    assert.deepEqual(
      result.intervals.map((i) => i.level),
      [95, 80],
    );
    const [i95, i80] = result.intervals;
    for (let t = 0; t < 12; t++) {
      assert.ok(i95!.lower[t]! < i80!.lower[t]! && i80!.lower[t]! < result.mean[t]! && result.mean[t]! < i80!.upper[t]! && i80!.upper[t]! < i95!.upper[t]!);
    }
    assert.ok(i95!.lower instanceof Float64Array && i95!.lower.length === 12);
  });

  test('unwraps {"data": …} and reads non-integer levels like "lo-99.5"', async () => {
    server.script((_call, documented) => ({ status: 200, body: { data: (documented as { body: unknown }).body } }));
    const result = await backend().forecast(request({ levels: [99.5, 50] }));
    assert.deepEqual((server.calls[0]!.body as { level: number[] }).level, [99.5, 50]);
    assert.deepEqual(
      result.intervals.map((i) => i.level),
      [99.5, 50],
    );
    assert.ok(result.intervals[0]!.upper[0]! > result.intervals[1]!.upper[0]!);
  });

  test('without levels: no level is sent and a null "intervals" is accepted', async () => {
    const result = await backend().forecast(request({ levels: [] }));
    assert.equal('level' in (server.calls[0]!.body as object), false);
    assert.deepEqual(result.intervals, []);
    assert.equal(result.mean.length, 12);
  });

  test('maps every frequency and switches to the long-horizon model past one season', async () => {
    const cases: [Frequency, string, number][] = [
      ['1m', 'min', 1440],
      ['5m', '5min', 288],
      ['1h', 'h', 24],
      ['1d', 'D', 7],
    ];
    const b = backend();
    for (const [frequency, freq, season] of cases) {
      for (const h of [Math.min(season, 720), season + 1]) {
        if (h > 720) continue; // one day of minutes is beyond maxHorizon: 1m never needs the long-horizon model
        server.reset();
        const result = await b.forecast(request({ frequency, horizon: h, values: series(2 * season) }));
        const body = server.calls[0]!.body as { freq: string; model: string; h: number };
        const want = h > season ? 'timegpt-1-long-horizon' : 'timegpt-1';
        assert.deepEqual({ freq: body.freq, model: body.model, h: body.h }, { freq, model: want, h }, `${frequency} h=${h}`);
        assert.equal(result.model, want);
        assert.equal(result.mean.length, h);
      }
    }
  });

  test('the model names can be overridden', async () => {
    server.always((call) => ({ status: 200, body: { mean: Array(25).fill(1), intervals: null, model: (call.body as { model: string }).model } }));
    const b = backend({ model: 'timegpt-1', longHorizonModel: 'timegpt-2-long' });
    const result = await b.forecast(request({ horizon: 25, levels: [] }));
    assert.equal((server.calls[0]!.body as { model: string }).model, 'timegpt-2-long');
    assert.equal(result.model, 'timegpt-2-long');
  });

  test('retries every transient status (408, 409, 429, 500, 502, 503, 504), then succeeds', async () => {
    const statuses = [408, 409, 429, 500, 502, 503, 504];
    server.script(...statuses.map((status) => ({ status, headers: status === 429 ? { 'retry-after': '0' } : undefined, body: { detail: 'busy' } })));
    const result = await backend({ maxRetries: statuses.length }).forecast(request());
    assert.equal(server.calls.length, statuses.length + 1);
    assert.equal(result.mean.length, 12);
  });

  test('retries 429 and 503, honouring Retry-After over the backoff', { timeout: 3000 }, async () => {
    // A 60 s backoff would time the test out: only Retry-After: 0 lets the retries happen at once.
    server.script({ status: 429, headers: { 'retry-after': '0' }, body: { detail: 'Too many requests' } }, { status: 503, headers: { 'retry-after': '0' } });
    const started = Date.now();
    const result = await backend({ retryBaseDelayMs: 60_000 }).forecast(request());
    assert.equal(server.calls.length, 3);
    assert.ok(Date.now() - started < 1000);
    assert.equal(result.model, 'timegpt-1');
  });

  test('never retries 400 or 422 and carries the upstream message', async () => {
    server.script({ status: 400, body: { detail: 'series too short for h=12' } });
    const e400 = await rejectsWith(backend().forecast(request()), /Nixtla rejected the request \(HTTP 400\): series too short for h=12/);
    assert.equal(e400.status, 400);
    assert.equal(server.calls.length, 1);

    server.reset();
    server.script({ status: 422, body: { detail: [{ loc: ['body', 'freq'], msg: 'Input should be a valid string', type: 'string_type' }] } });
    await rejectsWith(backend().forecast(request()), /HTTP 422\): body\.freq: Input should be a valid string/);
    assert.equal(server.calls.length, 1);
  });

  test('a wrong key (401) or a forbidden one (403) is not retried', async () => {
    // The server checks the bearer itself: this is its documented 401.
    const e = await rejectsWith(createNixtlaBackend({ apiKey: 'wrong-key', baseUrl: server.url }).forecast(request()), /^Nixtla rejected the API key \(HTTP 401\)$/);
    assert.equal(e.status, 401);
    assert.equal(server.calls.length, 1);

    server.reset();
    server.script({ status: 403, body: { detail: 'forbidden' } });
    await rejectsWith(backend().forecast(request()), /Nixtla rejected the API key \(HTTP 403\)/);
    assert.equal(server.calls.length, 1);
  });

  test('other 4xx are not retried either', async () => {
    server.script({ status: 404, body: { detail: 'Not Found' } });
    await rejectsWith(backend().forecast(request()), /HTTP 404\): Not Found/);
    assert.equal(server.calls.length, 1);
  });

  test('exhausted retries give a retryable BackendError with the last status', async () => {
    server.always({ status: 503, body: { detail: 'overloaded' } });
    const e = await rejectsWith(backend({ maxRetries: 2 }).forecast(request()), /failed after 3 attempts: HTTP 503: overloaded/, true);
    assert.equal(e.status, 503);
    assert.equal(server.calls.length, 3);
  });

  test('a malformed reply is an error, never repaired, and not retried', async () => {
    const cases: [string, ReturnType<typeof mangle> | NixtlaReply, RegExp][] = [
      ['short mean', mangle((b) => ({ ...b, mean: b.mean.slice(1) })), /"mean" has 11 values, expected 12/],
      ['missing level', mangle((b) => ({ ...b, intervals: { 'lo-80': b.intervals['lo-80'], 'hi-80': b.intervals['hi-80'] } })), /"lo-95" is missing/],
      ['NaN literal', { status: 200, body: '{"mean": [NaN], "intervals": null}' }, /not JSON/],
      ['null value', mangle((b) => ({ ...b, intervals: { ...b.intervals, 'hi-95': [null, ...(b.intervals['hi-95'] as number[]).slice(1)] } })), /"hi-95"\[0\] is not a finite number \(null\)/],
      ['string value', mangle((b) => ({ ...b, mean: ['1', ...b.mean.slice(1)] })), /"mean"\[0\] is not a finite number/],
      ['lower above upper', mangle((b) => ({ ...b, intervals: { ...b.intervals, 'lo-80': b.intervals['hi-80'], 'hi-80': b.intervals['lo-80'] } })), /"lo-80"\[0\] = .* is above "hi-80"\[0\]/],
      ['null intervals', mangle((b) => ({ ...b, intervals: null })), /"intervals" is missing/],
      ['not an object', { status: 200, body: [1, 2, 3] }, /not a JSON object/],
    ];
    for (const [label, step, message] of cases) {
      server.reset();
      server.script(step);
      await rejectsWith(backend().forecast(request()), new RegExp(`malformed forecast: .*${message.source}`));
      assert.equal(server.calls.length, 1, label);
    }
  });

  test('an attempt that never answers times out, is retried, then fails quickly', { timeout: 3000 }, async () => {
    server.always('hang');
    const started = Date.now();
    await rejectsWith(backend({ timeoutMs: 100, maxRetries: 2 }).forecast(request()), /failed after 3 attempts: timed out after 100 ms/, true);
    assert.equal(server.calls.length, 3);
    assert.ok(Date.now() - started < 2000);
  });

  test("the request's signal aborts a pending attempt and a backoff wait", { timeout: 3000 }, async () => {
    server.always('hang');
    const started = Date.now();
    await rejectsWith(backend({ timeoutMs: 10_000 }).forecast(request({ signal: AbortSignal.timeout(50) })), /aborted/);
    assert.equal(server.calls.length, 1);

    server.always({ status: 503 });
    await rejectsWith(backend({ retryBaseDelayMs: 60_000 }).forecast(request({ signal: AbortSignal.timeout(100) })), /aborted/);
    assert.equal(server.calls.length, 2);
    assert.ok(Date.now() - started < 2000);

    const aborted = new AbortController();
    aborted.abort();
    await rejectsWith(backend().forecast(request({ signal: aborted.signal })), /aborted/);
    assert.equal(server.calls.length, 2);
  });

  test('network errors are retried', async () => {
    const closed = await startFakeNixtla(key);
    await closed.close();
    await rejectsWith(backend({ baseUrl: closed.url, maxRetries: 1 }).forecast(request()), /failed after 2 attempts: network error: ECONNREFUSED/, true);
  });

  test('the key never appears in errors, even when the upstream echoes it', async () => {
    server.script({ status: 400, body: { detail: `bad request from ${key}` } });
    const e = await rejectsWith(backend().forecast(request()), /bad request from \[redacted\]/);
    assert.ok(!JSON.stringify(e).includes(key));

    server.always({ status: 503, body: `upstream saw Authorization: Bearer ${key}` });
    await rejectsWith(backend({ maxRetries: 1 }).forecast(request()), /Bearer \[redacted\]/, true);
  });

  test('bad levels and horizons are refused before any request', async () => {
    const b = backend();
    await rejectsWith(b.forecast(request({ levels: [80, 100] })), /level 100 is not a number in \(0, 100\)/);
    await rejectsWith(b.forecast(request({ levels: [0] })), /level 0/);
    await rejectsWith(b.forecast(request({ levels: [Number.NaN] })), /level NaN/);
    await rejectsWith(b.forecast(request({ horizon: 721 })), /horizon 721/);
    await rejectsWith(b.forecast(request({ horizon: 1.5 })), /horizon 1.5/);
    assert.equal(server.calls.length, 0);
  });
});

describe('nixtla-timegpt backend without a server', () => {
  test('is unavailable without a key and never calls out', async () => {
    const fetch = () => assert.fail('fetch must not be called');
    for (const apiKey of [undefined, '', '  ']) {
      const b = createNixtlaBackend({ apiKey, fetch });
      assert.deepEqual(b.availability(), { available: false, reason: 'NIXTLA_API_KEY is not set' });
      await rejectsWith(b.forecast(request()), /NIXTLA_API_KEY is not set/);
    }
    assert.deepEqual(createNixtlaBackend({ apiKey: key, fetch }).availability(), { available: true });
  });

  test('declares its capabilities and a history minimum that covers two seasons and the horizon', () => {
    const b = createNixtlaBackend({ apiKey: key });
    assert.equal(b.name, 'nixtla-timegpt');
    assert.deepEqual(b.capabilities, { frequencies: ['1m', '5m', '1h', '1d'], maxHorizon: 720, intervalLevels: 'any', anomalyDetection: false });
    assert.equal(b.minPoints('1h', 12), 48);
    assert.equal(b.minPoints('1h', 168), 24 + 168);
    assert.equal(b.minPoints('1d', 7), 24);
    assert.equal(b.minPoints('5m', 12), 576);
    assert.equal(b.minPoints('1m', 60), 2880);
    assert.ok(!b.description.includes(key));
  });
});
