-- Forecasts (on demand and scheduled), forecast schedules and their runs.

-- A schedule forecasts every series matching (key, dimensions ⊆ series dimensions) on its cron.
CREATE TABLE forecast_schedules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL,
  key text NOT NULL,
  dimensions jsonb NOT NULL DEFAULT '{}'::jsonb,
  frequency text NOT NULL CHECK (frequency IN ('1m', '5m', '1h', '1d')),
  horizon integer NOT NULL CHECK (horizon BETWEEN 1 AND 720),
  backend text,
  levels double precision[] NOT NULL,
  -- As given ('hourly', 'daily' or a cron expression) and as the 5-field UTC cron it stands for.
  schedule text NOT NULL,
  cron text NOT NULL,
  paused boolean NOT NULL DEFAULT false,
  next_run_at timestamptz,
  last_run_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX forecast_schedules_org ON forecast_schedules (org_id, created_at, id);
CREATE INDEX forecast_schedules_due ON forecast_schedules (next_run_at) WHERE NOT paused;

-- One run per schedule tick (the unique key makes a tick enqueue once however many servers tick).
CREATE TABLE forecast_runs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  schedule_id uuid NOT NULL REFERENCES forecast_schedules (id) ON DELETE CASCADE,
  scheduled_for timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  error text,
  series_count integer,
  forecast_count integer,
  -- The queue job that executes the run (null until enqueued).
  job_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  UNIQUE (schedule_id, scheduled_for)
);
CREATE INDEX forecast_runs_schedule ON forecast_runs (org_id, schedule_id, scheduled_for DESC);

-- A stored forecast: what was asked, what answered, and the points with their intervals.
CREATE TABLE forecasts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  -- The stored series forecast (null for inline data); key and dimensions are kept as they were.
  series_id bigint,
  key text,
  dimensions jsonb,
  run_id uuid REFERENCES forecast_runs (id) ON DELETE SET NULL,
  backend text NOT NULL,
  requested_backend text NOT NULL,
  fallback_reason text,
  model text NOT NULL,
  params jsonb NOT NULL DEFAULT '{}'::jsonb,
  frequency text NOT NULL CHECK (frequency IN ('1m', '5m', '1h', '1d')),
  horizon integer NOT NULL CHECK (horizon BETWEEN 1 AND 720),
  levels double precision[] NOT NULL,
  history_start timestamptz NOT NULL,
  history_points integer NOT NULL,
  filled_points integer NOT NULL DEFAULT 0,
  -- The first forecast step; step i is at start_at + i × frequency.
  start_at timestamptz NOT NULL,
  mean double precision[] NOT NULL,
  -- {"80": {"lower": [...], "upper": [...]}, ...}
  intervals jsonb NOT NULL,
  -- In-sample MAE of the seasonal naive forecast on the history: the MASE denominator.
  mase_scale double precision,
  generated_at timestamptz NOT NULL
);
CREATE INDEX forecasts_series ON forecasts (org_id, series_id, generated_at DESC);
CREATE INDEX forecasts_org_generated ON forecasts (org_id, generated_at DESC, id DESC);
CREATE INDEX forecasts_run ON forecasts (run_id) WHERE run_id IS NOT NULL;
