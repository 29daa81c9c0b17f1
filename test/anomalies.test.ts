import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError, ingestOk, minute, type Injected } from './helpers/ingest.js';
import { storeKinds } from './helpers/stores.js';

interface AnomalyReply {
  id: string | null;
  key: string | null;
  dimensions: Record<string, string> | null;
  timestamp: string;
  value: number;
  expected: number | null;
  score: number;
  severity: 'low' | 'medium' | 'high' | 'critical';
  methods: { name: string; score: number; weight: number; flagged: boolean }[];
  consensus: number;
  context: { before: { timestamp: string; value: number }[]; after: { timestamp: string; value: number }[]; stats: { mean: number; stdDev: number; min: number; max: number } | null };
}
interface DetectReply {
  anomalies: AnomalyReply[];
  scores?: number[];
  methods: { name: string; weight: number }[];
  threshold: number;
  pointsAnalysed: number;
}

const now = Date.UTC(2026, 10, 20, 12);
const n = 2000;
const step = 5 * minute;
const start = now - n * step;
/** 5-minute data with a daily cycle and deterministic noise; a spike at 1500 and a dip at 1700. */
function value(i: number): number {
  const base = 100 + 20 * Math.sin((2 * Math.PI * i) / 288) + 2 * Math.sin(i * 12.9898) * Math.cos(i * 4.1414);
  if (i === 1500) return base + 120;
  if (i === 1700) return base - 110;
  return base;
}
const spikeAt = new Date(start + 1500 * step).toISOString();
const dipAt = new Date(start + 1700 * step).toISOString();

