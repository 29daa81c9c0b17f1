import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from 'typebox';
import { defineEntity } from '../store/entity.js';
import { replySchema } from './entity-schema.js';
import { DateTime, Uuid } from './schemas.js';

interface Thing {
  id: string;
  orgId: string;
  n: number;
  note: string | null;
  tags: Record<string, string>;
  at: Date;
}
const thing = defineEntity<Thing>()('things', { id: 'uuid', orgId: 'uuid', n: 'int', note: 'text?', tags: 'jsonb', at: 'timestamptz' });

test('the reply schema follows from the kinds, in field order, with overrides and omissions', () => {
  const got = replySchema(thing, ['orgId'], { tags: Type.Record(Type.String(), Type.String()) });
  const want = Type.Object({ id: Uuid, n: Type.Integer(), note: Type.Union([Type.String(), Type.Null()]), tags: Type.Record(Type.String(), Type.String()), at: DateTime });
  assert.deepEqual(got, want);
  assert.deepEqual(Object.keys(got.properties), ['id', 'n', 'note', 'tags', 'at']);
});
