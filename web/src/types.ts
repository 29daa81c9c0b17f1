// The API's reply shapes the dashboard reads (from the OpenAPI document, GET /docs/json).

export type Role = 'viewer' | 'member' | 'admin' | 'owner';
export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type Dimensions = Record<string, string>;

export interface User {
  id: string;
  email: string;
  name: string;
  emailVerified: boolean;
  hasPassword: boolean;
  createdAt: string;
}

export interface Membership {
  orgId: string;
  name: string;
  slug: string;
  role: Role;
}

export interface Me {
  user: User;
  memberships: Membership[];
  defaultOrgId: string | null;
  currentOrgId: string | null;
  identities: { provider: string; email: string | null; linkedAt: string }[];
  csrfToken: string;
}

export interface Provider {
  id: string;
  name: string;
  startUrl: string;
}

export interface CatalogEntry {
  key: string;
  dimensions: Dimensions;
  firstTimestamp: string | null;
  lastTimestamp: string | null;
  pointCount: number;
  /** The series' known value bounds (a series setting), null when unknown. */
  bounds: ValueBounds | null;
}

export interface ValueBounds {
  min: number;
  max: number;
}

/** GET/PUT /api/v1/series/settings. */
export interface SeriesSettings {
  key: string;
  dimensions: Dimensions;
  bounds: ValueBounds | null;
}

export interface DetectionSchedule {
  id: string;
  name: string;
  key: string;
  dimensions: Dimensions;
  intervalSeconds: number;
  sensitivity: number;
  /** null: the default ensemble. */
  methods: { name: string; weight: number }[] | null;
  /** null: each series' own bounds setting. */
  bounds: ValueBounds | null;
  baseline: { from: string; to: string } | null;
  paused: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastError: string | null;
  seriesCount: number;
  createdAt: string;
  updatedAt: string;
}

/** One series' detection state under a schedule (GET /api/v1/detection-schedules/:id/series). */
export interface DetectionSeriesState {
  seriesId: number | string;
  key: string;
  dimensions: Dimensions;
  lastPointAt: string | null;
  lastRunAt: string | null;
  pointsProcessed: number;
  anomaliesFound: number;
  stateBytes: number;
  lastError: string | null;
}

export interface QueryReply {
  series: { key: string; dimensions: Dimensions; points: { timestamp: string; value: number | null }[] }[];
  nextCursor: string | null;
}

export interface Forecast {
  id: string;
  backend: string;
  model: string;
  frequency: string;
  horizon: number;
  levels: number[];
  generatedAt: string;
  key: string | null;
  dimensions: Dimensions | null;
  points: { timestamp: string; value: number; intervals: Record<string, { lower: number; upper: number }> }[];
}

export interface Anomaly {
  id: string | null;
  key: string | null;
  dimensions: Dimensions | null;
  timestamp: string;
  value: number;
  expected: number | null;
  score: number;
  severity: Severity;
  methods: { name: string; score: number; weight: number; flagged: boolean }[];
  consensus: number;
}

export interface Backend {
  name: string;
  description: string;
  available: boolean;
  default: boolean;
  capabilities: { frequencies: string[] };
}

export interface Alert {
  id: string;
  ruleId: string | null;
  ruleName: string;
  ruleKind: string;
  state: string;
  severity: string;
  key: string;
  dimensions: Dimensions;
  /** The series' dimensions, the rule's labels, `__name__` (the key), `alertname` and `severity`. */
  labels?: Record<string, string>;
  value: number | null;
  summary: string;
  startedAt: string;
  firedAt: string | null;
  endedAt: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: { kind: string; id: string; comment?: string | null } | null;
  updatedAt: string;
}

export interface AlertDetail extends Alert {
  transitions: { at: string; from: string | null; to: string; actor: unknown; value: number | null }[];
  notifications: { id: string; channelId: string; event: string; status: string }[];
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  status: 'active' | 'expired' | 'revoked';
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

export interface ForecastSchedule {
  id: string;
  name: string;
  key: string;
  dimensions: Dimensions;
  frequency: string;
  horizon: number;
  backend: string | null;
  levels: number[];
  schedule: string;
  cron: string;
  paused: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ForecastRun {
  id: string;
  scheduleId: string;
  scheduledFor: string;
  status: 'pending' | 'running' | 'completed' | 'failed';
  attempts: number;
  error: string | null;
  seriesCount: number | null;
  forecastCount: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface DeadLetter {
  id: string;
  source: string;
  requestId: string | null;
  item: unknown;
  error: { code: string; message: string; field: string | null };
  attempts: number;
  receivedAt: string;
  updatedAt: string;
}

export interface ReprocessResult {
  stored: number;
  duplicates: number;
  failed: { id: string; code: string; message: string; field: string }[];
  notFound: string[];
}

export type SourceKind = 'webhook' | 'prometheus-remote-write' | 'otlp' | 'influx' | 'prometheus-scrape';

/** One key-mapping rule (src/sources/source.ts MappingRule): edited as JSON, checked by the server. */
export type MappingRule = { action: string } & Record<string, unknown>;

export interface ScrapeTarget {
  url: string;
  labels?: Dimensions;
}

/** `settings` of a prometheus-scrape source; `{}` for the other kinds. */
export interface ScrapeSettings {
  targets: ScrapeTarget[];
  intervalSeconds: number;
  timeoutSeconds: number;
  job?: string;
}

export interface Source {
  id: string;
  name: string;
  kind: SourceKind;
  enabled: boolean;
  description: string;
  defaultDimensions: Dimensions;
  mapping: MappingRule[];
  settings: Partial<ScrapeSettings> & Record<string, unknown>;
  stats: {
    pointsAccepted: number;
    pointsRejected: number;
    lastReceivedAt: string | null;
    lastError: string | null;
    lastErrorAt: string | null;
  };
  createdAt: string;
  updatedAt: string;
}

/** The health of one target of a prometheus-scrape source, as Prometheus' targets page shows it. */
export interface ScrapeTargetHealth {
  url: string;
  up: boolean | null;
  lastScrapeAt: string | null;
  lastDurationMs: number | null;
  samplesScraped: number | null;
  lastError: string | null;
  nextScrapeAt: string | null;
}
