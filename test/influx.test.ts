// Influx line protocol at POST /api/v2/write and /write, on both stores: the official InfluxDB
// client library writing points to a listening server, and raw line-protocol edge cases over HTTP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { HttpError, InfluxDB, Point, setLogger } from '@influxdata/influxdb-client';
import type { Sql } from '../src/store/sql.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError, countRows, daysAgo, hour, minute, storedPoints, type Injected } from './helpers/ingest.js';
import { storeKinds } from './helpers/stores.js';

const base = daysAgo(2);
/** The app's clock: points without a timestamp are stored at this time. */
const now = daysAgo(1) + 12 * hour;
const nsOf = (ms: number) => `${ms}000000`;

// The client logs refused writes to the console; the tests assert them from the errors instead.
const clientLog: string[] = [];
setLogger({ error: (message: string) => clientLog.push(message), warn: (message: string) => clientLog.push(message) });

interface PostOptions {
  url?: string;
  headers?: Record<string, string>;
  contentType?: string | null;
  key?: string | null;
}

function post(t: TestApp, body: string | Buffer, opts: PostOptions = {}): Promise<Injected> {
  const headers: Record<string, string> = { ...(opts.key === null ? {} : { authorization: `Token ${opts.key ?? t.adminKey}` }), ...opts.headers };
  if (opts.contentType !== null) headers['content-type'] = opts.contentType ?? 'text/plain; charset=utf-8';
  return t.app.inject({ method: 'POST', url: opts.url ?? '/api/v2/write?bucket=b', headers, payload: body });
}

function assertNoContent(r: Injected): void {
  assert.equal(r.statusCode, 204, r.body);
  assert.equal(r.body, '');
}

/** A 400 in InfluxDB's v2 shape; returns its message. */
function assertInvalid(r: Injected): string {
  assert.equal(r.statusCode, 400, r.body);
  assert.match(String(r.headers['content-type']), /application\/json/);
  const body = r.json() as { code: string; message: string };
  assert.deepEqual(Object.keys(body).sort(), ['code', 'message']);
  assert.equal(body.code, 'invalid');
  return body.message;
}

async function deadLetters(sql: Sql, orgId: string) {
  const r = await sql.query<{ source: string; source_id: string | null; raw: unknown; error_code: string; error_field: string; error_message: string }>(
    `SELECT source, source_id, raw, error_code, error_field, error_message FROM dead_letters WHERE org_id = $1 ORDER BY error_field, error_message`,
    [orgId],
  );
  return r.rows;
}

