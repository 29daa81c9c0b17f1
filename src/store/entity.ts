// One entity, one definition: a table of fields (property → column, kind) from which the SELECT
// list, the row → domain mapper, the INSERT/UPDATE lists over `jsonb_to_recordset` and the reply
// mapper follow, so adding a field touches one place. Plain SQL, no ORM: stores still write their
// own statements and splice these lists in.

/**
 * How a column is stored; decides the SQL type in a recordset and the conversions both ways.
 * `bigint` reads as a string (ids that may pass 2^53), `serial` is a bigint counter read as a number,
 * `timestamptz_ms` is a timestamptz column whose domain value is epoch milliseconds, `float[]` a
 * float8[] read as numbers.
 */
export type ColumnKind = 'text' | 'int' | 'bigint' | 'serial' | 'float' | 'bool' | 'jsonb' | 'timestamptz' | 'timestamptz_ms' | 'uuid' | 'uuid[]' | 'float[]';

/** A kind, with a trailing `?` when the column may hold NULL (passed through as null both ways). */
export type KindSpec = ColumnKind | `${ColumnKind}?`;

/**
 * How a property is stored: its kind alone (the column is the property in snake_case), or with a
 * column of another name, or `writable` (a pass or an action may change it after insert: it is in
 * the UPDATE list and the change type).
 */
export type FieldSpec = KindSpec | { readonly kind: KindSpec; readonly column?: string; readonly writable?: boolean };

/** One property as the helpers read it. */
export interface Field {
  readonly column: string;
  readonly kind: ColumnKind;
  readonly nullable: boolean;
  readonly writable: boolean;
}

/** A field for every property of `T` (the compiler checks the table against the interface). */
export type Fields<T> = { readonly [K in keyof T]-?: FieldSpec };

/** The properties whose field is marked writable. */
export type WritableKeys<F> = { [K in keyof F]: F[K] extends { writable: true } ? K : never }[keyof F] & string;

/** What the helpers below read of an entity: its table and its fields, in the order replies list them. */
export interface EntityBase<T> {
  readonly table: string;
  readonly fields: { readonly [K in keyof T]-?: Field };
  /** Every property, in field order. */
  readonly keys: readonly (keyof T & string)[];
  /** The SELECT (and RETURNING) list of every column. */
  readonly columns: string;
  /** Never set: lets the helpers infer `T` from an entity. */
  readonly type?: T;
}

/** The writable properties of entity `E` (`Pick<T, WritableOf<typeof e>>` is its change type). */
export type WritableOf<E extends { readonly writable: readonly string[] }> = E['writable'][number];

