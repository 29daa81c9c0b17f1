-- Detection schedules (issue 16): continuous online anomaly detection over the series a key and
-- dimension filter select, every interval, from each series' saved state (no history is re-scored).
CREATE TABLE detection_schedules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL,
  key text NOT NULL,
  dimensions jsonb NOT NULL DEFAULT '{}'::jsonb,
  interval_seconds integer NOT NULL CHECK (interval_seconds BETWEEN 60 AND 86400),
  sensitivity double precision NOT NULL CHECK (sensitivity >= 0 AND sensitivity <= 1),
  -- [{name, weight}], or null for the default ensemble.
  methods jsonb,
  -- {min, max}, or null: each series' own bounds setting applies.
  bounds jsonb,
  -- {from, to} (ISO times), or null.
  baseline jsonb,
  paused boolean NOT NULL DEFAULT false,
  -- Bumped whenever the settings that shape detection change (and the states are dropped), so a run
  -- that started under the old settings cannot save what it found.
  revision integer NOT NULL DEFAULT 0,
  next_run_at timestamptz,
  last_run_at timestamptz,
  last_error text,
  series_count integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX detection_schedules_org ON detection_schedules (org_id, created_at, id);
CREATE INDEX detection_schedules_due ON detection_schedules (next_run_at) WHERE NOT paused;

-- Where a schedule stands in each series: the last point it read, its last report (for one report
-- per episode across runs) and the stateful methods' saved states.
CREATE TABLE detection_states (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  schedule_id uuid NOT NULL REFERENCES detection_schedules (id) ON DELETE CASCADE,
  series_id bigint NOT NULL,
  -- Null until a run has read the series (a first run that failed still records its error here).
  last_point_at timestamptz,
  -- Points read so far; a point's sequence number is its place among them (0-based).
  points_processed bigint NOT NULL DEFAULT 0,
  last_report_seq bigint,
  last_report_at timestamptz,
  -- The methods' states (src/anomaly/state-codec.ts), or null when no method keeps one.
  states bytea,
  anomalies_found bigint NOT NULL DEFAULT 0,
  last_error text,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (schedule_id, series_id)
);
CREATE INDEX detection_states_org ON detection_states (org_id, schedule_id);

-- The schedule that found a stored anomaly (null: on-demand detection or an alert rule's own).
ALTER TABLE anomalies ADD COLUMN schedule_id uuid REFERENCES detection_schedules (id) ON DELETE SET NULL;
CREATE INDEX anomalies_schedule ON anomalies (schedule_id, series_id, ts) WHERE schedule_id IS NOT NULL;
