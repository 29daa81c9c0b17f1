-- Chunk and rollup partitions are vacuumed once more than 20 + 5% of their rows are dead
-- (src/metrics/points/partitions.ts COMPACTED_VACUUM; new partitions get it when they are made).
-- Compaction rewrites their rows whole, and PostgreSQL's default (50 + 20%) let days of old versions
-- pile up in a small store. This sets it on the partitions made before.
DO $$
DECLARE
  part regclass;
BEGIN
  FOR part IN
    SELECT p.relid FROM unnest(ARRAY['chunks', 'rollups_5m', 'rollups_1h']) AS t(name), pg_partition_tree(t.name::regclass) p WHERE p.isleaf
  LOOP
    EXECUTE format('ALTER TABLE %s SET (autovacuum_vacuum_threshold = 20, autovacuum_vacuum_scale_factor = 0.05)', part);
  END LOOP;
END $$;
