import { Type, type TSchema } from 'typebox';
import { AppError } from '../core/errors.js';
import { maxDimensions, maxDimensionValueLength, metricKeyPattern, type Labels } from '../core/labels.js';

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

// additionalProperties: a Record's key pattern alone does not refuse other names. The limits are
// core/labels.ts' series rules, the same ones ingest validates against.
export const Dimensions = Type.Record(Type.String({ pattern: metricKeyPattern.source }), Type.String({ maxLength: maxDimensionValueLength }), { maxProperties: maxDimensions, additionalProperties: false });
export const TimeInput = Type.Union([Type.String({ maxLength: 40 }), Type.Integer()], { description: 'ISO-8601 or epoch milliseconds' });

/** A `dimensions` query-string parameter: a JSON object of string values, {} when absent. */
export function parseDimensionFilter(raw: string | undefined): Labels {
  if (raw === undefined || raw === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new AppError('validation_failed', 'dimensions must be a JSON object such as {"host":"web-1"}', [{ field: 'querystring.dimensions', message: 'must be a JSON object' }]);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
    throw new AppError('validation_failed', 'dimensions must be a JSON object of string values', [{ field: 'querystring.dimensions', message: 'must be a JSON object of string values' }]);
  }
  return v as Labels;
}

