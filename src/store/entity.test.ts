import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineEntity, fromRow, keysExcept, pick, recordset, toReply, type WritableOf } from './entity.js';

interface Thing {
  id: string;
  seriesId: string | null;
  name: string;
  score: number | null;
  tags: Record<string, string>;
  count: number;
  at: Date;
  doneAt: Date | null;
}

const thing = defineEntity<Thing>()('things', {
  id: 'uuid',
  seriesId: 'bigint?',
  name: { kind: 'text', writable: true },
  score: { kind: 'float?', writable: true },
  tags: 'jsonb',
  count: { kind: 'int', column: 'n', writable: true },
  at: 'timestamptz',
  doneAt: { kind: 'timestamptz?', writable: true },
});

const at = new Date('2026-01-02T03:04:05.678Z');
const sample: Thing = { id: 'u1', seriesId: '42', name: 'a', score: 1.5, tags: { x: 'y' }, count: 3, at, doneAt: null };

test('the SELECT list is every column in field order; columns default to the snake_case name', () => {
  assert.equal(thing.table, 'things');
  assert.equal(thing.columns, 'id, series_id, name, score, tags, n, at, done_at');
  assert.deepEqual(thing.fields.doneAt, { column: 'done_at', kind: 'timestamptz', nullable: true, writable: true });
  assert.deepEqual(thing.fields.tags, { column: 'tags', kind: 'jsonb', nullable: false, writable: false });
});

test('the writable keys, at run time and in the type', () => {
  assert.deepEqual(thing.writable, ['name', 'score', 'count', 'doneAt']);
  const k: WritableOf<typeof thing>[] = ['name', 'score', 'count', 'doneAt'];
  // @ts-expect-error: id is not writable
  const bad: WritableOf<typeof thing> = 'id';
  assert.ok(k && bad);
});

test('a row maps to the domain object: bigint ids as strings, floats as numbers, nulls kept', () => {
  const row = { id: 'u1', series_id: 42n, name: 'a', score: '1.5', tags: { x: 'y' }, n: 3, at, done_at: null };
  assert.deepEqual(fromRow(thing, row), sample);
  assert.deepEqual(fromRow(thing, { ...row, series_id: null, score: null }), { ...sample, seriesId: null, score: null });
});

test('recordset lists and the JSON parameter', () => {
  const rs = recordset(thing, keysExcept(thing, ['id']));
  assert.equal(rs.columns, 'series_id, name, score, tags, n, at, done_at');
  assert.equal(rs.values, 'i.series_id, i.name, i.score, i.tags, i.n, i.at, i.done_at');
  assert.equal(rs.types, 'series_id bigint, name text, score float8, tags jsonb, n integer, at timestamptz, done_at timestamptz');
  assert.deepEqual(JSON.parse(rs.json([{ ...sample, score: Number.NaN }])), [{ series_id: '42', name: 'a', score: null, tags: { x: 'y' }, n: 3, at: at.toISOString(), done_at: null }]);
  const up = recordset(thing, thing.writable);
  assert.equal(up.sets, 'name = i.name, score = i.score, n = i.n, done_at = i.done_at');
  assert.deepEqual(JSON.parse(up.json([sample], () => ({ id: 'u1' }))), [{ id: 'u1', name: 'a', score: 1.5, n: 3, done_at: null }]);
});

test('the reply: field order, omitted keys left out, dates as ISO strings', () => {
  const r = toReply(thing, { ...sample, doneAt: at }, ['seriesId', 'count']);
  assert.equal(JSON.stringify(r), JSON.stringify({ id: 'u1', name: 'a', score: 1.5, tags: { x: 'y' }, at: at.toISOString(), doneAt: at.toISOString() }));
  const s: string = r.at;
  assert.ok(s);
});

test('pick copies the chosen properties', () => {
  assert.deepEqual(pick(sample, thing.writable), { name: 'a', score: 1.5, count: 3, doneAt: null });
});

test('the other kinds: serial as a number, epoch-ms timestamps, float arrays', () => {
  interface Other {
    n: number;
    startMs: number;
    levels: number[];
    ids: string[];
  }
  const other = defineEntity<Other>()('others', {
    n: 'serial',
    startMs: { kind: 'timestamptz_ms', column: 'start_at' },
    levels: 'float[]',
    ids: 'uuid[]',
  });
  assert.deepEqual(fromRow(other, { n: '7', start_at: at, levels: ['80', 95], ids: ['a'] }), { n: 7, startMs: at.getTime(), levels: [80, 95], ids: ['a'] });
  const rs = recordset(other, other.keys);
  assert.equal(rs.types, 'n bigint, start_at timestamptz, levels float8[], ids uuid[]');
  assert.deepEqual(JSON.parse(rs.json([{ n: 7, startMs: at.getTime(), levels: [80], ids: ['a'] }])), [{ n: 7, start_at: at.toISOString(), levels: [80], ids: ['a'] }]);
});
