import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError, daysAgo, hour, ingestOk, minute, postQuery, queryAll, type QueriedSeries } from './helpers/ingest.js';
import { storeKinds } from './helpers/stores.js';

interface CatalogEntry {
  key: string;
  dimensions: Record<string, string>;
  firstTimestamp: string | null;
  lastTimestamp: string | null;
  pointCount: number;
  bounds: { min: number; max: number } | null;
}
interface CatalogPage {
  series: CatalogEntry[];
  nextCursor: string | null;
}

const B = daysAgo(10); // midnight UTC
const iso = (ms: number) => new Date(ms).toISOString();
const s = 1000;

/** `key{a=1,b=2}@offset=value` lines of a query's pages, in page order. */
function flatten(pages: { series: QueriedSeries[] }[]): string[] {
  return pages.flatMap((p) => p.series.flatMap((x) => x.points.map((pt) => `${x.key}${JSON.stringify(x.dimensions)}@${Date.parse(pt.timestamp) - B}=${pt.value}`)));
}

for (const kind of storeKinds) {
  describe(`catalogue and queries over HTTP (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ kind });
    });
    after(async () => t.close());

    const org = async (name: string) => {
      const o = await t.newOrg(name);
      return { orgId: o.org.id, key: o.key };
    };
    const catalog = (key: string, query = '') => t.app.inject({ method: 'GET', url: `/api/v1/metrics${query}`, headers: bearer(key) });
    const catalogOk = async (key: string, query = ''): Promise<CatalogPage> => {
      const r = await catalog(key, query);
      assert.equal(r.statusCode, 200, r.body);
      return r.json() as CatalogPage;
    };
    const q = (apiKey: string, body: Record<string, unknown>) => postQuery(t, body, apiKey);
    const qOk = async (apiKey: string, body: Record<string, unknown>) => {
      const r = await q(apiKey, body);
      assert.equal(r.statusCode, 200, r.body);
      return r.json() as { series: QueriedSeries[]; nextCursor: string | null };
    };

    describe('GET /api/v1/metrics', () => {
      let key: string;
      let orgId: string;
      before(async () => {
        ({ key, orgId } = await org('catalogue'));
        await ingestOk(
          t,
          [
            { key: 'cpu.load', value: 1, timestamp: B + 2 * minute, dimensions: { host: 'web-1', region: 'eu' } },
            { key: 'cpu.load', value: 2, timestamp: B, dimensions: { host: 'web-1', region: 'eu' } },
            { key: 'cpu.load', value: 3, timestamp: B + minute, dimensions: { region: 'eu', host: 'web-1' } },
            { key: 'cpu.load', value: 4, timestamp: B + 5 * minute, dimensions: { host: 'web-2', region: 'eu' } },
            { key: 'cpu.load', value: 5, timestamp: B },
            { key: 'cpu.user', value: 6, timestamp: B + 7 * minute, dimensions: { host: 'web-1' } },
            { key: 'cpuX', value: 7, timestamp: B },
            { key: 'cpu_a', value: 8, timestamp: B },
            { key: 'mem', value: 9, timestamp: B + 3 * minute, dimensions: { host: 'web-1', region: 'us' } },
          ],
          { key },
        );
      });

      test('one entry per series: key, dimensions, first and last timestamp, point count; ordered by key', async () => {
        const page = await catalogOk(key);
        assert.equal(page.nextCursor, null);
        const entries = page.series.map((e) => `${e.key}${JSON.stringify(e.dimensions)}`);
        assert.deepEqual(
          [...entries].sort(),
          [
            'cpu.load{"host":"web-1","region":"eu"}',
            'cpu.load{"host":"web-2","region":"eu"}',
            'cpu.load{}',
            'cpu.user{"host":"web-1"}',
            'cpuX{}',
            'cpu_a{}',
            'mem{"host":"web-1","region":"us"}',
          ].sort(),
          'dimensions in any order are one series',
        );
        const keys = page.series.map((e) => e.key);
        const web1 = page.series.find((e) => e.key === 'cpu.load' && e.dimensions.host === 'web-1')!;
        assert.deepEqual(web1, { key: 'cpu.load', dimensions: { host: 'web-1', region: 'eu' }, firstTimestamp: iso(B), lastTimestamp: iso(B + 2 * minute), pointCount: 3, bounds: null });
        const bare = page.series.find((e) => e.key === 'cpu.load' && Object.keys(e.dimensions).length === 0)!;
        assert.deepEqual(bare, { key: 'cpu.load', dimensions: {}, firstTimestamp: iso(B), lastTimestamp: iso(B), pointCount: 1, bounds: null });
        // Ordered by key, in the database's collation.
        const runs = keys.filter((k, i) => k !== keys[i - 1]);
        const sorted = await t.sql.query<{ key: string }>('SELECT DISTINCT key FROM series WHERE org_id = $1 ORDER BY key', [orgId]);
        assert.deepEqual(runs, sorted.rows.map((r) => r.key));
      });

      test('a series without points lists null timestamps and a count of 0', async () => {
        await t.sql.query(`INSERT INTO series (org_id, key, dimensions) VALUES ($1, 'zz.empty', '{}')`, [orgId]);
        const page = await catalogOk(key, '?prefix=zz.');
        assert.deepEqual(page.series, [{ key: 'zz.empty', dimensions: {}, firstTimestamp: null, lastTimestamp: null, pointCount: 0, bounds: null }]);
      });

      test('prefix filter: literal, not a pattern', async () => {
        const names = async (prefix: string) => (await catalogOk(key, `?prefix=${encodeURIComponent(prefix)}`)).series.map((e) => e.key);
        assert.deepEqual(await names('cpu.'), ['cpu.load', 'cpu.load', 'cpu.load', 'cpu.user']);
        assert.deepEqual(await names('cpu_'), ['cpu_a'], '_ is not a wildcard');
        assert.deepEqual(await names('cpu%'), [], '% is not a wildcard');
        assert.deepEqual(await names('mem'), ['mem']);
        assert.deepEqual(await names('nothing'), []);
        assert.equal((await names('')).length, 8);
      });

      test('dimensions filter: a JSON object every listed series must include', async () => {
        const list = async (dims: unknown) => (await catalogOk(key, `?dimensions=${encodeURIComponent(JSON.stringify(dims))}`)).series.map((e) => `${e.key}${JSON.stringify(e.dimensions)}`).sort();
        assert.deepEqual(await list({ host: 'web-1' }), ['cpu.load{"host":"web-1","region":"eu"}', 'cpu.user{"host":"web-1"}', 'mem{"host":"web-1","region":"us"}']);
        assert.deepEqual(await list({ region: 'eu', host: 'web-1' }), ['cpu.load{"host":"web-1","region":"eu"}']);
        assert.deepEqual(await list({ host: 'web-3' }), []);
        assert.equal((await list({})).length, 8);
        const both = await catalogOk(key, `?prefix=cpu.&dimensions=${encodeURIComponent('{"region":"eu"}')}`);
        assert.equal(both.series.length, 2);
        for (const bad of ['{"host":', '["host"]', '"web-1"', '{"host":1}', '{"host":{"a":"b"}}', 'null']) {
          const err = assertError(await catalog(key, `?dimensions=${encodeURIComponent(bad)}`), 400, 'validation_failed');
          assert.deepEqual((err.details as { field: string }[])[0]!.field, 'querystring.dimensions', bad);
        }
      });

      test('cursor pagination: every series once; the cursor is tied to its filters', async () => {
        const pages: CatalogPage[] = [];
        let cursor: string | null = null;
        do {
          const page: CatalogPage = await catalogOk(key, `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          pages.push(page);
          cursor = page.nextCursor;
        } while (cursor && pages.length < 10);
        assert.deepEqual(
          pages.map((p) => p.series.length),
          [3, 3, 2],
        );
        const all = (await catalogOk(key)).series;
        assert.deepEqual(
          pages.flatMap((p) => p.series),
          all,
          'the pages are the unpaged listing, in order',
        );
        const cur = encodeURIComponent(pages[0]!.nextCursor!);
        assertError(await catalog(key, `?limit=3&prefix=cpu&cursor=${cur}`), 400, 'invalid_cursor');
        assertError(await catalog(key, `?limit=3&dimensions=${encodeURIComponent('{"host":"web-1"}')}&cursor=${cur}`), 400, 'invalid_cursor');
        assertError(await catalog(key, '?cursor=bm9wZQ'), 400, 'invalid_cursor');
        assertError(await catalog(key, `?cursor=${Buffer.from('{"k":1,"s":"x"}').toString('base64url')}`), 400, 'invalid_cursor');
        assertError(await catalog(key, '?limit=0'), 400, 'validation_failed');
        assertError(await catalog(key, '?limit=1001'), 400, 'validation_failed');
        assertError(await catalog(key, '?sort=key'), 400, 'validation_failed');
      });

      test('another organisation sees none of it', async () => {
        const other = await org('catalogue other');
        assert.deepEqual((await catalogOk(other.key)).series, []);
        await ingestOk(t, [{ key: 'cpu.load', value: 1, timestamp: B, dimensions: { host: 'web-1', region: 'eu' } }], { key: other.key });
        const mine = (await catalogOk(other.key)).series;
        assert.deepEqual(mine.map((e) => e.pointCount), [1]);
        assert.equal((await catalogOk(key, '?prefix=cpu.load')).series.find((e) => e.dimensions.host === 'web-1')!.pointCount, 3);
      });
    });

    describe('POST /api/v1/query: raw points', () => {
      let key: string;
      before(async () => {
        ({ key } = await org('raw query'));
        const metrics = [];
        for (let i = 0; i < 10; i++) {
          metrics.push({ key: 'lat', value: i, timestamp: B + i * minute, dimensions: { host: 'a', dc: 'x' } });
          metrics.push({ key: 'lat', value: 100 + i, timestamp: B + i * minute, dimensions: { host: 'b', dc: 'x' } });
          metrics.push({ key: 'lat', value: 200 + i, timestamp: B + i * minute, dimensions: { host: 'c', dc: 'y' } });
        }
        metrics.push({ key: 'lat', value: 0.1 + 0.2, timestamp: B + 30 * minute });
        metrics.push({ key: 'other', value: 1, timestamp: B + minute, dimensions: { host: 'a', dc: 'x' } });
        await ingestOk(t, metrics, { key });
      });

      test('one series, from and to inclusive, ISO or epoch ms', async () => {
        const r = await qOk(key, { key: 'lat', dimensions: { host: 'a' }, from: B + 2 * minute, to: iso(B + 5 * minute) });
        assert.equal(r.nextCursor, null);
        assert.deepEqual(r.series, [
          {
            key: 'lat',
            dimensions: { host: 'a', dc: 'x' },
            points: [2, 3, 4, 5].map((i) => ({ timestamp: iso(B + i * minute), value: i })),
          },
        ]);
        // One millisecond inside either bound drops the end points.
        const inner = await qOk(key, { key: 'lat', dimensions: { host: 'a' }, from: iso(B + 2 * minute + 1), to: B + 5 * minute - 1 });
        assert.deepEqual(inner.series[0]!.points.map((p) => p.value), [3, 4]);
        // from = to: one instant.
        const one = await qOk(key, { key: 'lat', dimensions: { host: 'a' }, from: B + 7 * minute, to: B + 7 * minute });
        assert.deepEqual(one.series[0]!.points, [{ timestamp: iso(B + 7 * minute), value: 7 }]);
        // Digits as a string are epoch milliseconds too.
        const digits = await qOk(key, { key: 'lat', dimensions: { host: 'a' }, from: String(B), to: String(B) });
        assert.deepEqual(digits.series[0]!.points.map((p) => p.value), [0]);
        // The stored double comes back exactly.
        const exact = await qOk(key, { key: 'lat', dimensions: {}, from: B + 30 * minute, to: B + 30 * minute });
        assert.deepEqual(exact.series, [{ key: 'lat', dimensions: {}, points: [{ timestamp: iso(B + 30 * minute), value: 0.1 + 0.2 }] }]);
      });

      test('dimensions match every series that includes the given pairs', async () => {
        const dc = await qOk(key, { key: 'lat', dimensions: { dc: 'x' }, from: B, to: B + minute });
        assert.deepEqual(
          dc.series.map((x) => [x.dimensions.host, x.points.map((p) => p.value)]).sort(),
          [
            ['a', [0, 1]],
            ['b', [100, 101]],
          ],
        );
        const all = await qOk(key, { key: 'lat', from: B, to: B });
        assert.equal(all.series.length, 3, 'no dimensions: every series of the key with points in range');
        assert.deepEqual((await qOk(key, { key: 'lat', dimensions: { dc: 'x', host: 'c' }, from: B, to: B + hour })).series, []);
        assert.deepEqual((await qOk(key, { key: 'nope', from: B, to: B + hour })).series, []);
        assert.deepEqual((await qOk(key, { key: 'lat', from: B - hour, to: B - 1 })).series, [], 'nothing in range');
        const other = await org('raw query other');
        assert.deepEqual((await qOk(other.key, { key: 'lat', from: B, to: B + hour })).series, [], 'another organisation sees nothing');
      });

      test('pagination with a small limit: pages split series and time, their union is the whole answer', async () => {
        const body = { key: 'lat', from: B, to: B + hour };
        const whole = await qOk(key, { ...body, limit: 10_000 });
        assert.equal(whole.nextCursor, null);
        const wholeLines = flatten([whole]);
        assert.equal(wholeLines.length, 31);
        const mine = await queryAll(t, { ...body, limit: 4 }, key);
        for (const page of mine) assert.ok(page.series.reduce((n, x) => n + x.points.length, 0) <= 4);
        assert.equal(mine.length, 8);
        assert.deepEqual(flatten(mine), wholeLines, 'same points, same order');

        const cur = mine[0]!.nextCursor!;
        for (const changed of [{ ...body, to: B + 2 * hour }, { ...body, dimensions: { dc: 'x' } }, { ...body, key: 'other' }, { ...body, step: '1m' }]) {
          assertError(await q(key, { ...changed, limit: 4, cursor: cur }), 400, 'invalid_cursor');
        }
        assert.equal((await q(key, { ...body, limit: 2, cursor: cur })).statusCode, 200, 'the limit may change');
        for (const garbage of ['x', 'e30', Buffer.from('{"s":"1","t":2}').toString('base64url'), Buffer.from('{"s":1.5,"t":2}').toString('base64url')]) {
          assertError(await q(key, { ...body, cursor: garbage }), 400, 'invalid_cursor');
        }
      });

      test('pages are stable while points arrive before, inside and after the range', async () => {
        const { key: k2 } = await org('stable paging');
        const from = B + hour;
        const to = B + 2 * hour;
        const initial = [];
        for (const host of ['a', 'b', 'c']) for (let i = 0; i <= 20; i++) initial.push({ key: 'st', value: i, timestamp: from + i * 3 * minute, dimensions: { host } });
        await ingestOk(t, initial, { key: k2 });
        const before = new Set(initial.map((m) => `${m.dimensions.host}@${m.timestamp}`));

        const seen: string[] = [];
        let cursor: string | undefined;
        let round = 0;
        do {
          const page = await qOk(k2, { key: 'st', from, to, limit: 5, ...(cursor ? { cursor } : {}) });
          for (const x of page.series) for (const p of x.points) seen.push(`${x.dimensions.host}@${Date.parse(p.timestamp)}`);
          cursor = page.nextCursor ?? undefined;
          round++;
          // Between pages: new points in the range's past and future (outside it), inside it
          // before and after the page just read, and a brand-new series.
          await ingestOk(
            t,
            [
              { key: 'st', value: -1, timestamp: from - round * minute, dimensions: { host: 'a' } },
              { key: 'st', value: -2, timestamp: to + round * minute, dimensions: { host: 'c' } },
              { key: 'st', value: -3, timestamp: from + round * 1000, dimensions: { host: 'a' } },
              { key: 'st', value: -4, timestamp: to - round * 1000, dimensions: { host: 'b' } },
              { key: 'st', value: -5, timestamp: from + round * 7000, dimensions: { host: `new-${round}` } },
            ],
            { key: k2 },
          );
        } while (cursor && round < 100);
        assert.equal(new Set(seen).size, seen.length, 'no point twice');
        for (const p of before) assert.ok(seen.includes(p), `missing ${p}`);
        for (const p of seen) {
          const ts = Number(p.split('@')[1]);
          assert.ok(ts >= from && ts <= to, `${p} is outside the range`);
        }
      });

      test('bad queries are 400 with the field named', async () => {
        const ok = { key: 'lat', from: B, to: B + minute };
        const cases: [Record<string, unknown>, string][] = [
          [{ ...ok, from: B + minute, to: B }, 'body.from'],
          [{ ...ok, key: '1lat' }, 'body.key'],
          [{ ...ok, key: undefined }, 'body.key'],
          [{ ...ok, from: undefined }, 'body.from'],
          [{ ...ok, from: 'yesterday' }, 'body.from'],
          [{ ...ok, to: '2026-02-30T00:00:00Z' + 'x' }, 'body.to'],
          [{ ...ok, to: 1e20 }, 'body.to'],
          [{ ...ok, from: { $gt: 0 } }, 'body.from'],
          [{ ...ok, limit: 0 }, 'body.limit'],
          [{ ...ok, limit: 10_001 }, 'body.limit'],
          [{ ...ok, step: '2m' }, 'body.step'],
          [{ ...ok, step: '1m', aggregation: 'median' }, 'body.aggregation'],
          [{ ...ok, aggregation: 'sum' }, 'body.aggregation'],
          // (Scalars are coerced to strings by the app-wide ajv setting; structures are not.)
          [{ ...ok, dimensions: { host: { a: 'b' } } }, 'body.dimensions.host'],
          [{ ...ok, dimensions: { host: 'x'.repeat(257) } }, 'body.dimensions.host'],
          [{ ...ok, dimensions: ['host'] }, 'body.dimensions'],
          [{ ...ok, dimensions: { 'bad name': 'x' } }, 'body.dimensions'],
          [{ ...ok, dimensions: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`d${i}`, 'v'])) }, 'body.dimensions'],
          [{ ...ok, select: '*' }, 'body.select'],
        ];
        for (const [body, field] of cases) {
          const r = await q(key, body);
          assert.equal(r.statusCode, 400, `${JSON.stringify(body)}: ${r.body}`);
          const err = assertError(r, 400, 'validation_failed');
          const fields = (err.details as { field: string }[]).map((d) => d.field);
          assert.ok(
            fields.some((f) => f.startsWith(field)),
            `${JSON.stringify(body)}: ${JSON.stringify(fields)}`,
          );
        }
        assertError(await t.app.inject({ method: 'POST', url: '/api/v1/query', headers: { ...bearer(key), 'content-type': 'application/json' }, payload: '{"key":' }), 400, 'invalid_json');
      });
    });

    test('hostile filters and bodies: a 4xx JSON error or an empty answer, never a 5xx', async () => {
      const { key } = await org('hostile filters');
      await ingestOk(t, [{ key: 'h', value: 1, timestamp: B, dimensions: { a: 'b' } }], { key });
      const catalogQueries = [
        `?prefix=${encodeURIComponent('h\u0000')}`,
        `?prefix=${encodeURIComponent("h' OR 1=1 --")}`,
        `?dimensions=${encodeURIComponent('{"a":"\\u0000"}')}`,
        `?dimensions=${encodeURIComponent('{"a\\u0000":"b"}')}`,
        `?dimensions=${encodeURIComponent(`${'['.repeat(5000)}${']'.repeat(5000)}`)}`,
        `?dimensions=${encodeURIComponent('{"__proto__":"x"}')}`,
        `?dimensions=${encodeURIComponent('{"a":"b","a":"c"}')}`,
        `?limit=${'9'.repeat(400)}`,
        `?cursor=${encodeURIComponent('\u0000')}`,
        '?prefix=a&prefix=b',
      ];
      for (const query of catalogQueries) {
        const r = await catalog(key, query);
        assert.ok(r.statusCode < 500, `${query}: ${r.statusCode} ${r.body}`);
        if (r.statusCode >= 400) assert.deepEqual(Object.keys(r.json()), ['error']);
        else assert.ok(Array.isArray(r.json().series));
      }
      const bodies: Record<string, unknown>[] = [
        { key: 'h', from: B, to: B, dimensions: { a: 'b\u0000' } },
        { key: 'h', from: B, to: B, dimensions: { 'a\u0000': 'b' } },
        { key: 'h\u0000', from: B, to: B },
        { key: 'h', from: -62_135_596_800_000, to: 253_402_300_799_999 },
        { key: 'h', from: -62_135_596_800_001, to: B },
        { key: 'h', from: '0001-01-01T00:00:00Z', to: '9999-12-31T23:59:59.999Z', step: '1d', aggregation: 'count' },
        { key: 'h', from: B, to: B, cursor: Buffer.from(JSON.stringify({ s: Number.MAX_SAFE_INTEGER, t: 8.64e15 + 1, q: 'x' })).toString('base64url') },
        { key: 'h', from: B, to: B, limit: 1e300 },
        { key: 'h', from: '1e999', to: B },
        { key: ['h'], from: B, to: B },
      ];
      for (const body of bodies) {
        const r = await q(key, body);
        assert.ok(r.statusCode < 500, `${JSON.stringify(body)}: ${r.statusCode} ${r.body}`);
        if (r.statusCode >= 400) assert.deepEqual(Object.keys(r.json()), ['error']);
      }
      const wide = await qOk(key, { key: 'h', from: -62_135_596_800_000, to: 253_402_300_799_999 });
      assert.deepEqual(wide.series[0]!.points, [{ timestamp: iso(B), value: 1 }], 'the widest range works');
      const counted = await qOk(key, { key: 'h', from: '0001-01-01T00:00:00Z', to: '9999-12-31T23:59:59.999Z', step: '1d', aggregation: 'count' });
      assert.deepEqual(counted.series[0]!.points, [{ timestamp: iso(B), value: 1 }]);
    });

    describe('POST /api/v1/query: step and aggregation', () => {
      let key: string;
      // Sent out of time order, so `last` must pick by time, not by arrival.
      const points: [number, number][] = [
        [50 * s, 6],
        [0, 1],
        [10 * s, 2],
        [60 * s, 10],
        [170 * s, 4],
        [150 * s, -4],
        [5 * minute + 1, 100],
      ];
      before(async () => {
        ({ key } = await org('aggregation'));
        await ingestOk(
          t,
          points.map(([at, value]) => ({ key: 'agg', value, timestamp: B + at, dimensions: { host: 'a' } })),
          { key },
        );
        // Another series of the same key and a point the day before (its own 1d bucket).
        await ingestOk(t, [{ key: 'agg', value: 1000, timestamp: B + 30 * s, dimensions: { host: 'b' } }, { key: 'agg', value: -7, timestamp: B - 1, dimensions: { host: 'a' } }], { key });
      });

      const expected: Record<string, Record<string, [number, number][]>> = {
        '1m': {
          avg: [[0, 3], [minute, 10], [2 * minute, 0], [5 * minute, 100]],
          min: [[0, 1], [minute, 10], [2 * minute, -4], [5 * minute, 100]],
          max: [[0, 6], [minute, 10], [2 * minute, 4], [5 * minute, 100]],
          sum: [[0, 9], [minute, 10], [2 * minute, 0], [5 * minute, 100]],
          count: [[0, 3], [minute, 1], [2 * minute, 2], [5 * minute, 1]],
          last: [[0, 6], [minute, 10], [2 * minute, 4], [5 * minute, 100]],
        },
        '5m': {
          avg: [[0, 19 / 6], [5 * minute, 100]],
          min: [[0, -4], [5 * minute, 100]],
          max: [[0, 10], [5 * minute, 100]],
          sum: [[0, 19], [5 * minute, 100]],
          count: [[0, 6], [5 * minute, 1]],
          last: [[0, 4], [5 * minute, 100]],
        },
        '1h': {
          avg: [[0, 17]],
          min: [[0, -4]],
          max: [[0, 100]],
          sum: [[0, 119]],
          count: [[0, 7]],
          last: [[0, 100]],
        },
      };

      for (const [step, byAgg] of Object.entries(expected)) {
        for (const [aggregation, buckets] of Object.entries(byAgg)) {
          test(`step ${step}, ${aggregation}`, async () => {
            const r = await qOk(key, { key: 'agg', dimensions: { host: 'a' }, from: B, to: B + hour - 1, step, aggregation });
            assert.equal(r.series.length, 1);
            const got = r.series[0]!.points.map((p) => [Date.parse(p.timestamp) - B, p.value] as [number, number]);
            assert.equal(got.length, buckets.length, JSON.stringify(got));
            for (let i = 0; i < buckets.length; i++) {
              assert.equal(got[i]![0], buckets[i]![0], `bucket ${i} start`);
              assert.ok(Math.abs(got[i]![1] - buckets[i]![1]) < 1e-9, `bucket ${i}: ${got[i]![1]} ≠ ${buckets[i]![1]}`);
            }
          });
        }
      }

      test('step 1d: buckets start at UTC midnight (binned from the epoch); the day before is its own bucket', async () => {
        const r = await qOk(key, { key: 'agg', dimensions: { host: 'a' }, from: B - hour, to: B + hour, step: '1d', aggregation: 'count' });
        assert.deepEqual(r.series[0]!.points, [
          { timestamp: iso(B - 86_400_000), value: 1 },
          { timestamp: iso(B), value: 7 },
        ]);
      });

      test('step without aggregation averages; from/to cut points before bucketing', async () => {
        const r = await qOk(key, { key: 'agg', dimensions: { host: 'a' }, from: B + 10 * s, to: B + 60 * s, step: '1m' });
        assert.deepEqual(
          r.series[0]!.points.map((p) => [Date.parse(p.timestamp) - B, p.value]),
          [
            [0, 4],
            [minute, 10],
          ],
        );
      });

      test('every matching series is aggregated on its own', async () => {
        const r = await qOk(key, { key: 'agg', from: B, to: B + hour, step: '1h', aggregation: 'sum' });
        assert.deepEqual(r.series.map((x) => [x.dimensions.host, x.points.map((p) => p.value)]).sort(), [
          ['a', [119]],
          ['b', [1000]],
        ]);
      });

      test('stepped pages never split a bucket and add up to the unpaged answer', async () => {
        const body = { key: 'agg', from: B - hour, to: B + hour, step: '1m', aggregation: 'sum' };
        const whole = await qOk(key, body);
        assert.equal(whole.nextCursor, null);
        const pages: { series: QueriedSeries[]; nextCursor: string | null }[] = [];
        let cursor: string | undefined;
        do {
          const page = await qOk(key, { ...body, limit: 1, ...(cursor ? { cursor } : {}) });
          pages.push(page);
          cursor = page.nextCursor ?? undefined;
        } while (cursor && pages.length < 20);
        assert.equal(pages.length, 6);
        assert.deepEqual(flatten(pages), flatten([whole]));
        // A cursor of a stepped query does not fit another aggregation.
        assertError(await q(key, { ...body, aggregation: 'max', cursor: pages[0]!.nextCursor }), 400, 'invalid_cursor');
      });
    });
  });
}
