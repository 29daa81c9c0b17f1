-- The storage engine (issue 18): hot rows, compressed chunks, rollups, time partitions, retention.
--
-- A point of a series lives in exactly one place: a hot row in `points` (recent data and late data
-- not yet compacted) or inside the chunk of its series and window. The compaction job moves closed
-- windows from `points` into `chunks` (src/metrics/points/compact.ts) and maintains the rollups of the
-- days it touched; reads merge both (src/metrics/points/read.ts). See the README's "Storage engine".

-- Width of a series' chunk windows, chosen at its first compaction from its point spacing
-- (src/store/chunks/window.ts): 2 h for dense series, a day for sparse ones. Null until then.
ALTER TABLE series ADD COLUMN chunk_seconds integer CHECK (chunk_seconds IN (7200, 86400));

-- Hot rows: no organisation column (the series implies it, and 16 bytes a row were a sixth of the
-- row), no value in the key (hot data is read rarely and briefly; the index stays small to insert).
CREATE TABLE points_hot (
  series_id bigint NOT NULL,
  ts timestamptz NOT NULL,
  value double precision NOT NULL,
  CONSTRAINT points_hot_pkey PRIMARY KEY (series_id, ts)
);
INSERT INTO points_hot (series_id, ts, value) SELECT series_id, ts, value FROM points;
DROP TABLE points;
ALTER TABLE points_hot RENAME TO points;
ALTER TABLE points RENAME CONSTRAINT points_hot_pkey TO points_pkey;
-- Compaction finds closed windows by time; hot rows arrive roughly in time order.
CREATE INDEX points_ts ON points USING brin (ts);
ALTER TABLE points SET (autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_vacuum_scale_factor = 0.05);

-- One row per series and closed window: the window's points compressed by src/store/chunks/codec.ts.
-- Partitioned by day of window_start (every window lies inside one UTC day), so retention drops whole
-- partitions; partitions are made on demand by src/metrics/points/partitions.ts (named chunks_pYYYYMMDD,
-- rows kept inline up to 8 kB: a chunk is already compressed, TOAST would only add a table and index).
CREATE TABLE chunks (
  series_id bigint NOT NULL,
  window_start timestamptz NOT NULL,
  first_ts timestamptz NOT NULL,
  last_ts timestamptz NOT NULL,
  n integer NOT NULL CHECK (n > 0),
  data bytea NOT NULL,
  PRIMARY KEY (series_id, window_start)
) PARTITION BY RANGE (window_start);

-- Rollups: per series and UTC day, the buckets of 5 minutes / 1 hour of its compacted points, each with
-- min, max, sum, count and last (src/store/chunks/rollup.ts). Partitioned by month of day.
CREATE TABLE rollups_5m (
  series_id bigint NOT NULL,
  day timestamptz NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (series_id, day)
) PARTITION BY RANGE (day);
CREATE TABLE rollups_1h (
  series_id bigint NOT NULL,
  day timestamptz NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (series_id, day)
) PARTITION BY RANGE (day);

-- Retention per organisation (days); absent: the defaults in src/metrics/points/retention.ts.
CREATE TABLE retention_settings (
  org_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  raw_days integer NOT NULL CHECK (raw_days BETWEEN 1 AND 36500),
  rollup_5m_days integer NOT NULL CHECK (rollup_5m_days BETWEEN 1 AND 36500),
  rollup_1h_days integer NOT NULL CHECK (rollup_1h_days BETWEEN 1 AND 36500),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A series' points, chunks and rollups go with it (as before: once per statement, no foreign keys).
CREATE OR REPLACE FUNCTION delete_points_of_deleted_series() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM points p USING deleted_series d WHERE p.series_id = d.id;
  DELETE FROM chunks c USING deleted_series d WHERE c.series_id = d.id;
  DELETE FROM rollups_5m r USING deleted_series d WHERE r.series_id = d.id;
  DELETE FROM rollups_1h r USING deleted_series d WHERE r.series_id = d.id;
  RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION truncate_points() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE points, chunks, rollups_5m, rollups_1h;
  RETURN NULL;
END
$$;