for (const kind of storeKinds) {
  describe(`anomaly detection over HTTP (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ kind, now: () => new Date(now) });
      const metrics = Array.from({ length: n }, (_, i) => ({ key: 'api.latency', value: value(i), timestamp: start + i * step, dimensions: { host: 'web-1' } }));
      for (let i = 0; i < n; i += 1000) await ingestOk(t, metrics.slice(i, i + 1000));
      const flat = Array.from({ length: 600 }, (_, i) => ({ key: 'api.latency', value: 50 + Math.sin(i * 7.77) * 0.5, timestamp: start + i * step, dimensions: { host: 'web-2' } }));
      await ingestOk(t, flat);
    });
    after(async () => t.close());

    const post = (payload: object, key = t.adminKey): Promise<Injected> => t.app.inject({ method: 'POST', url: '/api/v1/anomalies/detect', headers: bearer(key), payload });
    const detectOk = async (payload: object): Promise<DetectReply> => {
      const r = await post(payload);
      assert.equal(r.statusCode, 200, r.body);
      return r.json() as DetectReply;
    };
    const get = (url: string) => t.app.inject({ method: 'GET', url, headers: bearer(t.adminKey) });
    const web1 = { key: 'api.latency', dimensions: { host: 'web-1' }, from: start, to: now };

    test('a stored series: the planted spike and dip are found, scored, explained and stored', async () => {
      const r = await detectOk({ ...web1, includeScores: true });
      assert.equal(r.pointsAnalysed, n);
      assert.equal(r.scores!.length, n);
      assert.ok(r.scores!.every((s) => s >= 0 && s <= 1));
      const at = new Map(r.anomalies.map((a) => [a.timestamp, a]));
      const spike = at.get(spikeAt);
      const dip = at.get(dipAt);
      assert.ok(spike && dip, `found ${r.anomalies.map((a) => a.timestamp).join(', ')}`);
      // Only the planted points (and at most a few neighbours a level-shift method may react to).
      assert.ok(r.anomalies.length <= 6, `${r.anomalies.length} anomalies`);
      for (const a of [spike, dip]) {
        assert.match(a.id!, /^[0-9a-f-]{36}$/);
        assert.deepEqual([a.key, a.dimensions], ['api.latency', { host: 'web-1' }]);
        assert.ok(a.score >= r.threshold && a.score <= 1);
        assert.ok(['medium', 'high', 'critical'].includes(a.severity), a.severity);
        assert.ok(a.consensus > 0 && a.consensus <= 1);
        assert.deepEqual(a.methods.map((m) => m.name).sort(), r.methods.map((m) => m.name).sort());
        assert.ok(a.methods.some((m) => m.flagged));
        const flaggedWeight = a.methods.filter((m) => m.flagged).reduce((s, m) => s + m.weight, 0);
        assert.ok(Math.abs(a.consensus - flaggedWeight / a.methods.reduce((s, m) => s + m.weight, 0)) < 1e-9);
        assert.equal(a.context.before.length, 10);
        assert.equal(a.context.after.length, 10);
        assert.ok(a.expected !== null && Math.abs(a.expected - (a.value > 150 ? value(1500) - 120 : value(1700) + 110)) < 15, `expected ${a.expected}`);
      }
      assert.ok(spike.value > spike.context.stats!.max);
      assert.equal(r.scores![1500], spike.score);

      const stored = await get(`/api/v1/anomalies/${spike.id}`);
      assert.equal(stored.statusCode, 200, stored.body);
      assert.deepEqual(stored.json(), spike);
      // Detecting again keeps the ids.
      const again = await detectOk(web1);
      assert.equal(again.anomalies.find((a) => a.timestamp === spikeAt)?.id, spike.id);
    });

    test('GET /api/v1/anomalies filters by key, dimensions, time and minimum severity, newest first, paged', async () => {
      const all = (await get('/api/v1/anomalies?key=api.latency')).json() as { items: AnomalyReply[]; nextCursor: string | null };
      assert.ok(all.items.length >= 2);
      const times = all.items.map((a) => Date.parse(a.timestamp));
      assert.deepEqual(times, [...times].sort((a, b) => b - a));
      const critical = (await get('/api/v1/anomalies?minSeverity=critical')).json().items as AnomalyReply[];
      assert.ok(critical.every((a) => a.severity === 'critical'));
      const high = (await get('/api/v1/anomalies?minSeverity=high')).json().items as AnomalyReply[];
      assert.ok(high.length >= critical.length && high.every((a) => a.severity === 'high' || a.severity === 'critical'));
      const window = (await get(`/api/v1/anomalies?from=${encodeURIComponent(spikeAt)}&to=${encodeURIComponent(spikeAt)}`)).json().items as AnomalyReply[];
      assert.deepEqual(window.map((a) => a.timestamp), [spikeAt]);
      assert.equal((await get(`/api/v1/anomalies?dimensions=${encodeURIComponent('{"host":"web-2"}')}`)).json().items.length, 0);
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page = (await get(`/api/v1/anomalies?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json() as { items: AnomalyReply[]; nextCursor: string | null };
        paged.push(...page.items.map((a) => a.id!));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(paged, all.items.map((a) => a.id));
      assertError(await get('/api/v1/anomalies?minSeverity=huge'), 400, 'validation_failed');
      assertError(await get('/api/v1/anomalies/00000000-0000-4000-8000-000000000000'), 404, 'not_found');
    });

    test('sensitivity: 0 finds nothing; more sensitivity never finds fewer', async () => {
      let previous = -1;
      for (const sensitivity of [0, 0.2, 0.5, 0.8, 1]) {
        const r = await detectOk({ ...web1, sensitivity });
        if (sensitivity === 0) assert.equal(r.anomalies.length, 0);
        assert.ok(r.anomalies.length >= previous, `sensitivity ${sensitivity}: ${r.anomalies.length} < ${previous}`);
        previous = r.anomalies.length;
      }
      const clean = await detectOk({ key: 'api.latency', dimensions: { host: 'web-2' }, from: start, to: now, sensitivity: 0.25 });
      assert.equal(clean.anomalies.length, 0, 'no false alarms on a clean series at the conservative sensitivity');
      const byDefault = await detectOk({ key: 'api.latency', dimensions: { host: 'web-2' }, from: start, to: now });
      assert.ok(byDefault.anomalies.every((a) => a.severity === 'low') && byDefault.anomalies.length <= 1, 'at most one low-severity point at the default');
    });

    test('online mode is causal: a prefix scores exactly as the start of the whole', async () => {
      const timestamps = Array.from({ length: 1200 }, (_, i) => start + i * step);
      const values = timestamps.map((_, i) => value(i + 400));
      const whole = await detectOk({ series: { timestamps, values }, mode: 'online', includeScores: true });
      const prefix = await detectOk({ series: { timestamps: timestamps.slice(0, 800), values: values.slice(0, 800) }, mode: 'online', includeScores: true });
      assert.deepEqual(prefix.scores, whole.scores!.slice(0, 800));
      // Inline data is not stored: no ids.
      assert.ok(whole.anomalies.length > 0);
      assert.ok(whole.anomalies.every((a) => a.id === null && a.key === null));
    });

    test('bad requests are 400s that say what is wrong', async () => {
      const inline = { timestamps: [0, 60_000, 120_000], values: [1, 2, 3] };
      const cases: [object, string, RegExp][] = [
        [{ series: inline }, 'insufficient_data', /needs at least \d+ points/],
        [{ ...web1, methods: [{ name: 'magic', weight: 1 }] }, 'validation_failed', /Unknown anomaly method .*magic/],
        [{ ...web1, methods: [{ name: 'robust-zscore', weight: 0 }] }, 'validation_failed', /sum to zero/],
        [{ ...web1, methods: [{ name: 'robust-zscore', weight: -1 }] }, 'validation_failed', /weight/],
        [{ ...web1, sensitivity: 1.5 }, 'validation_failed', /sensitivity/],
        [{ ...web1, mode: 'streaming' }, 'validation_failed', /mode/],
        [{ series: { timestamps: [1, 2], values: [1] } }, 'validation_failed', /pair up/],
        [{ series: { timestamps: [1], values: ['NaN'] } }, 'validation_failed', /values/],
        [{ sensitivity: 0.5 }, 'validation_failed', /key or series/],
        [{ ...web1, context: { before: -1, after: 1 } }, 'validation_failed', /context/],
      ];
      for (const [body, code, message] of cases) {
        const e = assertError(await post(body), 400, code);
        assert.match(JSON.stringify(e), message, JSON.stringify(body));
      }
      assertError(await post({ key: 'api.nothing' }), 404, 'not_found');
    });
  });
}
