// The embedded store's binary reads (Sql.queryBinary through PGlite's raw protocol entry point):
// the values as PostgreSQL's binary send formats, errors as with query, the transaction's own view
// inside a transaction, and no interleaving with PGlite's own statements.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPglite } from '../src/store/pglite.js';
import type { Sql } from '../src/store/sql.js';
import { int8Of, WireError } from '../src/store/wire.js';

let sql: Sql;
before(async () => {
  sql = await openPglite();
  await sql.exec(`CREATE TABLE t (id int8 PRIMARY KEY, b bytea, x float8)`);
});
after(() => sql.close());

test('queryBinary returns int8, bytea and NULL columns as their binary send formats', async () => {
  const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 255);
  await sql.query(`INSERT INTO t VALUES (1, $1, 1.5), (4294967297, NULL, NULL)`, [bytes]);
  const rows = await sql.queryBinary!(`SELECT id, b, float8send(x) AS x FROM t WHERE id >= $1 ORDER BY id`, [1]);
  assert.equal(rows.length, 2);
  assert.equal(int8Of(rows[0]![0]!), 1);
  assert.deepEqual([...rows[0]![1]!], [...bytes]);
  assert.equal(Buffer.from(rows[0]![2]!).readDoubleBE(0), 1.5);
  assert.equal(int8Of(rows[1]![0]!), 4_294_967_297);
  assert.equal(rows[1]![1], null);
  // A bytea parameter goes in binary, numbers and text as text.
  const echo = await sql.queryBinary!(`SELECT $1::bytea, $2::text, ($3::float8 * 2)::int8`, [bytes, 'é', 21]);
  assert.deepEqual([...echo[0]![0]!], [...bytes]);
  assert.equal(Buffer.from(echo[0]![1]!).toString(), 'é');
  assert.equal(int8Of(echo[0]![2]!), 42);
  await sql.query(`DELETE FROM t`);
});

test('queryBinary: an error carries its SQLSTATE, and the store answers afterwards', async () => {
  await assert.rejects(sql.queryBinary!(`SELECT * FROM no_such_table`), (e: unknown) => e instanceof WireError && e.code === '42P01');
  await assert.rejects(sql.queryBinary!(`SELECT 1/0`), (e: unknown) => e instanceof WireError && e.code === '22012');
  assert.equal((await sql.query<{ n: number }>(`SELECT 1 AS n`)).rows[0]!.n, 1);
});

test('queryBinary inside a transaction sees its writes; a failure rolls the transaction back', async () => {
  await sql.transaction(async (tx) => {
    await tx.query(`INSERT INTO t VALUES (7, NULL, 2)`);
    const rows = await tx.queryBinary!(`SELECT count(*) FROM t`);
    assert.equal(int8Of(rows[0]![0]!), 1);
  });
  await assert.rejects(
    sql.transaction(async (tx) => {
      await tx.query(`INSERT INTO t VALUES (8, NULL, 3)`);
      await tx.queryBinary!(`SELECT 1/0`);
    }),
    WireError,
  );
  const ids = await sql.queryBinary!(`SELECT id FROM t ORDER BY id`);
  assert.deepEqual(ids.map((r) => int8Of(r[0]!)), [7]);
  await sql.query(`DELETE FROM t`);
});

test('queryBinary and query issued together do not interleave their protocol messages', async () => {
  await sql.query(`INSERT INTO t SELECT g, NULL, g FROM generate_series(1, 1000) g`);
  const work: Promise<unknown>[] = [];
  for (let i = 0; i < 20; i++) {
    work.push(sql.queryBinary!(`SELECT coalesce(sum(x), 0)::int8 FROM t WHERE id <= $1`, [i * 50]).then((r) => ['binary', i * 50, int8Of(r[0]![0]!)]));
    work.push(sql.query<{ s: number }>(`SELECT sum(x)::float8 AS s FROM t WHERE id <= $1`, [i * 40]).then((r) => ['text', i * 40, Number(r.rows[0]!.s ?? 0)]));
    work.push(sql.transaction(async (tx) => (await tx.queryBinary!(`SELECT count(*) FROM t WHERE id <= $1`, [i])).length));
  }
  // A binary read started a few microtasks into one of PGlite's statements (which awaits between its
  // protocol steps), at every offset up to well past its end.
  for (let ticks = 0; ticks < 40; ticks++) {
    const own = sql.query<{ s: number }>(`SELECT sum(x)::float8 AS s FROM t WHERE id <= $1`, [ticks]);
    for (let k = 0; k < ticks; k++) await Promise.resolve();
    const raw = sql.queryBinary!(`SELECT coalesce(sum(x), 0)::int8, $1::text FROM t WHERE id <= $2`, ['raw', 2 * ticks]);
    work.push(own.then((r) => ['text', ticks, Number(r.rows[0]!.s ?? 0)]));
    work.push(raw.then((r) => { assert.equal(Buffer.from(r[0]![1]!).toString(), 'raw'); return ['binary', 2 * ticks, int8Of(r[0]![0]!)]; }));
  }
  const sum = (n: number) => (n * (n + 1)) / 2;
  for (const r of await Promise.all(work)) {
    if (typeof r === 'number') assert.equal(r, 1);
    else {
      const [how, n, got] = r as [string, number, number];
      assert.equal(got, sum(n), `${how} ${n}`);
    }
  }
});