for (const kind of storeKinds) {
  describe(`Influx line protocol (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ kind, now: () => new Date(now) });
    });
    after(async () => t.close());

    /** A fresh organisation with its `*` key and slug. */
    async function fresh(name: string) {
      const o = await t.newOrg(name);
      return { orgId: o.org.id, key: o.key, slug: o.org.slug, name: o.org.name };
    }

    async function createSource(key: string, body: Record<string, unknown>): Promise<string> {
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/sources', headers: bearer(key), payload: body });
      assert.equal(r.statusCode, 201, r.body);
      return (r.json() as { id: string }).id;
    }

    describe('the official InfluxDB client library (@influxdata/influxdb-client)', () => {
      let url: string;
      before(async () => {
        url = await t.app.listen({ port: 0, host: '127.0.0.1' });
      });

      const options = { flushInterval: 0, maxRetries: 0, batchSize: 10_000 };

      test('writeApi(org, bucket, "ms"): tags, float/int/uint/bool fields and timestamps are stored exactly', async () => {
        const { orgId, key, slug } = await fresh('Influx Client');
        const api = new InfluxDB({ url, token: key }).getWriteApi(slug, 'telegraf', 'ms', options);
        api.useDefaultTags({ region: 'eu-west' });
        api.writePoint(new Point('cpu').tag('host', 'web 1').tag('cpu', 'cpu,0').floatField('usage_user', 12.5).intField('procs', 42).uintField('ctx', 7).booleanField('up', true).timestamp(new Date(base)));
        api.writePoint(new Point('cpu').tag('host', 'web 1').tag('cpu', 'cpu,0').floatField('usage_user', -0.25).booleanField('up', false).timestamp(new Date(base + minute)));
        api.writePoint(new Point('disk').tag('path', 'C:\\data=1, x').floatField('read_bytes', 1e3).timestamp(base + 2 * minute));
        await api.close();

        const dims = { host: 'web 1', cpu: 'cpu,0', region: 'eu-west' };
        const other: Sql = t.store.connectAgain ? await t.store.connectAgain() : t.sql;
        assert.deepEqual(await storedPoints(other, orgId), [
          { key: 'cpu.ctx', dimensions: dims, ts: base, value: 7 },
          { key: 'cpu.procs', dimensions: dims, ts: base, value: 42 },
          { key: 'cpu.up', dimensions: dims, ts: base, value: 1 },
          { key: 'cpu.up', dimensions: dims, ts: base + minute, value: 0 },
          { key: 'cpu.usage_user', dimensions: dims, ts: base, value: 12.5 },
          { key: 'cpu.usage_user', dimensions: dims, ts: base + minute, value: -0.25 },
          { key: 'disk.read_bytes', dimensions: { path: 'C:\\data=1, x', region: 'eu-west' }, ts: base + 2 * minute, value: 1000 },
        ]);
        assert.equal(await countRows(other, 'dead_letters', orgId), 0);
      });

      test('nanosecond precision (the default) in a batch of 400 points (over the client\'s 1 kB gzip threshold: sent gzip-encoded), second precision', async () => {
        const { orgId, key, slug } = await fresh('Influx Client ns');
        const db = new InfluxDB({ url, token: key });
        const ns = db.getWriteApi(slug, 'metrics', 'ns', options);
        for (let i = 0; i < 200; i++) ns.writePoint(new Point('mem').tag('host', `h${i % 4}`).floatField('used_percent', i / 8).intField('free', 1000 - i).timestamp(nsOf(base + i * 1000)));
        await ns.close();
        const s = db.getWriteApi(slug, 'metrics', 's', options);
        s.writePoint(new Point('load').floatField('avg1', 0.75).timestamp(String((base + 3 * hour) / 1000)));
        await s.close();

        const stored = await storedPoints(t.sql, orgId);
        assert.equal(stored.length, 401);
        assert.deepEqual(stored.filter((p) => p.key === 'mem.used_percent' && p.dimensions.host === 'h1').slice(0, 2), [
          { key: 'mem.used_percent', dimensions: { host: 'h1' }, ts: base + 1000, value: 1 / 8 },
          { key: 'mem.used_percent', dimensions: { host: 'h1' }, ts: base + 5000, value: 5 / 8 },
        ]);
        assert.deepEqual(stored.find((p) => p.key === 'mem.free' && p.ts === base + 199_000), { key: 'mem.free', dimensions: { host: 'h3' }, ts: base + 199_000, value: 801 });
        assert.deepEqual(stored.find((p) => p.key === 'load.avg1'), { key: 'load.avg1', dimensions: {}, ts: base + 3 * hour, value: 0.75 });
      });

      test('a point without a timestamp is stored at the time received', async () => {
        const { orgId, key, slug } = await fresh('Influx Client now');
        const api = new InfluxDB({ url, token: key }).getWriteApi(slug, 'b', 'ns', options);
        // The client stamps points with its own clock unless told to send none ('').
        api.writePoint(new Point('temp').floatField('c', 21.5).timestamp(''));
        await api.close();
        assert.deepEqual(await storedPoints(t.sql, orgId), [{ key: 'temp.c', dimensions: {}, ts: now, value: 21.5 }]);
      });

      test('a string field: the client gets 400 {"code":"invalid"} naming the line; the numbers of the batch are stored', async () => {
        const { orgId, key, slug } = await fresh('Influx Client strings');
        const api = new InfluxDB({ url, token: key }).getWriteApi(slug, 'b', 'ms', options);
        api.writePoint(new Point('svc').tag('name', 'api').floatField('latency', 0.5).stringField('status', 'degraded').timestamp(base));
        api.writePoint(new Point('svc').tag('name', 'db').floatField('latency', 0.25).timestamp(base));
        const err = await api.close().then(
          () => assert.fail('close() resolved'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof HttpError, String(err));
        assert.equal(err.statusCode, 400);
        assert.equal(err.json.code, 'invalid');
        assert.equal(err.json.message, 'partial write: 2 points stored, 1 rejected (kept in the dead-letter queue): line 1: field "status" is a string ("degraded"): only numbers and booleans are stored');
        assert.deepEqual(await storedPoints(t.sql, orgId), [
          { key: 'svc.latency', dimensions: { name: 'api' }, ts: base, value: 0.5 },
          { key: 'svc.latency', dimensions: { name: 'db' }, ts: base, value: 0.25 },
        ]);
        assert.deepEqual(
          (await deadLetters(t.sql, orgId)).map((l) => [l.source, l.error_code, l.raw]),
          [['b', 'unsupported_value', { line: 1, field: 'status', text: `svc,name=api latency=0.5,status="degraded" ${base}` }]],
        );
      });

      test('a wrong token: 401 in the platform\'s error shape, nothing stored', async () => {
        const { orgId, slug } = await fresh('Influx Client auth');
        const api = new InfluxDB({ url, token: `iv_${'x'.repeat(32)}` }).getWriteApi(slug, 'b', 'ms', options);
        api.writePoint(new Point('m').floatField('v', 1).timestamp(base));
        const err = await api.close().then(
          () => assert.fail('close() resolved'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof HttpError);
        assert.equal(err.statusCode, 401);
        assert.equal(err.json.error.code, 'invalid_api_key');
        assert.equal(await countRows(t.sql, 'points', orgId), 0);
      });
    });

    describe('raw line protocol over HTTP', () => {
      test('every type, escapes, comments, CRLF and unicode in one body; 204 with no body after commit', async () => {
        const { orgId, key } = await fresh('Influx raw');
        const body = [
          '# Telegraf-like batch',
          `cpu,host=web-1,cpu=cpu-total usage_user=1.5,usage_idle=98i,ctx=7u,up=T,down=FALSE ${nsOf(base)}`,
          '',
          `net,iface=eth\\ 0,path=a\\,b\\=c,emoji=🍭 bytes_recv=1e3 ${nsOf(base + minute)}`,
          `températ.ure v=-0.5 ${nsOf(base + 2 * minute)}`,
        ].join('\r\n');
        // "températ.ure" is no key the platform takes: refused by validation and named by its line, the rest stored.
        assert.equal(assertInvalid(await post(t, body, { key })), 'partial write: 6 points stored, 1 rejected (kept in the dead-letter queue): line 5: key "températ.ure.v" must match ^[A-Za-z_][A-Za-z0-9_.:-]{0,199}$');
        const other: Sql = t.store.connectAgain ? await t.store.connectAgain() : t.sql;
        assert.deepEqual(await storedPoints(other, orgId), [
          { key: 'cpu.ctx', dimensions: { host: 'web-1', cpu: 'cpu-total' }, ts: base, value: 7 },
          { key: 'cpu.down', dimensions: { host: 'web-1', cpu: 'cpu-total' }, ts: base, value: 0 },
          { key: 'cpu.up', dimensions: { host: 'web-1', cpu: 'cpu-total' }, ts: base, value: 1 },
          { key: 'cpu.usage_idle', dimensions: { host: 'web-1', cpu: 'cpu-total' }, ts: base, value: 98 },
          { key: 'cpu.usage_user', dimensions: { host: 'web-1', cpu: 'cpu-total' }, ts: base, value: 1.5 },
          { key: 'net.bytes_recv', dimensions: { iface: 'eth 0', path: 'a,b=c', emoji: '🍭' }, ts: base + minute, value: 1000 },
        ]);
        assert.deepEqual((await deadLetters(other, orgId)).map((l) => [l.source, l.error_code, l.error_field]), [['b', 'invalid_key', 'line 5.key']]);
      });

      test('bad lines: 400 {"code":"invalid"} naming each line in order, after the valid lines were committed; dead letters hold line and text', async () => {
        const { orgId, key } = await fresh('Influx bad lines');
        const body = ['m v=1 ' + nsOf(base), 'cpu', 'm v=2 ' + nsOf(base + minute), 'm,host=a v=abc', 'm v=3 1700000000', ''].join('\n');
        const message = assertInvalid(await post(t, body, { key }));
        assert.equal(
          message,
          'partial write: 2 points stored, 3 rejected (kept in the dead-letter queue): line 2: missing fields; line 4: field "v": value abc is not a number, boolean or quoted string; ' +
            'line 5: timestamp 1700000000 read as nanoseconds (1970-01-01T00:00:01.700Z) is outside 1973–9999: does precision= match the unit sent?',
        );
        assert.deepEqual((await storedPoints(t.sql, orgId)).map((p) => [p.key, p.ts, p.value]), [['m.v', base, 1], ['m.v', base + minute, 2]]);
        assert.deepEqual(
          (await deadLetters(t.sql, orgId)).map((l) => [l.source, l.source_id, l.error_code, l.error_field, l.raw]),
          [
            ['b', null, 'invalid_line', 'line 2', { line: 2, text: 'cpu' }],
            ['b', null, 'invalid_line', 'line 4', { line: 4, text: 'm,host=a v=abc' }],
            ['b', null, 'invalid_timestamp', 'line 5', { line: 5, text: 'm v=3 1700000000' }],
          ],
        );
      });

      test('nothing valid: 400 "nothing stored"; more than 10 errors are counted, not listed', async () => {
        const { orgId, key } = await fresh('Influx all bad');
        const message = assertInvalid(await post(t, Array.from({ length: 12 }, (_, i) => `bad${i}`).join('\n'), { key }));
        assert.match(message, /^nothing stored, 12 rejected \(kept in the dead-letter queue\): line 1: missing fields; line 2: missing fields; .*line 10: missing fields; and 2 more$/);
        assert.equal(await countRows(t.sql, 'points', orgId), 0);
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), 12);
      });

      test('an empty body or only comments: 204, nothing stored or queued', async () => {
        const { orgId, key } = await fresh('Influx empty');
        assertNoContent(await post(t, '', { key }));
        assertNoContent(await post(t, '# nothing\n\n', { key }));
        assertNoContent(await post(t, '', { key, contentType: null }));
        assert.equal(await countRows(t.sql, 'points', orgId), 0);
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0);
      });

      test('content types: text/plain (any charset), octet-stream, curl\'s form type and none are read; JSON is 415', async () => {
        const { orgId, key } = await fresh('Influx types');
        const types = ['text/plain', 'text/plain; charset=utf-8', 'application/octet-stream', 'application/x-www-form-urlencoded', null];
        for (const [i, contentType] of types.entries()) assertNoContent(await post(t, `m v=${i} ${nsOf(base + i * minute)}`, { key, contentType }));
        assert.deepEqual((await storedPoints(t.sql, orgId)).map((p) => p.value), [0, 1, 2, 3, 4]);
        assertError(await post(t, '{"m": 1}', { key, contentType: 'application/json' }), 415, 'unsupported_media_type');
      });

      test('gzip-encoded bodies are read; a corrupt one is 400 bad_request in the platform shape, nothing stored', async () => {
        const { orgId, key } = await fresh('Influx gzip');
        assertNoContent(await post(t, gzipSync(`m v=1 ${nsOf(base)}\nm v=2 ${nsOf(base + minute)}`), { key, headers: { 'content-encoding': 'gzip' } }));
        assert.equal(await countRows(t.sql, 'points', orgId), 2);
        const bad = gzipSync(`m v=3 ${nsOf(base + 2 * minute)}`).subarray(0, 12);
        assertError(await post(t, bad, { key, headers: { 'content-encoding': 'gzip' } }), 400, 'bad_request');
        assert.equal(await countRows(t.sql, 'points', orgId), 2);
      });

      test('precision: v2 ns|us|ms|s; v1 n|u|ms|s|m|h; another unit is 400 validation_failed', async () => {
        const { orgId, key } = await fresh('Influx precision');
        const at = base + 3 * hour; // a whole hour
        const v2: [string, string][] = [['ns', `${at}000000`], ['us', `${at}000`], ['ms', `${at}`], ['s', `${at / 1000}`]];
        for (const [p, ts] of v2) assertNoContent(await post(t, `v2_${p} v=1 ${ts}`, { key, url: `/api/v2/write?bucket=b&precision=${p}` }));
        const v1: [string, string][] = [['n', `${at}000000`], ['u', `${at}000`], ['ms', `${at}`], ['s', `${at / 1000}`], ['m', `${at / 60_000}`], ['h', `${at / 3_600_000}`]];
        for (const [p, ts] of v1) assertNoContent(await post(t, `v1_${p} v=1 ${ts}`, { key, url: `/write?db=b&precision=${p}` }));
        const stored = await storedPoints(t.sql, orgId);
        assert.equal(stored.length, 10);
        for (const s of stored) assert.equal(s.ts, at, s.key);

        // A unit the path does not know is a parameter error: the platform's shape, nothing stored.
        assertError(await post(t, 'm v=1', { key, url: '/api/v2/write?bucket=b&precision=h' }), 400, 'validation_failed');
        assertError(await post(t, 'm v=1', { key, url: '/write?db=b&precision=sec' }), 400, 'validation_failed');
        assert.equal(await countRows(t.sql, 'points', orgId), 10);
      });

      test('/write (1.x): bad lines answer {"error"} after the valid ones are stored', async () => {
        const { orgId, key } = await fresh('Influx v1 errors');
        const r = await post(t, `m v=1 ${nsOf(base)}\nm v=`, { key, url: '/write?db=telegraf&rp=autogen' });
        assert.equal(r.statusCode, 400);
        assert.deepEqual(r.json(), { error: 'partial write: 1 point stored, 1 rejected (kept in the dead-letter queue): line 2: field "v": no value' });
        assert.equal(await countRows(t.sql, 'points', orgId), 1);
      });

      test('the batch limit counts lines (1000 here); fields may make more points; beyond either: 413 in the platform shape, nothing stored', async () => {
        const { orgId, key } = await fresh('Influx limits');
        const line = (i: number, fields: number) => `m,i=${i} ${Array.from({ length: fields }, (_, f) => `f${f}=${f}`).join(',')} ${nsOf(base)}`;
        // 1000 lines × 3 fields = 3000 points: three times the item limit, stored whole.
        assertNoContent(await post(t, Array.from({ length: 1000 }, (_, i) => line(i, 3)).join('\n'), { key }));
        assert.equal(await countRows(t.sql, 'points', orgId), 3000);
        const lines = assertError(await post(t, Array.from({ length: 1001 }, (_, i) => line(5000 + i, 1)).join('\n'), { key }), 413, 'batch_too_large');
        assert.deepEqual(lines.details, { max: 1000, received: 1001 });
        assert.match(lines.message, /at most 1000 lines, got 1001; nothing was stored/);
        const fields = assertError(await post(t, line(9999, 64_001), { key }), 413, 'batch_too_large');
        assert.deepEqual(fields.details, { max: 64_000, received: 64_001 });
        assert.equal(await countRows(t.sql, 'points', orgId), 3000);
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0);
      });

      test('a body over the body limit: 413 payload_too_large', async () => {
        const { orgId, key } = await fresh('Influx big body');
        assertError(await post(t, `m v=1 ${nsOf(base)}\n`.repeat(60_000), { key }), 413, 'payload_too_large');
        assert.equal(await countRows(t.sql, 'points', orgId), 0);
      });
    });

    describe('authentication', () => {
      test('Token and Bearer (v2); Basic with the key as password and ?u=&p= (v1); p is not read on v2', async () => {
        const { orgId, key } = await fresh('Influx auth');
        assertNoContent(await post(t, `a v=1 ${nsOf(base)}`, { key }));
        assertNoContent(await post(t, `b v=1 ${nsOf(base)}`, { key: null, headers: bearer(key) }));
        const basic = Buffer.from(`telegraf:${key}`).toString('base64');
        assertNoContent(await post(t, `c v=1 ${nsOf(base)}`, { key: null, url: '/write?db=x', headers: { authorization: `Basic ${basic}` } }));
        assertNoContent(await post(t, `d v=1 ${nsOf(base)}`, { key: null, url: `/write?db=x&u=telegraf&p=${key}` }));
        assert.deepEqual((await storedPoints(t.sql, orgId)).map((p) => p.key), ['a.v', 'b.v', 'c.v', 'd.v']);

        assertError(await post(t, 'e v=1', { key: null, url: `/api/v2/write?bucket=b&p=${key}` }), 401, 'missing_api_key');
        assertError(await post(t, 'e v=1', { key: null, url: '/write?db=x' }), 401, 'missing_api_key');
        assertError(await post(t, 'e v=1', { key: null, url: '/write?db=x', headers: { authorization: `Basic ${Buffer.from(`u:iv_${'y'.repeat(32)}`).toString('base64')}` } }), 401, 'invalid_api_key');
        assertError(await post(t, 'e v=1', { key: null, url: '/write?db=x&u=a&p=wrong' }), 401, 'invalid_api_key');
        const reader = await t.newKey(['read'], orgId);
        assertError(await post(t, 'e v=1', { key: reader.secret }), 403, 'insufficient_scope');
        assert.equal(await countRows(t.sql, 'points', orgId), 4);
      });

      test('request logs show neither ?p= nor the Basic credentials', async () => {
        const { key } = await fresh('Influx logs');
        const basic = Buffer.from(`telegraf:${key}`).toString('base64');
        assertNoContent(await post(t, `m v=1 ${nsOf(base)}`, { key: null, url: `/write?db=x&u=telegraf&p=${key}` }));
        assertNoContent(await post(t, `m v=2 ${nsOf(base)}`, { key: null, url: '/write?db=y', headers: { authorization: `Basic ${basic}` } }));
        const done = t.logs.lines.filter((l) => l.msg === 'request completed' && String(l.url).startsWith('/write?db='));
        assert.ok(done.some((l) => l.url === '/write?db=x&u=telegraf&p=…'), JSON.stringify(done.map((l) => l.url)));
        for (const line of t.logs.raw) {
          assert.ok(!line.includes(key), line);
          assert.ok(!line.includes(basic), line);
          assert.ok(!line.includes(key.slice(3)), line);
        }
      });

      test('org: the organisation\'s slug, name or id is accepted; another one is 403 forbidden, nothing stored', async () => {
        const { orgId, key, slug, name } = await fresh('Influx Org Check');
        for (const org of [slug, name, orgId, '']) assertNoContent(await post(t, `m v=1 ${nsOf(base)}`, { key, url: `/api/v2/write?org=${encodeURIComponent(org)}&bucket=b` }));
        const other = await fresh('Influx Org Other');
        const err = assertError(await post(t, `m v=2 ${nsOf(base + minute)}`, { key, url: `/api/v2/write?org=${other.slug}&bucket=b` }), 403, 'forbidden');
        assert.deepEqual(err.details, { org: other.slug });
        assertError(await post(t, `m v=2 ${nsOf(base + minute)}`, { key, url: `/api/v2/write?orgID=${other.orgId}&bucket=b` }), 403, 'forbidden');
        assert.equal(await countRows(t.sql, 'points', orgId), 1);
        assert.equal(await countRows(t.sql, 'points', other.orgId), 0);
      });
    });

    describe('sources', () => {
      test('the bucket names an influx source: its default dimensions apply (the point\'s own tags win) and its counters move', async () => {
        const { orgId, key } = await fresh('Influx source');
        const id = await createSource(key, { name: 'telegraf', kind: 'influx', defaultDimensions: { dc: 'fra', host: 'default' } });
        const r = await post(t, `cpu,host=web-1 usage=1 ${nsOf(base)}\nmem used=2 ${nsOf(base)}\nbad`, { key, url: '/api/v2/write?bucket=telegraf' });
        assertInvalid(r);
        assert.deepEqual(await storedPoints(t.sql, orgId), [
          { key: 'cpu.usage', dimensions: { dc: 'fra', host: 'web-1' }, ts: base, value: 1 },
          { key: 'mem.used', dimensions: { dc: 'fra', host: 'default' }, ts: base, value: 2 },
        ]);
        assert.deepEqual((await deadLetters(t.sql, orgId)).map((l) => [l.source, l.source_id]), [['telegraf', id]]);
        const s = (await t.app.inject({ method: 'GET', url: `/api/v1/sources/${id}`, headers: bearer(key) })).json() as { stats: { pointsAccepted: number; pointsRejected: number; lastError: string } };
        assert.equal(s.stats.pointsAccepted, 2);
        assert.equal(s.stats.pointsRejected, 1);
        assert.match(s.stats.lastError, /line 3: missing fields/);
      });

      test('?source= and /write\'s db name sources too; a bucket no source has is only a label', async () => {
        const { orgId, key } = await fresh('Influx source names');
        await createSource(key, { name: 'edge', kind: 'influx', defaultDimensions: { via: 'edge' } });
        assertNoContent(await post(t, `a v=1 ${nsOf(base)}`, { key, url: '/api/v2/write?bucket=unknown&source=edge' }));
        assertNoContent(await post(t, `b v=1 ${nsOf(base)}`, { key, url: '/write?db=edge' }));
        assertInvalid(await post(t, `c v=1 ${nsOf(base)}\nbad`, { key, url: '/api/v2/write?bucket=no-such-source' }));
        assert.deepEqual((await storedPoints(t.sql, orgId)).map((p) => [p.key, p.dimensions]), [['a.v', { via: 'edge' }], ['b.v', { via: 'edge' }], ['c.v', {}]]);
        assert.deepEqual((await deadLetters(t.sql, orgId)).map((l) => [l.source, l.source_id]), [['no-such-source', null]]);
      });

      test('a disabled source: 403 source_disabled; a webhook source: 400 source_kind_mismatch; an unknown ?source=: 404 (platform shape, nothing stored)', async () => {
        const { orgId, key } = await fresh('Influx source refusals');
        await createSource(key, { name: 'off', kind: 'influx', enabled: false });
        await createSource(key, { name: 'hook', kind: 'webhook' });
        assertError(await post(t, `m v=1 ${nsOf(base)}`, { key, url: '/api/v2/write?bucket=off' }), 403, 'source_disabled');
        assertError(await post(t, `m v=1 ${nsOf(base)}`, { key, url: '/api/v2/write?bucket=hook' }), 400, 'source_kind_mismatch');
        assertError(await post(t, `m v=1 ${nsOf(base)}`, { key, url: '/api/v2/write?bucket=b&source=nope' }), 404, 'source_not_found');
        assert.equal(await countRows(t.sql, 'points', orgId), 0);
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0);
      });

      test('a key bound to a source writes through it whatever the bucket says', async () => {
        const { orgId, key } = await fresh('Influx bound key');
        const id = await createSource(key, { name: 'bound', kind: 'influx', defaultDimensions: { team: 'ops' } });
        const created = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(key), payload: { name: 'telegraf', scopes: ['write'], sourceId: id } });
        assert.equal(created.statusCode, 201, created.body);
        const bound = (created.json() as { key: string }).key;
        assertNoContent(await post(t, `m v=1 ${nsOf(base)}`, { key: bound, url: '/api/v2/write?bucket=anything' }));
        assert.deepEqual((await storedPoints(t.sql, orgId)).map((p) => p.dimensions), [{ team: 'ops' }]);
      });
    });
  });
}
