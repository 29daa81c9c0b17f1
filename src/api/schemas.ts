import { Type, type TSchema } from 'typebox';

/** The error body every failing route returns. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'ErrorResponse', description: '{"error": {"code", "message", "details"?}}' },
);

const errorRef = Type.Ref('ErrorResponse');

/** Response schemas for a route: the success shapes plus the error shape for every 4xx/5xx. */
export function responses<T extends Record<number, TSchema>>(ok: T) {
  return { ...ok, '4xx': errorRef, '5xx': errorRef };
}

export const DateTime = Type.String({ format: 'date-time' });
export const Uuid = Type.String({ format: 'uuid' });
