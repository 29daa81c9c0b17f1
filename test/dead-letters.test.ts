import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runMaintenance } from '../src/jobs/maintenance.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError, countRows, day, daysAgo, hour, ingestOk, minute, postIngest, storedPoints, type Injected } from './helpers/ingest.js';
import { storeKinds } from './helpers/stores.js';

interface Letter {
  id: string;
  source: string;
  requestId: string | null;
  item: unknown;
  error: { code: string; message: string; field: string | null };
  attempts: number;
  receivedAt: string;
  updatedAt: string;
}
interface Page {
  items: Letter[];
  nextCursor: string | null;
}
interface ReprocessReply {
  stored: number;
  duplicates: number;
  failed: { id: string; code: string; message: string; field: string }[];
  notFound: string[];
}

const unknownId = '00000000-0000-4000-8000-000000000000';
const base = daysAgo(20);

for (const kind of storeKinds) {
  describe(`dead-letter queue over HTTP (${kind.name})`, () => {
    let t: TestApp;
    let offsetMs = 0;
    const clock = () => new Date(Date.now() + offsetMs);
    /** Runs `fn` with the app's clock moved by `ms`. */
    async function at<T>(ms: number, fn: () => Promise<T>): Promise<T> {
      offsetMs = ms;
      try {
        return await fn();
      } finally {
        offsetMs = 0;
      }
    }

    before(async () => {
      t = await startTestApp({ kind, now: clock });
    });
    after(async () => t.close());

    const org = async (name: string) => {
      const o = await t.newOrg(name);
      return { orgId: o.org.id, key: o.key };
    };
    const list = (key: string, query = ''): Promise<Injected> => t.app.inject({ method: 'GET', url: `/api/v1/dead-letters${query}`, headers: bearer(key) });
    const listOk = async (key: string, query = ''): Promise<Page> => {
      const r = await list(key, query);
      assert.equal(r.statusCode, 200, r.body);
      return r.json() as Page;
    };
    const getOne = (key: string, id: string) => t.app.inject({ method: 'GET', url: `/api/v1/dead-letters/${id}`, headers: bearer(key) });
    const del = (key: string, id: string) => t.app.inject({ method: 'DELETE', url: `/api/v1/dead-letters/${id}`, headers: bearer(key) });
    const reprocess = (key: string, body: unknown) => t.app.inject({ method: 'POST', url: '/api/v1/dead-letters/reprocess', headers: bearer(key), payload: body as object });
    const reprocessOk = async (key: string, body: unknown): Promise<ReprocessReply> => {
      const r = await reprocess(key, body);
      assert.equal(r.statusCode, 200, r.body);
      return r.json() as ReprocessReply;
    };
    /** Every page of the list, following nextCursor. */
    async function allPages(key: string, query: string): Promise<Page[]> {
      const pages: Page[] = [];
      let cursor: string | null = null;
      do {
        const page: Page = await listOk(key, `${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        pages.push(page);
        cursor = page.nextCursor;
        assert.ok(pages.length < 100, 'paging does not end');
      } while (cursor);
      return pages;
    }

    test('every rejected item is kept: raw item, error, source, request id, received time', async () => {
      const { key } = await org('kept');
      const receivedAt = new Date(Date.now() - 2 * hour);
      offsetMs = receivedAt.getTime() - Date.now();
      let r: Injected;
      try {
        r = await postIngest(
          t,
          {
            metrics: [
              { key: 'fine', value: 1, timestamp: base },
              { key: 'cpu', value: 'high', timestamp: base, dimensions: { host: 'a' }, extra: [1, { deep: true }] },
              'not an object',
            ],
            source: 'collector-1',
          },
          { key, headers: { 'x-request-id': 'client-req-42' } },
        );
      } finally {
        offsetMs = 0;
      }
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.headers['x-request-id'], 'client-req-42');
      const page = await listOk(key);
      assert.equal(page.items.length, 2);
      assert.equal(page.nextCursor, null);
      const byCode = Object.fromEntries(page.items.map((l) => [l.error.code, l]));
      const value = byCode.invalid_value!;
      assert.match(value.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(value.item, { key: 'cpu', value: 'high', timestamp: base, dimensions: { host: 'a' }, extra: [1, { deep: true }] });
      assert.equal(value.error.field, 'metrics[1].value');
      assert.equal(value.error.message, r.json().errors[0].message);
      assert.equal(value.source, 'collector-1');
      assert.equal(value.requestId, 'client-req-42');
      assert.equal(value.attempts, 1);
      assert.ok(Math.abs(new Date(value.receivedAt).getTime() - receivedAt.getTime()) < 5000, `received at the app's clock: ${value.receivedAt}`);
      assert.equal(value.updatedAt, value.receivedAt);
      const item = byCode.invalid_item!;
      assert.equal(item.item, 'not an object');
      assert.equal(item.error.field, 'metrics[2]');

      // One by id: the same object.
      const one = await getOne(key, value.id);
      assert.equal(one.statusCode, 200);
      assert.deepEqual(one.json(), value);

      // Without a source the source is "api"; the request id is the generated one echoed in x-request-id.
      const r2 = await postIngest(t, { metrics: [{ key: 'x', value: null, timestamp: base }] }, { key });
      const newest = (await listOk(key, '?limit=1')).items[0]!;
      assert.equal(newest.source, 'api');
      assert.equal(newest.requestId, r2.headers['x-request-id']);
      assert.match(String(r2.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    });

    test('filters: code, source, from and to (inclusive), combined', async () => {
      const { key } = await org('filters');
      const t0 = Date.now() - 3 * day;
      // Three requests on three days, from two sources.
      const send = (ms: number, source: string, metrics: unknown[]) => at(ms - Date.now(), () => ingestOk(t, metrics, { key, source }));
      await send(t0, 'alpha', [{ key: '1', value: 1, timestamp: base }, { key: 'a', value: 'x', timestamp: base }]);
      await send(t0 + day, 'beta', [{ key: 'a', value: 'y', timestamp: base }]);
      await send(t0 + 2 * day, 'alpha', [{ key: 'a', value: 1, timestamp: 'soon' }, { key: '2', value: 1, timestamp: base }]);
      const pick = async (query: string) => (await listOk(key, query)).items.map((l) => `${l.source}:${l.error.code}`).sort();

      assert.deepEqual(await pick(''), ['alpha:invalid_key', 'alpha:invalid_key', 'alpha:invalid_timestamp', 'alpha:invalid_value', 'beta:invalid_value']);
      assert.deepEqual(await pick('?code=invalid_value'), ['alpha:invalid_value', 'beta:invalid_value']);
      assert.deepEqual(await pick('?source=beta'), ['beta:invalid_value']);
      assert.deepEqual(await pick('?source=alpha&code=invalid_key'), ['alpha:invalid_key', 'alpha:invalid_key']);
      assert.deepEqual(await pick('?code=no_such_code'), []);
      const all = (await listOk(key)).items;
      const dayOf = (l: Letter) => Math.round((new Date(l.receivedAt).getTime() - t0) / day);
      const second = all.find((l) => dayOf(l) === 1)!;
      const exact = encodeURIComponent(second.receivedAt);
      assert.deepEqual(await pick(`?from=${exact}&to=${exact}`), ['beta:invalid_value'], 'from and to are inclusive');
      assert.deepEqual(await pick(`?from=${exact}`), ['alpha:invalid_key', 'alpha:invalid_timestamp', 'beta:invalid_value']);
      assert.deepEqual(await pick(`?to=${exact}`), ['alpha:invalid_key', 'alpha:invalid_value', 'beta:invalid_value']);
      // Epoch milliseconds work as well as ISO.
      assert.deepEqual(await pick(`?from=${new Date(second.receivedAt).getTime() + 1}&source=alpha`), ['alpha:invalid_key', 'alpha:invalid_timestamp']);
      assertError(await list(key, '?from=yesterday'), 400, 'validation_failed');
      assertError(await list(key, '?limit=0'), 400, 'validation_failed');
      assertError(await list(key, '?limit=1001'), 400, 'validation_failed');
      assertError(await list(key, '?colour=red'), 400, 'validation_failed');
    });

    test('cursor pagination: 25 items by 10, newest first, no repeats, no gaps, stable while items arrive', async () => {
      const { key } = await org('paging');
      // 12 items in one request (one received time: ties broken by id), 13 more one by one.
      const bad = (i: number) => ({ key: `bad key ${i}`, value: i, timestamp: base });
      await at(-hour, () => ingestOk(t, Array.from({ length: 12 }, (_, i) => bad(i)), { key, source: 'paged' }));
      for (let i = 12; i < 25; i++) await at(-hour + i * 1000, () => ingestOk(t, [bad(i)], { key, source: 'paged' }));

      const pages: Page[] = [];
      let cursor: string | null = null;
      do {
        const page: Page = await listOk(key, `?source=paged&limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        pages.push(page);
        cursor = page.nextCursor;
        // New rejected items arriving meanwhile are newer than every page: they shift nothing.
        await ingestOk(t, [bad(100 + pages.length)], { key, source: 'paged' });
      } while (cursor && pages.length < 10);
      assert.deepEqual(
        pages.map((p) => p.items.length),
        [10, 10, 5],
      );
      assert.equal(pages[2]!.nextCursor, null);
      const seen = pages.flatMap((p) => p.items);
      assert.equal(new Set(seen.map((l) => l.id)).size, 25, 'no repeats');
      assert.deepEqual(seen.map((l) => (l.item as { value: number }).value).sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i), 'no gaps');
      for (let i = 1; i < seen.length; i++) {
        const [a, b] = [seen[i - 1]!, seen[i]!];
        assert.ok(a.receivedAt > b.receivedAt || (a.receivedAt === b.receivedAt && a.id > b.id), 'newest first, then by id');
      }
      // The limit may change between pages; the filters may not.
      const first = await listOk(key, '?source=paged&limit=10');
      const cur = encodeURIComponent(first.nextCursor!);
      assert.equal((await list(key, `?source=paged&limit=3&cursor=${cur}`)).statusCode, 200);
      for (const other of ['', '?source=other', '?source=paged&code=invalid_key', `?source=paged&from=${encodeURIComponent(new Date(base).toISOString())}`]) {
        const err = assertError(await list(key, `${other}${other ? '&' : '?'}cursor=${cur}`), 400, 'invalid_cursor');
        assert.match(err.message, /different query/);
      }
      for (const garbage of ['garbage', 'e30', Buffer.from('{"r":"x","i":"y","q":"z"}').toString('base64url'), Buffer.from('[1,2]').toString('base64url'), '%00', 'x'.repeat(512)]) {
        assertError(await list(key, `?source=paged&cursor=${encodeURIComponent(garbage)}`), 400, 'invalid_cursor');
      }
      assertError(await list(key, `?source=paged&cursor=${'x'.repeat(513)}`), 400, 'validation_failed');
    });

    test('GET and DELETE by id: 204 then 404; unknown, malformed and other organisations’ ids', async () => {
      const a = await org('delete a');
      const b = await org('delete b');
      await ingestOk(t, [{ key: 'x', value: 'y', timestamp: base }, { key: 'x', value: 'z', timestamp: base }], { key: a.key });
      const [first, second] = (await listOk(a.key)).items;
      // Organisation b sees neither.
      assertError(await getOne(b.key, first!.id), 404, 'not_found');
      assertError(await del(b.key, first!.id), 404, 'not_found');
      assert.equal((await listOk(b.key)).items.length, 0);

      const d = await del(a.key, first!.id);
      assert.equal(d.statusCode, 204);
      assert.equal(d.body, '');
      assertError(await getOne(a.key, first!.id), 404, 'not_found');
      assertError(await del(a.key, first!.id), 404, 'not_found');
      assert.deepEqual((await listOk(a.key)).items.map((l) => l.id), [second!.id]);
      assertError(await getOne(a.key, unknownId), 404, 'not_found');
      assertError(await getOne(a.key, 'not-a-uuid'), 400, 'validation_failed');
      assertError(await del(a.key, 'not-a-uuid'), 400, 'validation_failed');
      // Scopes: reading needs read, deleting needs write.
      const reader = await t.newKey(['read'], a.orgId);
      const writer = await t.newKey(['write'], a.orgId);
      assertError(await del(reader.secret, second!.id), 403, 'insufficient_scope');
      assertError(await list(writer.secret), 403, 'insufficient_scope');
      assertError(await reprocess(reader.secret, { ids: [second!.id] }), 403, 'insufficient_scope');
      assert.equal((await getOne(reader.secret, second!.id)).statusCode, 200);
    });

    test('reprocess: corrected items are stored and leave the queue; the rest stay with the new error and attempts + 1', async () => {
      const { orgId, key } = await org('reprocess');
      await ingestOk(
        t,
        [
          { key: 'rp', value: 'one', timestamp: base },
          { key: 'rp', value: 'two', timestamp: base + minute },
          { key: 'rp', value: 'three', timestamp: base + 2 * minute },
          { key: 'rp', value: 'four', timestamp: base + 3 * minute },
        ],
        { key },
      );
      const letters = (await listOk(key)).items;
      const byValue = Object.fromEntries(letters.map((l) => [(l.item as { value: string }).value, l]));
      const [one, two, three, four] = [byValue.one!, byValue.two!, byValue.three!, byValue.four!];

      const r = await reprocessOk(key, {
        ids: [one.id, two.id, three.id, one.id, unknownId],
        corrections: {
          [one.id]: { key: 'rp', value: 1, timestamp: base },
          [two.id]: { key: 'rp', value: 2, timestamp: 'still not a time' },
          // A correction for an id not being reprocessed is ignored.
          [four.id]: { key: 'rp', value: 4, timestamp: base + 3 * minute },
        },
      });
      assert.equal(r.stored, 1);
      assert.equal(r.duplicates, 0);
      assert.deepEqual(r.notFound, [unknownId]);
      assert.deepEqual(
        r.failed.map((f) => [f.id, f.code, f.field]).sort(),
        [
          [two.id, 'invalid_timestamp', 'timestamp'],
          [three.id, 'invalid_value', 'value'],
        ].sort(),
      );
      for (const f of r.failed) assert.ok(f.message.length > 0);
      assert.deepEqual(
        (await storedPoints(t.sql, orgId)).map((p) => [p.ts, p.value]),
        [[base, 1]],
      );
      assertError(await getOne(key, one.id), 404, 'not_found');

      const twoNow = (await getOne(key, two.id)).json() as Letter;
      assert.equal(twoNow.attempts, 2);
      assert.deepEqual(twoNow.error, { code: 'invalid_timestamp', message: r.failed.find((f) => f.id === two.id)!.message, field: 'timestamp' });
      assert.deepEqual(twoNow.item, { key: 'rp', value: 2, timestamp: 'still not a time' }, 'the correction is kept for the next attempt');
      assert.equal(twoNow.receivedAt, two.receivedAt);
      assert.ok(twoNow.updatedAt >= two.updatedAt);
      const threeNow = (await getOne(key, three.id)).json() as Letter;
      assert.equal(threeNow.attempts, 2);
      assert.deepEqual(threeNow.item, three.item);
      const fourNow = (await getOne(key, four.id)).json() as Letter;
      assert.equal(fourNow.attempts, 1, 'not reprocessed');

      // Reprocessing the corrected item again (no new correction) uses the kept correction.
      const again = await reprocessOk(key, { ids: [two.id, three.id], corrections: { [three.id]: { key: 'rp', value: 3, timestamp: base + 2 * minute } } });
      assert.deepEqual([again.stored, again.failed.map((f) => f.id)], [1, [two.id]]);
      assert.equal(((await getOne(key, two.id)).json() as Letter).attempts, 3);
      assert.equal(await countRows(t.sql, 'dead_letters', orgId), 2);
      assert.equal(await countRows(t.sql, 'points', orgId), 2);
    });

    test('reprocess: an item matching a stored point counts as a duplicate and leaves the queue; the stored value is kept', async () => {
      const { orgId, key } = await org('reprocess dup');
      await ingestOk(t, [{ key: 'rd', value: 7, timestamp: base }, { key: 'rd', value: 'x', timestamp: base }, { key: 'rd', value: 'y', timestamp: base + 1 }], { key });
      const letters = (await listOk(key)).items;
      const corrections = Object.fromEntries(letters.map((l) => [l.id, { ...(l.item as object), value: 8 }]));
      const r = await reprocessOk(key, { ids: letters.map((l) => l.id), corrections });
      assert.deepEqual(r, { stored: 2, duplicates: 1, failed: [], notFound: [] });
      assert.deepEqual(
        (await storedPoints(t.sql, orgId)).map((p) => [p.ts - base, p.value]),
        [
          [0, 7],
          [1, 8],
        ],
      );
      assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0);
    });

    test('reprocess: concurrent calls for the same ids store and count each item once', async () => {
      const { orgId, key } = await org('reprocess race');
      await ingestOk(t, Array.from({ length: 20 }, (_, i) => ({ key: 'race', value: 'bad', timestamp: base + i })), { key });
      const letters = (await listOk(key)).items;
      const corrections = Object.fromEntries(letters.map((l) => [l.id, { ...(l.item as object), value: 1 }]));
      const replies = await Promise.all(Array.from({ length: 5 }, () => reprocessOk(key, { ids: letters.map((l) => l.id), corrections })));
      assert.equal(replies.reduce((n, r) => n + r.stored, 0), 20, JSON.stringify(replies.map((r) => r.stored)));
      for (const r of replies) assert.equal(r.stored + r.notFound.length, 20);
      assert.equal((await storedPoints(t.sql, orgId)).length, 20);
      assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0);
    });

    test('reprocess: an item too far in the future fails until the clock has moved, then is stored', async () => {
      const { orgId, key } = await org('reprocess skew');
      const ahead = Date.now() + 2 * hour;
      const r = await ingestOk(t, [{ key: 'future', value: 5, timestamp: ahead, dimensions: { dc: 'x' } }], { key });
      assert.equal(r.errors[0]!.code, 'timestamp_in_future');
      const [letter] = (await listOk(key, '?code=timestamp_in_future')).items;
      assert.ok(letter);
      const still = await reprocessOk(key, { ids: [letter.id] });
      assert.deepEqual([still.stored, still.failed.map((f) => f.code)], [0, ['timestamp_in_future']]);
      assert.equal(((await getOne(key, letter.id)).json() as Letter).attempts, 2);

      const later = await at(2 * hour, () => reprocessOk(key, { ids: [letter.id] }));
      assert.deepEqual(later, { stored: 1, duplicates: 0, failed: [], notFound: [] });
      assert.deepEqual(await storedPoints(t.sql, orgId), [{ key: 'future', dimensions: { dc: 'x' }, ts: ahead, value: 5 }]);
      assertError(await getOne(key, letter.id), 404, 'not_found');
    });

    test('reprocess: other organisations’ items are not found; bad requests are 400', async () => {
      const a = await org('reprocess a');
      const b = await org('reprocess b');
      await ingestOk(t, [{ key: 'iso', value: 'x', timestamp: base }], { key: a.key });
      const [letter] = (await listOk(a.key)).items;
      const r = await reprocessOk(b.key, { ids: [letter!.id], corrections: { [letter!.id]: { key: 'iso', value: 1, timestamp: base } } });
      assert.deepEqual(r, { stored: 0, duplicates: 0, failed: [], notFound: [letter!.id] });
      assert.equal(await countRows(t.sql, 'points', b.orgId), 0);
      assert.equal(await countRows(t.sql, 'points', a.orgId), 0);
      assert.equal(((await getOne(a.key, letter!.id)).json() as Letter).attempts, 1);

      for (const body of [
        {},
        { ids: [] },
        { ids: ['nope'] },
        { ids: [letter!.id], extra: true },
        { ids: [letter!.id], corrections: [] },
        { ids: [letter!.id], corrections: { 'not-a-uuid': {} } },
        { ids: Array.from({ length: 1001 }, () => unknownId) },
      ]) {
        const bad = await reprocess(a.key, body);
        assert.equal(bad.statusCode, 400, `${JSON.stringify(body).slice(0, 100)}: ${bad.body}`);
        assertError(bad, 400, 'validation_failed');
      }
      // A hostile correction is validated like any item and kept as JSON.
      const hostile = await reprocessOk(a.key, { ids: [letter!.id], corrections: { [letter!.id]: { key: 'a\u0000', value: 1, timestamp: base, junk: '\u0000' } } });
      assert.equal(hostile.failed[0]!.code, 'invalid_key');
      const kept = (await getOne(a.key, letter!.id)).json() as Letter;
      assert.deepEqual(kept.item, { key: 'a\ufffd', value: 1, timestamp: base, junk: '\ufffd' });
      assert.equal(kept.attempts, 2);
    });

    test('reprocess: ids and correction keys are UUIDs in any case', async () => {
      const { orgId, key } = await org('reprocess case');
      await ingestOk(t, [{ key: 'uc', value: 'x', timestamp: base }], { key });
      const [letter] = (await listOk(key)).items;
      const upper = letter!.id.toUpperCase();
      assert.equal((await getOne(key, upper)).statusCode, 200);
      const r = await reprocessOk(key, { ids: [upper, letter!.id], corrections: { [upper]: { key: 'uc', value: 1, timestamp: base } } });
      assert.deepEqual(r, { stored: 1, duplicates: 0, failed: [], notFound: [] });
      assert.deepEqual((await storedPoints(t.sql, orgId)).map((p) => p.value), [1]);
    });

    test('retention: the maintenance job removes letters received more than the retention ago, keeps newer ones', async () => {
      const { orgId, key } = await org('retention');
      const item = (n: number) => ({ key: `old ${n}`, value: n, timestamp: base });
      await at(-8 * day, () => ingestOk(t, [item(8)], { key }));
      await at(-6 * day, () => ingestOk(t, [item(6)], { key }));
      await at(-2 * day, () => ingestOk(t, [item(2)], { key }));
      await ingestOk(t, [item(0)], { key });
      const ages = async () => (await listOk(key)).items.map((l) => (l.item as { value: number }).value);
      assert.deepEqual(await ages(), [0, 2, 6, 8]);

      const r = await runMaintenance(t.sql, new Date(), { deadLetterRetentionDays: 7 });
      assert.ok(r.deletedDeadLetters >= 1);
      assert.deepEqual(await ages(), [0, 2, 6]);
      await runMaintenance(t.sql, new Date(), { deadLetterRetentionDays: 3 });
      assert.deepEqual(await ages(), [0, 2]);
      // Judged by when it was received, not by the item's own timestamp, and by the time given.
      await runMaintenance(t.sql, new Date(Date.now() + 2 * day), { deadLetterRetentionDays: 3 });
      assert.deepEqual(await ages(), [0]);
      assert.equal(await countRows(t.sql, 'dead_letters', orgId), 1);
    });
  });
}
