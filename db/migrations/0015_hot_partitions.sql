-- Hot rows in two-hour time partitions (issue 18): compaction empties a closed partition with one
-- TRUNCATE instead of deleting its rows one by one (a WAL record and a dead tuple each, then VACUUM).
--
-- `points` becomes a table partitioned by ts. The table it was becomes the DEFAULT partition
-- (attached as it is: no row is copied): it keeps every row no two-hour partition covers (data older
-- than the recent two days or further ahead than a few hours, and everything written before the
-- partitions existed), compacted as before by DELETE. The two-hour partitions (points_pYYYYMMDDHH,
-- aligned with the 2 h chunk windows) are made ahead and dropped once empty and old by
-- src/metrics/points/hot-partitions.ts, so the write path never runs DDL.
ALTER INDEX points_pkey RENAME TO points_default_pkey;
ALTER INDEX points_ts RENAME TO points_default_ts;
ALTER TABLE points RENAME TO points_default;

CREATE TABLE points (
  series_id bigint NOT NULL,
  ts timestamptz NOT NULL,
  value double precision NOT NULL,
  CONSTRAINT points_pkey PRIMARY KEY (series_id, ts)
) PARTITION BY RANGE (ts);
ALTER TABLE points ATTACH PARTITION points_default DEFAULT;
