/**
 * Snappy *block* format (remote-write's body encoding; the framed format is not used) → bytes.
 * snappyjs does the copying; it does not check that the elements fit the declared length nor that
 * a copy stays inside what was already produced, so a truncated body would come out zero-padded and
 * decode as a valid but wrong message. {@link checkSnappyBlock} walks the element headers first
 * (no copying) and refuses anything that does not produce exactly the declared length.
 */
import snappy from 'snappyjs';
import { AppError } from '../../core/errors.js';

/** Why a body is not a well-formed snappy block: thrown as 400 `bad_request`. */
function corrupt(detail: string): AppError {
  return new AppError('bad_request', `The body is not valid snappy (block format): ${detail}`);
}

/** The declared uncompressed length (a varint of at most 32 bits) and where the elements start. */
function readLength(src: Uint8Array): { length: number; at: number } {
  let length = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= src.length) throw corrupt('the body ends inside the length header');
    const b = src[i]!;
    length += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) {
      if (length > 0xffffffff) break;
      return { length, at: i + 1 };
    }
  }
  throw corrupt('the length header is longer than 32 bits');
}

/**
 * Checks the element stream of a snappy block without producing it; returns the declared length.
 * Throws 400 `bad_request` for a malformed or truncated block, 413 `payload_too_large` when the
 * declared length exceeds `maxBytes` (checked before anything is allocated).
 */
export function checkSnappyBlock(src: Uint8Array, maxBytes: number): number {
  const { length, at } = readLength(src);
  if (length > maxBytes) throw new AppError('payload_too_large', `The body decompresses to ${length} bytes, more than the limit of ${maxBytes}; send smaller requests (lower max_samples_per_send)`, { limit: maxBytes, declared: length });
  let pos = at;
  let out = 0;
  const n = src.length;
  while (pos < n) {
    const tag = src[pos++]!;
    const type = tag & 3;
    let len: number;
    if (type === 0) {
      // Literal: the length is in the tag (up to 60) or in the 1–4 bytes after it.
      len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        if (pos + extra > n) throw corrupt(`a literal's length runs past the end of the body (truncated?)`);
        len = 0;
        for (let k = extra - 1; k >= 0; k--) len = len * 256 + src[pos + k]!;
        pos += extra;
      }
      len += 1;
      if (pos + len > n) throw corrupt(`a literal of ${len} bytes runs past the end of the body (truncated?)`);
      pos += len;
    } else {
      let offset: number;
      if (type === 1) {
        if (pos + 1 > n) throw corrupt('the body ends inside a copy (truncated?)');
        len = ((tag >>> 2) & 7) + 4;
        offset = ((tag >>> 5) << 8) | src[pos]!;
        pos += 1;
      } else if (type === 2) {
        if (pos + 2 > n) throw corrupt('the body ends inside a copy (truncated?)');
        len = (tag >>> 2) + 1;
        offset = src[pos]! | (src[pos + 1]! << 8);
        pos += 2;
      } else {
        if (pos + 4 > n) throw corrupt('the body ends inside a copy (truncated?)');
        len = (tag >>> 2) + 1;
        offset = (src[pos]! | (src[pos + 1]! << 8) | (src[pos + 2]! << 16)) + src[pos + 3]! * 2 ** 24;
        pos += 4;
      }
      if (offset === 0 || offset > out) throw corrupt(`a copy refers to ${offset} bytes back with only ${out} produced`);
    }
    out += len;
    if (out > length) throw corrupt(`the elements produce more than the declared ${length} bytes`);
  }
  if (out !== length) throw corrupt(`the elements produce ${out} of the declared ${length} bytes (truncated?)`);
  return length;
}

/** Decompresses a snappy block of at most `maxBytes` decoded bytes; throws 400 / 413 AppErrors only. */
export function snappyUncompress(src: Uint8Array, maxBytes: number): Uint8Array {
  checkSnappyBlock(src, maxBytes);
  try {
    return snappy.uncompress(src, maxBytes);
  } catch (e) {
    throw corrupt((e as Error).message);
  }
}
