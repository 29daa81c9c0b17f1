// A seeded request generator driven by the server's own OpenAPI document: for every operation it
// builds a plausible request from the schemas (with hints for fields whose meaning a schema cannot
// say: metric keys, times, channel configurations) and then breaks it in one of many ways — wrong
// types, missing and extra fields, numeric edges, long and odd strings, NUL bytes, deep nesting,
// invalid ids, forged cursors, malformed bodies. Requests are plain objects for app.inject().

/** A JSON Schema as @fastify/swagger writes it (the subset used here). */
export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  patternProperties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  $ref?: string;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  method: string;
  /** OpenAPI path, `/api/v1/channels/{id}`. */
  path: string;
  params: Parameter[];
  body?: Schema;
  /** Scope the operation requires ('public' when none). */
  scope: string;
}

/** Every operation of an OpenAPI 3 document. */
export function operationsOf(doc: { paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema: Schema }> }; description?: string }>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const scope = /Requires scope `([^`]+)`/.exec(op.description ?? '')?.[1] ?? 'public';
      ops.push({ method: method.toUpperCase(), path, params: op.parameters ?? [], body: op.requestBody?.content?.['application/json']?.schema, scope });
    }
  }
  return ops;
}

/** mulberry32: small, fast, good enough to pick cases reproducibly from a seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** A JSON token written as is (numbers JSON.stringify cannot write: 1e999, -0, 30-digit integers; deep nesting). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON text of a value that may hold RawJson tokens. */
export function toJson(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** Ids of things that exist, by the path segment that names their collection (`channels`, `alert-rules`…). */
export type Fixtures = Record<string, string[]>;

/** What the generator knows of the world: the existing ids, the series to read, now. */
export interface World {
  fixtures: Fixtures;
  key: string;
  /** A series holding values near ±1e308 (stored extremes must never break a read). */
  extremeKey: string;
  dimensions: Record<string, string>;
  nowMs: number;
}

export const deep = (n: number) => new RawJson(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`);
export const deepArray = (n: number) => new RawJson(`${'['.repeat(n)}${']'.repeat(n)}`);

/** Numbers at the edges of what a double and the schemas hold (1e999 overflows: a 400 everywhere). */
export const numericEdges: unknown[] = [
  new RawJson('-0'),
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  1.7976931348623157e308,
  1e-308,
  5e-324,
  2 ** 53 + 2,
  -(2 ** 63),
  new RawJson('123456789012345678901234567890'),
  new RawJson('1e999'),
  new RawJson('-1e999'),
];

export const oddStrings: unknown[] = [
  '',
  ' ',
  'x'.repeat(10_000),
  'é'.repeat(70_000),
  'nul\u0000byte',
  '\u0000',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀 \u202e\u0301 עברית',
  new RawJson('"\\ud800 lone surrogate"'),
  "'; DROP TABLE points; --",
  '../../etc/passwd',
  '%00%ff',
  '{"json":"inside"}',
  '1e999',
  'NaN',
  '-Infinity',
  '2026-02-30T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '99999-01-01T00:00:00Z',
];

const wrongTypes: unknown[] = [null, true, 17, -3.5, 'text', [], [1, 'a'], {}, { x: 1 }];

