// Replies always serialise. fast-json-stringify writes ±Infinity as null in a number field (app.ts lets
// its Ajv accept non-finite numbers, so a nullable number's branch is found too) but throws on NaN,
// which JSON cannot express, and the reply would become a 500. Domain code returns null with a reason
// where a figure has no finite value; a NaN that escapes it anyway is written as null here, and logged
// with its path so the cause gets fixed.
import type { App } from '../types.js';

/**
 * Fastify's `serializerOpts`: the serializer's Ajv picks the branch of a nullable number, and must accept
 * ±Infinity there so that it is written as null (as in a plain number field) instead of failing the reply.
 */
export const serializerOptions = { ajv: { strictNumbers: false } };

/** Replies are walked this deep at most (they nest a handful of levels; stored JSON is capped on the way in). */
const maxWalkDepth = 64;

/**
 * `value` with every NaN replaced by Infinity (which the serializer writes as null), copying only the
 * objects and arrays on the way to one; the same object when there is none. Paths go into `found`.
 */
export function withoutNaN(value: unknown, found: string[], path = '', depth = 0): unknown {
  if (typeof value === 'number') {
    if (value !== value) {
      found.push(path || '(reply)');
      return Infinity;
    }
    return value;
  }
  if (value === null || typeof value !== 'object' || depth >= maxWalkDepth) return value;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const xs = value as unknown as ArrayLike<unknown>;
    let copy: unknown[] | undefined;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i];
      const y = typeof x === 'number' ? (x !== x ? withoutNaN(x, found, `${path}[${i}]`) : x) : withoutNaN(x, found, `${path}[${i}]`, depth + 1);
      if (y !== x) (copy ??= Array.from(xs))[i] = y;
    }
    return copy ?? value;
  }
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const x = (value as Record<string, unknown>)[key];
    const y = withoutNaN(x, found, path ? `${path}.${key}` : key, depth + 1);
    if (y !== x) (copy ??= { ...(value as Record<string, unknown>) })[key] = y;
  }
  return copy ?? value;
}

/** Whether `value` holds a NaN (no allocation: the walk every reply pays). */
export function hasNaN(value: unknown, depth = 0): boolean {
  if (typeof value === 'number') return value !== value;
  if (value === null || typeof value !== 'object' || depth >= maxWalkDepth) return false;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const xs = value as unknown as ArrayLike<unknown>;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i];
      if (typeof x === 'number' ? x !== x : typeof x === 'object' && x !== null && hasNaN(x, depth + 1)) return true;
    }
    return false;
  }
  for (const key in value) {
    const x = (value as Record<string, unknown>)[key];
    if (typeof x === 'number' ? x !== x : typeof x === 'object' && x !== null && hasNaN(x, depth + 1)) return true;
  }
  return false;
}

export function finiteReplies(app: App): void {
  app.addHook('preSerialization', async (req, _reply, payload) => {
    if (!hasNaN(payload)) return payload;
    const found: string[] = [];
    const out = withoutNaN(payload, found);
    if (found.length) req.log.warn({ fields: found.slice(0, 10), count: found.length }, 'NaN in a reply written as null');
    return out;
  });
}
