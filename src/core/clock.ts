/**
 * Time as an argument. Domain code never calls `Date.now()` or `new Date()` itself: it is given a
 * {@link Clock}, so tests pin time exactly and one pass sees one "now".
 */

/** The current time. Production passes {@link systemClock}; tests pass a fixed or stepping clock. */
export type Clock = () => Date;

/** The wall clock. */
export const systemClock: Clock = () => new Date();

/** A clock that always answers `at` (epoch ms or a Date): for tests and for replaying one instant. */
export function fixedClock(at: number | Date): Clock {
  const ms = typeof at === 'number' ? at : at.getTime();
  return () => new Date(ms);
}

/** Epoch milliseconds from a clock, for code that does arithmetic on time. */
export function nowMs(clock: Clock): number {
  return clock().getTime();
}