const uuidish = ['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'not-a-uuid', '00000000-0000-0000-0000-00000000000g', '1', '0', '-1', 'null', '..', '%2e%2e%2f', '%00', `${'a'.repeat(300)}`, '😀', '1e999'];

function randomUuid(rng: Rng): string {
  const hex = () => rng.int(16).toString(16);
  const part = (n: number) => Array.from({ length: n }, hex).join('');
  return `${part(8)}-${part(4)}-4${part(3)}-a${part(3)}-${part(12)}`;
}

/** The collection a path names (`/api/v1/alert-rules/{id}/evaluate` → `alert-rules`). */
export function collectionOf(path: string): string {
  return path.split('/')[3] ?? '';
}

function anyFixture(w: World, rng: Rng): string {
  const all = Object.values(w.fixtures).flat();
  return all.length ? rng.pick(all) : randomUuid(rng);
}

const configs = [
  { url: 'https://hooks.fuzz.invalid/hook' },
  { url: 'https://hooks.fuzz.invalid/hook', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
  { webhookUrl: 'https://hooks.fuzz.invalid/slack' },
  { url: 'https://hooks.fuzz.invalid/slack' },
  { routingKey: 'r'.repeat(32), eventsUrl: 'https://hooks.fuzz.invalid/pd' },
  { to: ['ops@example.com'], from: 'iv@example.com', host: 'smtp.fuzz.invalid', port: 25 },
];

/** A value for a field whose meaning its schema cannot give, by the field's name; undefined when none. */
function hinted(name: string, rng: Rng, w: World): unknown {
  switch (name) {
    case 'key':
      return rng.pick([w.key, w.key, w.key, w.extremeKey, 'fuzz.other']);
    case 'prefix':
      return 'fuzz';
    case 'dimensions':
      return rng.chance(0.7) ? w.dimensions : {};
    case 'timestamp':
    case 'from':
    case 'startsAt':
      return rng.chance(0.5) ? w.nowMs - 7 * 86_400_000 : new Date(w.nowMs - 86_400_000).toISOString();
    case 'to':
    case 'endsAt':
      return rng.chance(0.5) ? w.nowMs + 3_600_000 : new Date(w.nowMs + 3_600_000).toISOString();
    case 'metrics':
      return Array.from({ length: 1 + rng.int(3) }, (_, i) => ({ key: w.key, value: rng.next() * 100, timestamp: w.nowMs - (i + 1) * 60_000, dimensions: w.dimensions }));
    case 'config':
      return rng.pick(configs);
    case 'schedule':
      return rng.pick(['hourly', 'daily', '*/15 * * * *', '0 3 * * *']);
    case 'matchers':
      return [rng.pick<unknown>(['host="a"', 'host=~"web-.*"', { name: 'host', value: 'a' }, 'alertname!="x"'])];
    case 'series': {
      const n = 48 + rng.int(100);
      return { timestamps: Array.from({ length: n }, (_, i) => w.nowMs - (n - i) * 3_600_000), values: Array.from({ length: n }, (_, i) => 10 + Math.sin(i / 3) * 5 + rng.next()) };
    }
    case 'backend':
      return rng.pick(['statistical', 'timegpt', 'nope']);
    case 'name':
    case 'slug':
      return `fuzz-${rng.int(1e9).toString(36)}`;
    default:
      return undefined;
  }
}

/** A string matching `pattern` from a few candidates (alternatives named in it first), or a plain one. */
function matching(pattern: string, rng: Rng): string {
  const words = [...pattern.matchAll(/\(([A-Za-z_]+(?:\|[A-Za-z_]+)+)\)/g)].flatMap((m) => m[1]!.split('|'));
  const re = new RegExp(pattern);
  const candidates = [...words, 'fuzz.cpu', 'fuzz', 'api', 'a', 'x1', '1'];
  const ok = candidates.filter((c) => re.test(c));
  return ok.length ? rng.pick(ok) : 'fuzz';
}

/** A plausible valid value of `schema` (valid against the schema alone; the server may still refuse it). */
export function sample(schema: Schema | undefined, rng: Rng, w: World, name = '', depth = 0): unknown {
  if (!schema || depth > 8) return null;
  if (name) {
    const h = hinted(name, rng, w);
    if (h !== undefined) return h;
  }
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return rng.pick(schema.enum);
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) return sample({ ...rng.pick(alternatives) }, rng, w, '', depth + 1);
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s) => sample(s, rng, w, '', depth + 1)));
  const type = Array.isArray(schema.type) ? rng.pick(schema.type) : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = schema.properties ?? {};
      // A history is a stored series (key, dimensions, from, to) or inline data (series), never both.
      const inline = 'series' in props && 'key' in props ? rng.chance(0.5) : undefined;
      for (const [k, s] of Object.entries(props)) {
        if (inline === true && ['key', 'dimensions', 'from', 'to'].includes(k)) continue;
        if (inline === false && k === 'series') continue;
        const wanted = schema.required?.includes(k) || (inline === true && k === 'series') || (inline === false && k === 'key') || rng.chance(0.5);
        if (wanted) out[k] = sample(s, rng, w, k, depth + 1);
      }
      return out;
    }
    case 'array': {
      const min = schema.minItems ?? 0;
      const n = min + rng.int(Math.min(3, (schema.maxItems ?? min + 3) - min + 1));
      const xs = Array.from({ length: n }, () => sample(schema.items, rng, w, '', depth + 1));
      return xs;
    }
    case 'integer': {
      const lo = schema.minimum ?? 0;
      const hi = schema.maximum ?? lo + 100;
      return lo + rng.int(Math.min(hi - lo + 1, 1000));
    }
    case 'number': {
      const lo = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1e-6 : (schema.minimum ?? 0);
      const hi = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum - 1e-6 : (schema.maximum ?? lo + 100);
      return lo + rng.next() * (hi - lo);
    }
    case 'boolean':
      return rng.chance(0.5);
    case 'string':
      if (schema.format === 'uuid') return rng.chance(0.7) ? anyFixture(w, rng) : randomUuid(rng);
      if (schema.format === 'date-time') return new Date(w.nowMs).toISOString();
      if (schema.pattern) return matching(schema.pattern, rng);
      return 'fuzz'.slice(0, Math.max(schema.minLength ?? 1, Math.min(4, schema.maxLength ?? 4)));
    default:
      return rng.pick<unknown>(['x', 1, { a: 1 }, [1]]);
  }
}

