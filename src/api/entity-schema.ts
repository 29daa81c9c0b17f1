// The reply schema of an entity whose reply is the domain object (see store/entity.ts toReply):
// each field's schema follows from its kind, so only fields that need more (a description, a
// jsonb field's shape, a closed set of values) are spelled out.
import { Type, type TSchema } from 'typebox';
import type { ColumnKind, EntityBase } from '../store/entity.js';
import { DateTime, Uuid } from './schemas.js';

const byKind: Record<ColumnKind, () => TSchema> = {
  text: () => Type.String(),
  int: () => Type.Integer(),
  bigint: () => Type.String(),
  serial: () => Type.Integer(),
  float: () => Type.Number(),
  bool: () => Type.Boolean(),
  jsonb: () => Type.Unknown(),
  timestamptz: () => DateTime,
  timestamptz_ms: () => Type.Integer({ description: 'Epoch milliseconds' }),
  uuid: () => Uuid,
  'uuid[]': () => Type.Array(Uuid),
  'float[]': () => Type.Array(Type.Number()),
};

/**
 * The TypeBox object for `toReply(e, o, omit)`: the fields but `omit` in field order, nullable ones
 * as a union with null. `overrides` replaces a field's schema as a whole (nullability included).
 */
export function replySchema<T, O extends keyof T & string>(e: EntityBase<T>, omit: readonly O[], overrides: { [K in Exclude<keyof T & string, O>]?: TSchema } = {}) {
  const props: Record<string, TSchema> = {};
  for (const k of e.keys) {
    if ((omit as readonly string[]).includes(k)) continue;
    const given = (overrides as Record<string, TSchema | undefined>)[k];
    const f = e.fields[k];
    props[k] = given ?? (f.nullable ? Type.Union([byKind[f.kind](), Type.Null()]) : byKind[f.kind]());
  }
  return Type.Object(props);
}
