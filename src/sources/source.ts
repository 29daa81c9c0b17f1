/**
 * A source: where an organisation's points come from. Every ingest path (the JSON webhook,
 * Prometheus remote-write, OTLP, Influx line protocol, Prometheus scraping) may go through one; it
 * adds its default dimensions, applies its key mapping and counts what it accepted and rejected.
 */
import type { Labels } from '../core/labels.js';

export const sourceKinds = ['webhook', 'prometheus-remote-write', 'otlp', 'influx', 'prometheus-scrape'] as const;
export type SourceKind = (typeof sourceKinds)[number];

/** What a source name must match (also the dead-letter `source` label's pattern). */
export const sourceNamePattern = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * One key-mapping rule, applied in order to each point's key and dimensions (src/sources/mapping.ts).
 * Patterns are RE2 and anchored at both ends, as Prometheus' relabelling anchors them. In `replace`,
 * `__name__` stands for the key, so a dimension can become part of the key and back.
 */
export type MappingRule =
  /** Key equal to `key` (exact) or matching `pattern` → `to`, where `$1`, `${name}` refer to the pattern's groups. */
  | { action: 'rename'; key?: string; pattern?: string; to: string }
  /** Prepends `prefix` to keys (only those matching `pattern` when given). */
  | { action: 'prefix'; prefix: string; pattern?: string }
  /** Drops points whose key matches `pattern` (and, when given, whose `dimension` matches `valuePattern`). */
  | { action: 'drop'; pattern?: string; dimension?: string; valuePattern?: string }
  /** Keeps only points whose key matches `pattern` (and dimension/valuePattern when given). */
  | { action: 'keep'; pattern?: string; dimension?: string; valuePattern?: string }
  /**
   * Prometheus' `replace`: joins `sourceLabels` (`__name__` = key) with `separator` (default `;`), and
   * when the result matches `regex` (default `(.*)`) sets `targetLabel` to `replacement` (default `$1`)
   * expanded; an empty result removes a dimension (never the key).
   */
  | { action: 'replace'; sourceLabels: string[]; separator?: string; regex?: string; targetLabel: string; replacement?: string }
  /** Copies dimensions whose name matches `regex` to the name `replacement` (Prometheus' `labelmap`: the originals stay; a `labeldrop` after it removes them). */
  | { action: 'labelmap'; regex: string; replacement?: string }
  /** Removes dimensions whose name matches `regex` (Prometheus' `labeldrop`). */
  | { action: 'labeldrop'; regex: string }
  /** Keeps only dimensions whose name matches `regex` (Prometheus' `labelkeep`). */
  | { action: 'labelkeep'; regex: string };

/** One target of a `prometheus-scrape` source. */
export interface ScrapeTarget {
  /** http(s) URL of the exposition endpoint, e.g. http://127.0.0.1:9100/metrics. */
  url: string;
  /** Dimensions added to this target's samples (as Prometheus' target labels), besides `instance` and `job`. */
  labels?: Labels;
}

/** Settings of a `prometheus-scrape` source. */
export interface ScrapeSettings {
  targets: ScrapeTarget[];
  /** How often each target is scraped, seconds (Prometheus' scrape_interval; default 60). */
  intervalSeconds: number;
  /** Per-scrape timeout, seconds; at most the interval (default 10). */
  timeoutSeconds: number;
  /** The `job` dimension of the scraped samples and of `up` (default: the source's name). */
  job?: string;
}

/** What a source is made of: what the API sets (its kind only on creation). */
export interface SourceFields {
  name: string;
  kind: SourceKind;
  enabled: boolean;
  description: string;
  defaultDimensions: Labels;
  mapping: MappingRule[];
  /** Kind-specific settings: {@link ScrapeSettings} for `prometheus-scrape`, `{}` otherwise. */
  settings: Record<string, unknown>;
}

export interface Source extends SourceFields {
  id: string;
  orgId: string;
  stats: SourceStats;
  createdAt: Date;
  updatedAt: Date;
}

export interface SourceStats {
  pointsAccepted: number;
  pointsRejected: number;
  lastReceivedAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
}

export interface SourceRow {
  id: string;
  org_id: string;
  name: string;
  kind: SourceKind;
  enabled: boolean;
  description: string;
  default_dimensions: Labels;
  mapping: MappingRule[];
  settings: Record<string, unknown>;
  points_accepted: string | number;
  points_rejected: string | number;
  last_received_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const sourceColumns =
  'id, org_id, name, kind, enabled, description, default_dimensions, mapping, settings, points_accepted, points_rejected, last_received_at, last_error, last_error_at, created_at, updated_at';

export function toSource(r: SourceRow): Source {
  return {
    id: r.id,
    orgId: r.org_id,
    name: r.name,
    kind: r.kind,
    enabled: r.enabled,
    description: r.description,
    defaultDimensions: r.default_dimensions,
    mapping: r.mapping,
    settings: r.settings,
    stats: {
      pointsAccepted: Number(r.points_accepted),
      pointsRejected: Number(r.points_rejected),
      lastReceivedAt: r.last_received_at,
      lastError: r.last_error,
      lastErrorAt: r.last_error_at,
    },
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
