import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataRows, extendedQuery, int8Of, WireError } from './wire.js';

/** A backend message: type byte, int32 length (itself included), body. */
function message(type: string, body: number[]): number[] {
  const len = body.length + 4;
  return [type.charCodeAt(0), (len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255, ...body];
}
const int32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const int16 = (n: number) => [(n >>> 8) & 255, n & 255];
const text = (s: string) => [...Buffer.from(s)];
const column = (bytes: number[] | null) => (bytes === null ? int32(-1) : [...int32(bytes.length), ...bytes]);

test('extendedQuery: Parse, Bind with binary results, Execute and Sync, each message its own length', () => {
  const m = extendedQuery('SELECT $1::int8, $2, $3, $4', [42, 'é', new Uint8Array([0, 255]), null]);
  const types: string[] = [];
  const bodies: Buffer[] = [];
  const b = Buffer.from(m);
  for (let o = 0; o < b.length; ) {
    types.push(String.fromCharCode(b[o]!));
    const len = b.readInt32BE(o + 1);
    bodies.push(b.subarray(o + 5, o + 1 + len));
    o += 1 + len;
  }
  assert.deepEqual(types, ['P', 'B', 'E', 'S']);
  assert.deepEqual([...bodies[0]!], [0, ...text('SELECT $1::int8, $2, $3, $4'), 0, ...int16(0)]);
  assert.deepEqual(
    [...bodies[1]!],
    [
      0, 0, // unnamed portal and statement
      ...int16(4), ...int16(0), ...int16(0), ...int16(1), ...int16(0), // formats: text, text, binary, text
      ...int16(4), ...column(text('42')), ...column(text('é')), ...column([0, 255]), ...int32(-1),
      ...int16(1), ...int16(1), // all results binary
    ],
  );
  assert.deepEqual([...bodies[2]!], [0, ...int32(0)]);
  assert.equal(bodies[3]!.length, 0);
});

test('extendedQuery: non-finite numbers as PostgreSQL spells them; a NUL in the text refused', () => {
  const m = Buffer.from(extendedQuery('SELECT $1::float8, $2::float8, $3::float8', [Number.NaN, Infinity, -Infinity]));
  assert.ok(m.includes(Buffer.from('NaN')) && m.includes(Buffer.from('Infinity')) && m.includes(Buffer.from('-Infinity')));
  assert.throws(() => extendedQuery('SELECT 1\0', []), RangeError);
});

test('dataRows: the DataRows of a reply, NULLs as null, other messages skipped', () => {
  const reply = Uint8Array.from([
    ...message('1', []),
    ...message('2', []),
    ...message('D', [...int16(3), ...column([0, 0, 0, 0, 0, 0, 1, 2]), ...column(null), ...column([])]),
    ...message('D', [...int16(1), ...column([9])]),
    ...message('C', text('SELECT 2\0')),
    ...message('Z', text('I')),
  ]);
  const rows = dataRows(reply);
  assert.equal(rows.length, 2);
  assert.equal(int8Of(rows[0]![0]!), 258);
  assert.equal(rows[0]![1], null);
  assert.deepEqual([...rows[0]![2]!], []);
  assert.deepEqual([...rows[1]![0]!], [9]);
});

test('dataRows: an ErrorResponse becomes a WireError with the code, severity and detail', () => {
  const fields = [...text('SERROR\0'), ...text('C23505\0'), ...text('Mduplicate key value\0'), ...text('DKey (id)=(1) already exists.\0'), 0];
  const reply = Uint8Array.from([...message('1', []), ...message('E', fields), ...message('Z', text('I'))]);
  assert.throws(
    () => dataRows(reply),
    (e: unknown) => e instanceof WireError && e.code === '23505' && e.severity === 'ERROR' && e.message === 'duplicate key value' && e.detail === 'Key (id)=(1) already exists.',
  );
});

test('dataRows and int8Of refuse cut or malformed bytes with a RangeError', () => {
  const row = message('D', [...int16(1), ...column([1, 2, 3])]);
  assert.throws(() => dataRows(Uint8Array.from(row.slice(0, row.length - 1))), RangeError);
  assert.throws(() => dataRows(Uint8Array.from(row.slice(0, 3))), RangeError);
  assert.throws(() => dataRows(Uint8Array.from(message('D', [...int16(2), ...column([1])]))), RangeError);
  assert.throws(() => int8Of(new Uint8Array(4)), RangeError);
  assert.equal(int8Of(Uint8Array.from([255, 255, 255, 255, 255, 255, 255, 254])), -2);
});
