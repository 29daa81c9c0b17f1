/**
 * A source's key mapping: its rules compiled once into a function over one point's key and
 * dimensions (pure; RE2 patterns, anchored at both ends as Prometheus' relabelling anchors them).
 */
import type { Labels } from '../core/labels.js';
import type { MappingRule } from './source.js';

/** A point's identity after mapping. */
export interface MappedSeries {
  key: string;
  dimensions: Labels;
}

/** Maps one point's key and dimensions; null when a rule drops the point. Never throws. */
export type PointMapper = (key: string, dimensions: Labels) => MappedSeries | null;

/**
 * Compiles `rules` (already validated by {@link checkMappingRules}) into a mapper. The dimensions
 * passed in are not modified.
 */
export function compileMapping(rules: MappingRule[]): PointMapper {
  if (!rules.length) return (key, dimensions) => ({ key, dimensions });
  throw new Error('mapping rules are not implemented yet');
}

/** Problems in `rules` (bad patterns, unknown actions, a `replace` that empties the key…); empty when valid. */
export function checkMappingRules(rules: MappingRule[]): { path: string; message: string }[] {
  return rules.length ? [{ path: '', message: 'mapping rules are not implemented yet' }] : [];
}