/** Paths of every node of a JSON value (object keys and array indexes). */
function nodes(v: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(path);
  if (Array.isArray(v)) v.slice(0, 20).forEach((x, i) => nodes(x, [...path, i], out));
  else if (v !== null && typeof v === 'object' && !(v instanceof RawJson)) for (const [k, x] of Object.entries(v)) nodes(x, [...path, k], out);
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (!path.length) return value;
  const [head, ...rest] = path;
  const copy = (Array.isArray(root) ? [...root] : { ...(root as Record<string, unknown>) }) as Record<string | number, unknown>;
  copy[head!] = setAt(copy[head!], rest, value);
  return copy;
}

function removeAt(root: unknown, path: (string | number)[]): unknown {
  if (path.length === 1 && root && typeof root === 'object' && !Array.isArray(root)) {
    const { [path[0] as string]: _gone, ...rest } = root as Record<string, unknown>;
    return rest;
  }
  if (!path.length) return root;
  const [head, ...rest] = path;
  const copy = (Array.isArray(root) ? [...root] : { ...(root as Record<string, unknown>) }) as Record<string | number, unknown>;
  copy[head!] = removeAt(copy[head!], rest);
  return copy;
}

/** What a case expects besides "no 5xx, errors in the catalog shape". */
export type Expect = 'any' | '400-nonfinite' | '400-deep';

export interface FuzzCase {
  /** What was done, for failure messages. */
  label: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  expect: Expect;
}

export interface CursorSource {
  /** A real nextCursor of this list operation, when it has one. */
  real?: string;
}

/** base64url of JSON text. */
const b64 = (text: string) => Buffer.from(text).toString('base64url');

/** Cursors a client might forge: malformed, foreign, or a real one with its position tampered with. */
function forgedCursor(rng: Rng, real: string | undefined): string {
  const forged = [
    '!!!not-base64!!!',
    '',
    b64('null'),
    b64('[]'),
    b64('"x"'),
    b64('{}'),
    b64('{"q":"AAAAAAAAAAAA"}'),
    b64(`{"t":1e999,"i":"00000000-0000-0000-0000-000000000000","q":"x"}`),
    b64(`{"g":9007199254740993,"i":"00000000-0000-0000-0000-000000000000","q":"x"}`),
    b64(`${'['.repeat(5000)}${']'.repeat(5000)}`),
    b64('{"s":1e308,"t":-1e308,"k":"\\u0000","q":"x"}'),
    'A'.repeat(600),
  ];
  if (real) {
    try {
      const p = JSON.parse(Buffer.from(real, 'base64url').toString('utf8')) as Record<string, unknown>;
      // The query hash stays valid: only the position is forged.
      for (const k of Object.keys(p)) if (k !== 'q') forged.push(b64(JSON.stringify({ ...p, [k]: rng.pick<unknown>([1e308, -1, 'x', null, '00000000-0000-0000-0000-000000000000', 2 ** 63, { a: 1 }]) })));
      forged.push(`${real.slice(0, -2)}${real.slice(-2) === 'AA' ? 'BB' : 'AA'}`, real);
    } catch {
      // an unreadable real cursor is just used as one more forged one
      forged.push(real);
    }
  }
  return rng.pick(forged);
}

