// The values a template computes with, shaped after the Go types Prometheus' template data holds:
// strings, float64 (the alert's value), int (number literals without a point or exponent, `len`),
// bool, map[string]string (the labels), the data struct itself, and nil.

/** A Go int: kept apart from float64 because Go prints and compares them differently (`3` vs `3e+00`). */
export class GoInt {
  constructor(readonly n: number) {}
}

/** Label names to values; ranged over in sorted key order, as Go ranges over maps. */
export type LabelMap = ReadonlyMap<string, string>;

/** The data a template sees as `.` at its start and as `$`: `.Labels`, `.ExternalLabels`, `.Value`. */
export class TemplateRoot {
  constructor(
    readonly labels: LabelMap,
    readonly externalLabels: LabelMap,
    readonly value: number,
  ) {}
}

/** One template value; null is Go's nil (printed `<no value>` by an action). */
export type Value = string | number | boolean | GoInt | LabelMap | TemplateRoot | null;

/** The root's fields, as Prometheus names them. */
export const rootFields = ['Labels', 'ExternalLabels', 'Value'] as const;

export const isMap = (v: Value): v is LabelMap => v instanceof Map;

/** The Go type name of a value, for error messages such as `%!d(string=x)`. */
export function goTypeName(v: Value): string {
  if (v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof GoInt) return 'int';
  if (v instanceof TemplateRoot) return 'struct';
  return 'map[string]string';
}

/** Go's truth in `if`, `with`, `and`, `or`, `not`: false, 0, "", nil and empty maps are false (NaN is true). */
export function truth(v: Value): boolean {
  if (v === null) return false;
  if (typeof v === 'string') return v !== '';
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'boolean') return v;
  if (v instanceof GoInt) return v.n !== 0;
  if (v instanceof TemplateRoot) return true;
  return v.size > 0;
}

/** Keys of a map in Go's order for printing and ranging: sorted by UTF-16 code units (byte order for ASCII). */
export function sortedKeys(m: LabelMap): string[] {
  return [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
