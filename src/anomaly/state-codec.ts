// The saved states of a detection's stateful methods (name → bytes) as one byte string, for a bytea
// column: a version byte, then per method its name (length-prefixed UTF-8) and its bytes
// (length-prefixed). Compact (5 bytes of framing a method) and checked on the way back in.

const VERSION = 1;

/** Encodes method states; an empty record encodes to null (nothing worth storing). */
export function encodeStates(states: Readonly<Record<string, Uint8Array>>): Uint8Array | null {
  const entries = Object.entries(states).map(([name, bytes]) => [new TextEncoder().encode(name), bytes] as const);
  if (!entries.length) return null;
  let size = 1;
  for (const [name, bytes] of entries) {
    if (name.length > 255) throw new RangeError('a method name of more than 255 bytes cannot be saved');
    size += 1 + name.length + 4 + bytes.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = VERSION;
  let at = 1;
  for (const [name, bytes] of entries) {
    out[at++] = name.length;
    out.set(name, at);
    at += name.length;
    view.setUint32(at, bytes.length, true);
    at += 4;
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

/**
 * Decodes what {@link encodeStates} wrote (null → no states). Each state is a copy, so the caller owns
 * it. Throws a RangeError on bytes it did not write (an unknown version, a truncated record).
 */
export function decodeStates(bytes: Uint8Array | null | undefined): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  if (!bytes || !bytes.length) return out;
  if (bytes[0] !== VERSION) throw new RangeError(`saved detection state has version ${bytes[0]}; this server reads version ${VERSION}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 1;
  while (at < bytes.length) {
    const nameLength = bytes[at++]!;
    if (at + nameLength + 4 > bytes.length) throw new RangeError('saved detection state is truncated');
    const name = new TextDecoder().decode(bytes.subarray(at, at + nameLength));
    at += nameLength;
    const length = view.getUint32(at, true);
    at += 4;
    if (at + length > bytes.length) throw new RangeError('saved detection state is truncated');
    out[name] = bytes.slice(at, at + length);
    at += length;
  }
  return out;
}