/** A plausible query-string value for a parameter (cursors left out: a first page). */
function plainValue(p: Parameter, rng: Rng, w: World): string | undefined {
  if (p.name === 'cursor') return undefined;
  const v = sample(p.schema, rng, w, p.name);
  return v === undefined || v === null ? undefined : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** A query-string value for a parameter, valid or not. */
function queryValue(p: Parameter, rng: Rng, w: World, cursor: CursorSource): string | string[] | undefined {
  if (p.name === 'cursor') return rng.chance(0.8) ? forgedCursor(rng, cursor.real) : undefined;
  const roll = rng.next();
  if (roll < 0.45) return plainValue(p, rng, w);
  if (roll < 0.55) return undefined;
  if (roll < 0.62) return [String(sample(p.schema, rng, w, p.name)), 'x']; // repeated
  return String(rng.pick<unknown>(['-1', '0', '1e999', 'Infinity', 'NaN', '1.5', '99999999999999999999', 'true', 'null', '[]', '{}', '{"a":', '\u0000', '%', 'x'.repeat(20_000), '😀', '{"__proto__":{"x":"1"}}', ...uuidish]));
}

function queryString(q: Record<string, string | string[]>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) for (const x of Array.isArray(v) ? v : [v]) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(x)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Body mutations, each producing [label, body value or raw text, expectation]. */
function mutateBody(base: unknown, schema: Schema, rng: Rng, w: World): [string, unknown, Expect] {
  const all = nodes(base);
  const inner = all.filter((p) => p.length > 0);
  const at = (xs: (string | number)[][]) => (xs.length ? rng.pick(xs) : []);
  const where = (p: (string | number)[]) => `body${p.map((x) => (typeof x === 'number' ? `[${x}]` : `.${x}`)).join('')}`;
  switch (rng.int(14)) {
    case 0:
    case 12:
    case 13:
      return ['valid', base, 'any'];
    case 1: {
      const p = at(inner);
      return [`wrong type at ${where(p)}`, setAt(base, p, rng.pick(wrongTypes)), 'any'];
    }
    case 2: {
      const required = schema.required ?? [];
      const p = required.length && rng.chance(0.6) ? [rng.pick(required)] : at(inner);
      return [`missing ${where(p)}`, removeAt(base, p), 'any'];
    }
    case 3: {
      const objects = all.filter((p) => {
        const v = p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], base);
        return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof RawJson);
      });
      const p = at(objects);
      const value = rng.chance(0.3) ? rng.pick([deep(10_000), deep(33), deepArray(1000)]) : rng.pick(wrongTypes);
      return [`extra field under ${where(p)}${value instanceof RawJson ? ' (deeply nested)' : ''}`, setAt(base, [...p, rng.pick(['zz_extra', '__proto__x', 'constructor', ''])], value), value instanceof RawJson ? '400-deep' : 'any'];
    }
    case 4:
    case 5: {
      const numbers = inner.filter((q) => typeof q.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)?.[k], base) === 'number');
      const p = numbers.length && rng.chance(0.7) ? rng.pick(numbers) : at(inner);
      const edge = rng.chance(0.25) ? new RawJson(rng.pick(['1e999', '-1e999'])) : rng.pick(numericEdges);
      const nonFinite = edge instanceof RawJson && edge.text.includes('e999');
      return [`number ${edge instanceof RawJson ? edge.text : String(edge)} at ${where(p)}`, setAt(base, p, edge), nonFinite ? '400-nonfinite' : 'any'];
    }
    case 6:
    case 7: {
      const p = at(inner);
      const s = rng.pick(oddStrings);
      return [`string ${JSON.stringify(s instanceof RawJson ? s.text : s).slice(0, 40)} at ${where(p)}`, setAt(base, p, s), 'any'];
    }
    case 8: {
      const p = at(inner);
      const [n, label] = rng.pick([
        [33, 'objects 33 deep'],
        [10_000, 'objects 10,000 deep'],
        [-33, 'arrays 33 deep'],
        [-100_000, 'arrays 100,000 deep'],
      ] as const);
      return [`${label} at ${where(p)}`, setAt(base, p, n > 0 ? deep(n) : deepArray(-n)), '400-deep'];
    }
    case 9:
      return ['shallow nesting (within the limit)', setAt(base, [rng.pick(['zz_extra', ...(schema.required ?? ['x'])])], deep(30)), 'any'];
    case 10: {
      // Values at many places at once.
      let b = base;
      for (let i = 0; i < 3; i++) b = setAt(b, at(inner), rng.pick([...wrongTypes, ...oddStrings, ...numericEdges.filter((e) => !(e instanceof RawJson && e.text.includes('e999')))]));
      return ['three fields replaced', b, 'any'];
    }
    default:
      return ['whole body replaced', new RawJson(rng.pick(['null', '[]', '1', '"s"', 'true', '{}', '{"a":', '', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{}\u0000', '\ufeff{}', '{"a":1,"a":2}'])), 'any'];
  }
}

/** `n` cases for one operation. */
export function casesFor(op: Operation, n: number, rng: Rng, w: World, auth: Record<string, string>, cursor: CursorSource): FuzzCase[] {
  const out: FuzzCase[] = [];
  const coll = collectionOf(op.path);
  const mayUseRealId = !(op.method === 'POST' && op.path.endsWith('/test')); // never send a real channel a test notification
  for (let i = 0; i < n; i++) {
    let label = '';
    let routerRefuses = false; // the router answers before the body is parsed
    const url = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      const real = w.fixtures[coll] ?? [];
      const roll = rng.next();
      let id: string;
      if (mayUseRealId && real.length && roll < 0.6) id = rng.pick(real);
      else if (roll < 0.75 || !mayUseRealId) id = randomUuid(rng);
      else if (roll > 0.95) {
        // Sent as is: not valid percent-encoding.
        const raw = rng.pick(['%', '%E0%A4%A', '%ZZ', '%C0%80']);
        label += ` ${name}=${raw} (raw)`;
        routerRefuses = true;
        return raw;
      } else {
        id = rng.pick(uuidish);
        label += ` ${name}=${id.slice(0, 20)}`;
        routerRefuses ||= encodeURIComponent(id).length > 100;
      }
      return encodeURIComponent(id);
    });
    const query: Record<string, string | string[]> = {};
    const validQuery = rng.chance(0.3); // every parameter plausible (else each one may be broken)
    for (const p of op.params.filter((x) => x.in === 'query')) {
      const v = validQuery ? (p.required || rng.chance(0.5) ? plainValue(p, rng, w) : undefined) : queryValue(p, rng, w, cursor);
      if (v !== undefined) query[p.name] = v;
    }
    if (op.params.some((p) => p.in === 'query') && rng.chance(0.1)) query[rng.pick(['zz_extra', '__proto__', 'constructor'])] = 'x';
    const headers: Record<string, string> = { ...auth };
    for (const p of op.params.filter((x) => x.in === 'header')) {
      if (rng.chance(0.5)) headers[p.name] = String(rng.pick<unknown>(['k1', 'x'.repeat(300), 'é', `${i}`, ' ']));
    }
    const who = rng.next();
    if (who < 0.03) {
      delete headers.authorization;
      label += ' without a key';
    } else if (who < 0.05) {
      headers.authorization = rng.pick(['Bearer iv_' + 'x'.repeat(32), 'Bearer ', 'Basic Zm9vOmJhcg==', `Bearer ${'x'.repeat(5000)}`]);
      label += ' with a wrong key';
    }
    if (rng.chance(0.1)) headers['x-request-id'] = rng.pick(['', ' ', 'x'.repeat(5000), '../../etc', '%00', '{"a":1}', 'ünï'.normalize('NFD').replace(/[^\x20-\x7e]/g, '?')]);
    let payload: string | undefined;
    let expect: Expect = 'any';
    if (op.body) {
      const base = sample(op.body, rng, w);
      const [what, body, exp] = mutateBody(base, op.body, rng, w);
      label += ` ${what}`;
      payload = toJson(body);
      expect = exp;
      headers['content-type'] = rng.chance(0.03) ? rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1']) : 'application/json';
      if (headers['content-type'] !== 'application/json' || !headers.authorization || label.includes('wrong key') || routerRefuses) expect = 'any';
    }
    out.push({ label: `${op.method} ${op.path}:${label}${Object.keys(query).length ? ` query ${JSON.stringify(query).slice(0, 200)}` : ''}`, method: op.method, url: `${url}${queryString(query)}`, headers, payload, expect });
  }
  return out;
}