/** An entity whose writable properties' names are kept in its type. */
export interface Entity<T, F extends Fields<T>> extends EntityBase<T> {
  /** The writable properties, in field order. */
  readonly writable: readonly WritableKeys<F>[];
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function fieldOf(name: string, spec: FieldSpec): Field {
  const o = typeof spec === 'string' ? { kind: spec } : spec;
  const nullable = o.kind.endsWith('?');
  return { column: o.column ?? snake(name), kind: (nullable ? o.kind.slice(0, -1) : o.kind) as ColumnKind, nullable, writable: o.writable === true };
}

/**
 * Defines entity `T` stored in `table`. Curried so that `T` is given and the fields inferred:
 * `defineEntity<Alert>()('alerts', {...})` keeps each field's literal `writable: true`, from which
 * {@link WritableKeys} derives the change type.
 */
export function defineEntity<T>() {
  return <const F extends Fields<T>>(table: string, specs: F): Entity<T, F> => {
    const keys = Object.keys(specs) as (keyof T & string)[];
    const fields = Object.fromEntries(keys.map((k) => [k, fieldOf(k, (specs as Fields<T>)[k])])) as { [K in keyof T]-?: Field };
    return {
      table,
      fields,
      keys,
      writable: keys.filter((k) => fields[k].writable) as unknown as WritableKeys<F>[],
      columns: keys.map((k) => fields[k].column).join(', '),
    };
  };
}

const sqlTypes: Record<ColumnKind, string> = { text: 'text', int: 'integer', bigint: 'bigint', serial: 'bigint', float: 'float8', bool: 'boolean', jsonb: 'jsonb', timestamptz: 'timestamptz', timestamptz_ms: 'timestamptz', uuid: 'uuid', 'uuid[]': 'uuid[]', 'float[]': 'float8[]' };

/** Row value → domain value: bigint ids as strings, floats as numbers (drivers may give either). */
function fromColumn(kind: ColumnKind, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (kind === 'bigint') return String(v);
  if (kind === 'float' || kind === 'serial') return Number(v);
  if (kind === 'timestamptz_ms') return (v as Date).getTime();
  if (kind === 'float[]') return (v as unknown[]).map(Number);
  return v;
}

/** Domain value → JSON record value: dates as ISO strings, non-finite floats as null. */
function toColumn(kind: ColumnKind, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (kind === 'timestamptz') return (v as Date).toISOString();
  if (kind === 'timestamptz_ms') return new Date(v as number).toISOString();
  if (kind === 'float') return Number.isFinite(v) ? v : null;
  return v;
}

/** A row as a driver returns it, keyed by column. */
export type Row = Record<string, unknown>;

/** The domain object of one row selected with `e.columns`. */
export function fromRow<T>(e: EntityBase<T>, row: Row): T {
  const out: Record<string, unknown> = {};
  for (const k of e.keys) out[k] = fromColumn(e.fields[k].kind, row[e.fields[k].column]);
  return out as T;
}

/** Lists for writing `keys` of many objects in one statement through `jsonb_to_recordset($n::jsonb) AS i(…)`. */
export interface Recordset<K extends string> {
  /** `a, b`: the INSERT column list. */
  readonly columns: string;
  /** `i.a, i.b`: the SELECT list an INSERT … SELECT takes them from. */
  readonly values: string;
  /** `a = i.a, b = i.b`: an UPDATE's SET list. */
  readonly sets: string;
  /** `a text, b uuid`: the recordset's column definitions (after any extra ones). */
  readonly types: string;
  /** The parameter: the objects as one JSON array of records keyed by column. */
  json(items: readonly { readonly [P in K]?: unknown }[], extra?: (i: number) => Record<string, unknown>): string;
}

/** The recordset lists of `keys` of entity `e`. */
export function recordset<T, K extends keyof T & string>(e: EntityBase<T>, keys: readonly K[]): Recordset<K> {
  const cols = keys.map((k) => e.fields[k].column);
  return {
    columns: cols.join(', '),
    values: cols.map((c) => `i.${c}`).join(', '),
    sets: cols.map((c) => `${c} = i.${c}`).join(', '),
    types: keys.map((k) => `${e.fields[k].column} ${sqlTypes[e.fields[k].kind]}`).join(', '),
    json: (items, extra) =>
      JSON.stringify(
        items.map((x, i) => {
          const r: Record<string, unknown> = extra ? extra(i) : {};
          for (const k of keys) r[e.fields[k].column] = toColumn(e.fields[k].kind, x[k]);
          return r;
        }),
      ),
  };
}

/** The properties of `e` but `omit`, in field order. */
export function keysExcept<T, O extends keyof T & string>(e: EntityBase<T>, omit: readonly O[]): Exclude<keyof T & string, O>[] {
  return e.keys.filter((k) => !(omit as readonly string[]).includes(k)) as Exclude<keyof T & string, O>[];
}

/** `T` with its dates as ISO strings (what a reply carries). */
export type Reply<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

/** `o`'s properties in field order, without `omit`, dates as ISO strings: the reply when it is the domain object. */
export function toReply<T, O extends keyof T & string>(e: EntityBase<T>, o: T, omit: readonly O[] = []): Reply<Omit<T, O>> {
  const out: Record<string, unknown> = {};
  for (const k of keysExcept(e, omit)) {
    const v = o[k];
    out[k] = v instanceof Date ? v.toISOString() : v;
  }
  return out as Reply<Omit<T, O>>;
}

/** `keys` of `o` as they are (e.g. an entity's writable ones: a change starts from this). */
export function pick<T, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = o[k];
  return out;
}
