-- Alerting: rules, notification channels, per-series evaluation state, alert instances with their
-- transitions, silences, and notification deliveries with every attempt.

-- A channel notifications go to. `config` is the notifier's parsed configuration INCLUDING ITS
-- SECRETS (SMTP password, webhook signing secret, PagerDuty routing key, Slack webhook URL): the API
-- never returns it as stored, only the notifier's redacted form. Keep database backups as secret as
-- the channels' credentials.
CREATE TABLE channels (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  type text NOT NULL,
  config jsonb NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (org_id, name)
);
CREATE INDEX channels_org ON channels (org_id, created_at, id);

-- A rule watches the series of one key whose dimensions include `dimensions`; each series is its own
-- alert instance. `condition` is one of src/alert/rule.ts's conditions, `kind` repeated as a column.
CREATE TABLE alert_rules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  key text NOT NULL,
  dimensions jsonb NOT NULL DEFAULT '{}'::jsonb,
  severity text NOT NULL CHECK (severity IN ('critical', 'error', 'warning', 'info')),
  labels jsonb NOT NULL DEFAULT '{}'::jsonb,
  annotations jsonb NOT NULL DEFAULT '{}'::jsonb,
  evaluation_interval_seconds integer NOT NULL CHECK (evaluation_interval_seconds BETWEEN 60 AND 86400),
  -- Channel ids of the same org (checked by the API; a channel in use cannot be deleted).
  channels uuid[] NOT NULL DEFAULT '{}',
  dedup_window_seconds integer NOT NULL CHECK (dedup_window_seconds >= 0),
  repeat_interval_seconds integer NOT NULL CHECK (repeat_interval_seconds >= 0),
  enabled boolean NOT NULL DEFAULT true,
  kind text NOT NULL CHECK (kind IN ('threshold', 'anomaly', 'forecast', 'rate_of_change', 'missing_data')),
  condition jsonb NOT NULL,
  -- The evaluator claims a rule by moving this forward (UPDATE … WHERE next_evaluation_at <= now
  -- … SKIP LOCKED), so several servers evaluate each rule once per interval.
  next_evaluation_at timestamptz,
  last_evaluated_at timestamptz,
  -- The last pass's error (null when it succeeded), and how many series it saw.
  last_error text,
  last_series_count integer,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (org_id, name)
);
CREATE INDEX alert_rules_org ON alert_rules (org_id, created_at, id);
CREATE INDEX alert_rules_due ON alert_rules (org_id, next_evaluation_at) WHERE enabled;
CREATE INDEX alert_rules_channels ON alert_rules USING gin (channels);

-- What evaluation remembers per (rule, series) between passes: src/alert/rule.ts SeriesState as JSON.
CREATE TABLE alert_series_state (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  rule_id uuid NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  series_id bigint NOT NULL,
  state jsonb NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (rule_id, series_id)
);
CREATE INDEX alert_series_state_org ON alert_series_state (org_id, rule_id);

-- Alert instances: one per (rule, series) episode. At most one open (not resolved) alert per
-- fingerprint; a new episode after resolution is a new row. The rule's name, kind and severity are
-- kept so history survives the rule's deletion.
CREATE TABLE alerts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  rule_id uuid REFERENCES alert_rules (id) ON DELETE SET NULL,
  rule_name text NOT NULL,
  rule_kind text NOT NULL,
  -- The series (as it was named when the alert opened).
  series_id bigint,
  key text NOT NULL,
  dimensions jsonb NOT NULL DEFAULT '{}'::jsonb,
  fingerprint text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'firing', 'acknowledged', 'resolved', 'suppressed')),
  severity text NOT NULL CHECK (severity IN ('critical', 'error', 'warning', 'info')),
  -- Series labels (__key__ and dimensions) plus the rule's labels.
  labels jsonb NOT NULL,
  annotations jsonb NOT NULL DEFAULT '{}'::jsonb,
  value double precision,
  summary text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- The stored anomaly an anomaly rule fired on.
  anomaly_id uuid REFERENCES anomalies (id) ON DELETE SET NULL,
  started_at timestamptz NOT NULL,
  -- When the condition first fired (even while silenced); null while only pending.
  fired_at timestamptz,
  ended_at timestamptz,
  -- The silence keeping it suppressed (no foreign key: a deleted silence ends at the next pass).
  silence_id uuid,
  acknowledged_at timestamptz,
  -- {kind: key|user|system, id, comment}
  acknowledged_by jsonb,
  resolved_by jsonb,
  notification_count integer NOT NULL DEFAULT 0,
  last_notified_at timestamptz,
  -- The last event notified: firing | acknowledged | resolved.
  last_event text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX alerts_open_fingerprint ON alerts (org_id, fingerprint) WHERE state <> 'resolved';
CREATE INDEX alerts_org_started ON alerts (org_id, started_at DESC, id DESC);
CREATE INDEX alerts_org_state ON alerts (org_id, state, started_at DESC, id DESC);
CREATE INDEX alerts_rule ON alerts (org_id, rule_id, started_at DESC);

-- Every change of an alert's state, with who made it.
CREATE TABLE alert_transitions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  alert_id uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  from_state text,
  to_state text NOT NULL,
  actor_kind text NOT NULL CHECK (actor_kind IN ('key', 'user', 'system')),
  actor_id text,
  comment text,
  value double precision
);
CREATE INDEX alert_transitions_alert ON alert_transitions (org_id, alert_id, id);

-- Silences: alerts whose labels match every matcher send no notifications while active.
CREATE TABLE silences (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  -- [{name, value, operator}]
  matchers jsonb NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL CHECK (ends_at > starts_at),
  comment text NOT NULL DEFAULT '',
  created_by jsonb NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX silences_org ON silences (org_id, ends_at DESC, id DESC);

-- One event of one alert to one channel. The payload is built when the event happens, so a delivery
-- says what the alert was at that moment (and survives the rule's deletion). Status:
-- pending (waiting for next_attempt_at) → delivering (claimed by a worker until lease_until) →
-- delivered, or back to pending for a retry, or dead after max_attempts (listed and retried by hand).
CREATE TABLE notification_deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  alert_id uuid REFERENCES alerts (id) ON DELETE CASCADE,
  channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  event text NOT NULL CHECK (event IN ('firing', 'acknowledged', 'resolved', 'test')),
  status text NOT NULL CHECK (status IN ('pending', 'delivering', 'delivered', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL CHECK (max_attempts >= 1),
  next_attempt_at timestamptz NOT NULL,
  lease_until timestamptz,
  last_error text,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  delivered_at timestamptz
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at) WHERE status IN ('pending', 'delivering');
CREATE INDEX notification_deliveries_org ON notification_deliveries (org_id, created_at DESC, id DESC);
CREATE INDEX notification_deliveries_org_status ON notification_deliveries (org_id, status, created_at DESC, id DESC);
CREATE INDEX notification_deliveries_alert ON notification_deliveries (org_id, alert_id, created_at);

-- Every attempt of a delivery, as the receiver answered.
CREATE TABLE notification_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  delivery_id uuid NOT NULL REFERENCES notification_deliveries (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  at timestamptz NOT NULL,
  ok boolean NOT NULL,
  status integer,
  retryable boolean NOT NULL,
  error text,
  response text,
  duration_ms double precision NOT NULL
);
CREATE INDEX notification_attempts_delivery ON notification_attempts (org_id, delivery_id, id);
