-- Anomalies found in stored series, one row per (series, time): detecting the same point again
-- updates it, so its id stays stable for the alerts that link to it.
CREATE TABLE anomalies (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  series_id bigint NOT NULL,
  key text NOT NULL,
  dimensions jsonb NOT NULL,
  ts timestamptz NOT NULL,
  value double precision NOT NULL,
  expected double precision,
  score double precision NOT NULL CHECK (score >= 0 AND score <= 1),
  severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  -- 1 low … 4 critical, for minSeverity filters.
  severity_rank smallint NOT NULL CHECK (severity_rank BETWEEN 1 AND 4),
  consensus double precision NOT NULL,
  -- [{name, score, weight, flagged}]
  methods jsonb NOT NULL,
  -- {before: [{timestamp, value}], after: [...], stats: {mean, stdDev, min, max} | null}
  context jsonb NOT NULL,
  sensitivity double precision NOT NULL,
  mode text NOT NULL CHECK (mode IN ('batch', 'online')),
  detected_at timestamptz NOT NULL,
  UNIQUE (org_id, series_id, ts)
);
CREATE INDEX anomalies_org_ts ON anomalies (org_id, ts DESC, id DESC);
CREATE INDEX anomalies_series_ts ON anomalies (org_id, series_id, ts DESC);
