-- Time series, their points, idempotency keys of ingest requests, and the dead-letter queue.

-- A series is one metric key with one set of dimensions. jsonb equality ignores key order, so
-- {"a":"1","b":"2"} and {"b":"2","a":"1"} are the same series.
CREATE TABLE series (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  key text NOT NULL,
  dimensions jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, key, dimensions)
);
-- Dimension filters (dimensions @> '{"host":"web-1"}') within an org.
CREATE INDEX series_dimensions ON series USING gin (dimensions jsonb_path_ops);

-- Points are keyed by series then time: range queries of one series read one index range.
-- The BRIN index on time serves retention and cross-series time scans at almost no write cost.
-- series_id has no foreign key: its per-row check locks the series row (FOR KEY SHARE, a WAL record
-- each) and costs a third of PostgreSQL's time per ingested batch. Series ids come from the series
-- table (resolveSeries, never deleted while in use); points go with their series through the
-- triggers below, as ON DELETE CASCADE did.
CREATE TABLE points (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  series_id bigint NOT NULL,
  ts timestamptz NOT NULL,
  value double precision NOT NULL,
  PRIMARY KEY (series_id, ts)
);
CREATE INDEX points_ts ON points USING brin (ts);

-- ON DELETE CASCADE from series to points, once per statement (also for an organisation's deletion),
-- and a truncation of series truncates points.
CREATE FUNCTION delete_points_of_deleted_series() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM points p USING deleted_series d WHERE p.series_id = d.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER series_delete_points AFTER DELETE ON series
  REFERENCING OLD TABLE AS deleted_series FOR EACH STATEMENT EXECUTE FUNCTION delete_points_of_deleted_series();
CREATE FUNCTION truncate_points() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE points;
  RETURN NULL;
END
$$;
CREATE TRIGGER series_truncate_points AFTER TRUNCATE ON series FOR EACH STATEMENT EXECUTE FUNCTION truncate_points();

-- The stored reply of an ingest request sent with an Idempotency-Key.
CREATE TABLE idempotency_keys (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  -- SHA-256 of method, path and body: a reuse with another request is refused.
  fingerprint text NOT NULL,
  state text NOT NULL CHECK (state IN ('in_flight', 'done')),
  response_status integer,
  response_body jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  locked_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, key)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (org_id, expires_at);

-- Every rejected item with why, from where and when, until reprocessed, deleted or expired.
CREATE TABLE dead_letters (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  source text NOT NULL,
  request_id text,
  raw jsonb,
  error_code text NOT NULL,
  error_message text NOT NULL,
  error_field text,
  attempts integer NOT NULL DEFAULT 1,
  received_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX dead_letters_org_received ON dead_letters (org_id, received_at DESC, id DESC);
