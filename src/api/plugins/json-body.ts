// The one JSON body parser: Fastify's own (body limit, empty and invalid bodies, `__proto__` and
// `constructor.prototype` refused), behind one linear scan that refuses, before any handler or
// schema runs, bodies nested deeper than maxJsonDepth (recursive code further on — validation,
// merge patches, serialisation, PostgreSQL's jsonb — would overflow the stack on 10,000 levels) and
// numbers that overflow a double (JSON.parse reads 1e999 as Infinity, which no field accepts).
import { AppError } from '../../core/errors.js';
import type { App } from '../types.js';

/** Deepest nesting of objects and arrays a JSON body may have: `{"a":{"b":[1]}}` is 3 levels. */
export const maxJsonDepth = 32;

/** At most this many offending fields are named in one error. */
const maxDetails = 10;

export interface JsonScan {
  /** The depth at which the scan stopped because it passed the limit; 0 when within it. */
  tooDeepAt: number;
  /** A number literal overflows a double (±Infinity once parsed): the parsed body is walked to name it. */
  overflow: boolean;
}

/**
 * One pass over JSON text: nesting depth (stopping at the first level past `limit`) and whether a
 * number literal overflows. Strings are skipped whole (indexOf, far faster than a loop over their
 * characters), so brackets inside them do not count. Only a literal with an exponent or over 308
 * characters can overflow, so the common number costs no conversion. Malformed text is scanned as
 * well as it goes; the parser that runs next reports it.
 */
export function scanJson(text: string, limit = maxJsonDepth): JsonScan {
  let depth = 0;
  let overflow = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // The closing quote is one not preceded by an odd number of backslashes.
      let end = text.indexOf('"', i + 1);
      while (end !== -1) {
        let k = end - 1;
        while (text.charCodeAt(k) === 0x5c) k--;
        if ((end - 1 - k) % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (end === -1) break; // unterminated
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return { tooDeepAt: depth, overflow };
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      let exponent = false;
      for (; i + 1 < n; i++) {
        const d = text.charCodeAt(i + 1);
        if (d === 0x65 || d === 0x45) exponent = true;
        else if (!((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x2b || d === 0x2d)) break;
      }
      if ((exponent || i + 1 - start > 308) && !Number.isFinite(Number(text.slice(start, i + 1)))) overflow = true;
    }
  }
  return { tooDeepAt: 0, overflow };
}

/** Paths (`body.metrics[3].value`) of the non-finite numbers in a parsed body, at most `max`. */
export function nonFinitePaths(value: unknown, max = maxDetails): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (out.length >= max) return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) out.push(path);
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length && out.length < max; i++) walk(v[i], `${path}[${i}]`);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    }
  };
  walk(value, 'body'); // the depth is bounded by the scan, so recursion is safe
  return out;
}

/** Replaces Fastify's application/json parser with the checked one (same options as Fastify's default). */
export function jsonBodies(app: App): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    const scan = scanJson(text);
    if (scan.tooDeepAt) {
      done(new AppError('json_too_deep', `The JSON body is nested deeper than ${maxJsonDepth} levels (objects and arrays)`, { maxDepth: maxJsonDepth }), undefined);
      return;
    }
    parse(req, text, (err, parsed) => {
      if (err || !scan.overflow) return done(err, parsed);
      const paths = nonFinitePaths(parsed);
      if (!paths.length) return done(null, parsed);
      const details = paths.map((field) => ({ field, message: 'must be a finite number (this one overflows a double)' }));
      done(new AppError('validation_failed', `Numbers must be finite: ${paths.join(', ')} ${paths.length === 1 ? 'overflows' : 'overflow'} a double (about ±1.8e308)`, details), undefined);
    });
  });
}
