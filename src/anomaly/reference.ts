// The reference period a method honours (MethodOptions.reference), when it changes anything.
import type { IndexRange } from './detector.js';

/**
 * The reference clipped to a series of n points, or null when no point lies after it (then every point
 * is judged as without one) or it is empty. A prefix of a series thus scores like the start of the
 * whole: points before `end` never depend on it.
 */
export function referenceIn(reference: IndexRange | null | undefined, n: number): IndexRange | null {
  if (!reference) return null;
  const start = Math.max(0, reference.start);
  const end = Math.min(n, reference.end);
  return end > start && end < n ? { start, end } : null;
}
