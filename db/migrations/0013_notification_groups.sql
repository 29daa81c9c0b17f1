-- Alertmanager-style grouping of notifications (issue 17): a channel may group the alerts it is told
-- of by label values and notify each group in one message, with Alertmanager's timing (group wait,
-- group interval, repeat interval).

-- {groupBy: string[], groupWaitSeconds, groupIntervalSeconds, repeatIntervalSeconds}, or null: one
-- message per alert event (the behaviour before grouping).
ALTER TABLE channels ADD COLUMN grouping jsonb;

-- One aggregation group: the channel and the values of its groupBy labels (`group_key`). What was
-- last notified is kept here (Alertmanager's notification log entry), so a flush knows whether the
-- group has news. The delivery job claims due groups with FOR UPDATE SKIP LOCKED.
CREATE TABLE notification_groups (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  group_key text NOT NULL,
  labels jsonb NOT NULL,
  -- When the group is looked at next: first flush after group wait, then every group interval.
  next_flush_at timestamptz NOT NULL,
  last_notified_at timestamptz,
  -- Fingerprints of the firing and resolved alerts of the last notification.
  notified_firing text[] NOT NULL DEFAULT '{}',
  notified_resolved text[] NOT NULL DEFAULT '{}',
  max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (org_id, channel_id, group_key)
);
CREATE INDEX notification_groups_due ON notification_groups (org_id, next_flush_at);

-- The alerts of a group, one per alert fingerprint: the latest event's notification payload.
-- Resolved alerts leave after the flush that saw them.
CREATE TABLE notification_group_alerts (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  group_id uuid NOT NULL REFERENCES notification_groups (id) ON DELETE CASCADE,
  fingerprint text NOT NULL,
  alert_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('firing', 'resolved')),
  starts_at timestamptz NOT NULL,
  payload jsonb NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (group_id, fingerprint)
);
CREATE INDEX notification_group_alerts_alert ON notification_group_alerts (org_id, alert_id);
