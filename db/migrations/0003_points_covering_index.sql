-- Range reads of one series become index-only scans: the primary key carries the value, so a
-- 1,000-point read touches a handful of index pages instead of one heap page per point (points of
-- a series are spread over the heap, one scrape at a time). bench:query: see the README.
-- The visibility map must be current for index-only scans to skip the heap, so insert-only growth
-- triggers a vacuum after 2% new rows instead of PostgreSQL's default 20%.
ALTER TABLE points DROP CONSTRAINT points_pkey;
ALTER TABLE points ADD CONSTRAINT points_pkey PRIMARY KEY (series_id, ts) INCLUDE (value);
ALTER TABLE points SET (autovacuum_vacuum_insert_scale_factor = 0.02);
