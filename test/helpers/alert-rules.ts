// Builders for the alert rule tests (test-only: never compiled into dist/): a rule with defaults, a series from [t, v] pairs.
import type { AlertRule, RuleCondition, SeriesInput } from '../../src/alert/rule.js';

export const MIN = 60_000;
export const NOW = Date.UTC(2024, 0, 1, 12, 0, 0);

export function makeRule<C extends RuleCondition>(condition: C, overrides: Partial<Omit<AlertRule, 'condition'>> = {}): AlertRule & { condition: C } {
  return {
    id: 'rule-1',
    orgId: 'org-1',
    name: 'High CPU',
    key: 'cpu.usage',
    dimensions: {},
    severity: 'warning',
    labels: {},
    annotations: {},
    evaluationIntervalSeconds: 60,
    channels: [],
    dedupWindowSeconds: 300,
    repeatIntervalSeconds: 0,
    enabled: true,
    ...overrides,
    condition,
  };
}

/** A series of web-1's cpu.usage from [timestamp ms, value] pairs (ascending). */
export function makeSeries(points: readonly (readonly [number, number])[], extra: Partial<SeriesInput> = {}): SeriesInput {
  return {
    seriesId: '1',
    key: 'cpu.usage',
    dimensions: { host: 'web-1' },
    timestampsMs: Float64Array.from(points, (p) => p[0]),
    values: Float64Array.from(points, (p) => p[1]),
    lastSeenMs: points.length ? points[points.length - 1]![0] : null,
    ...extra,
  };
}

/** Every number reachable in a value (objects, arrays) is finite. */
export function assertNoNaN(x: unknown, path = 'result'): void {
  if (typeof x === 'number' && !Number.isFinite(x)) throw new Error(`${path} is ${x}`);
  if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) assertNoNaN(v, `${path}.${k}`);
}
