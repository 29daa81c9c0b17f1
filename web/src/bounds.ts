// A series' known value bounds in the dashboard: shown as "min – max", entered as two number fields.
import { num } from './components/form';
import type { ValueBounds } from './types';
import { formatNumber } from './ui';

export function boundsLabel(b: ValueBounds | null): string {
  return b ? `${formatNumber(b.min)} – ${formatNumber(b.max)}` : 'none';
}

/** Bounds from two text fields: null when both are empty; NaN where one is missing, so the API names it. */
export function boundsFromText(min: string, max: string): ValueBounds | null {
  return min.trim() === '' && max.trim() === '' ? null : { min: num(min), max: num(max) };
}
