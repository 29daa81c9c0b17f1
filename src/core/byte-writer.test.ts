import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteWriter } from './byte-writer.js';

test('ByteWriter writes in the byte order asked, and grows past its first buffer', () => {
  for (const little of [true, false]) {
    const w = new ByteWriter(little, 4);
    w.u8(0xab);
    w.u16(0x0102);
    w.i16(-2);
    w.i32(-0x01020304);
    w.f64(1.5);
    w.bytes(Uint8Array.from([7, 8, 9]));
    const got = Buffer.from(w.result());
    assert.equal(got.length, 1 + 2 + 2 + 4 + 8 + 3);
    assert.equal(w.at, got.length);
    assert.equal(got[0], 0xab);
    assert.equal(little ? got.readUInt16LE(1) : got.readUInt16BE(1), 0x0102);
    assert.equal(little ? got.readInt16LE(3) : got.readInt16BE(3), -2);
    assert.equal(little ? got.readInt32LE(5) : got.readInt32BE(5), -0x01020304);
    assert.equal(little ? got.readDoubleLE(9) : got.readDoubleBE(9), 1.5);
    assert.deepEqual([...got.subarray(17)], [7, 8, 9]);
  }
});

test('ByteWriter.setI32 overwrites a written int32 only', () => {
  const w = new ByteWriter(false);
  w.i32(0);
  w.u8(1);
  w.setI32(0, 5);
  assert.deepEqual([...w.result()], [0, 0, 0, 5, 1]);
  assert.throws(() => w.setI32(2, 1), RangeError);
  assert.throws(() => w.setI32(-1, 1), RangeError);
});
