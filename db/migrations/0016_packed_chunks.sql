-- Packed chunk rows (issue 18): a series with day-wide windows pays a chunk row (its header, key and
-- index entry, ~100 bytes) a day, however few its points (an hourly series: 24). When the maintenance
-- job merges small closed partitions, it packs such a series' days of one calendar month into rows
-- covering [window_start, window_end); src/metrics/points/chunk-pack.ts. Other rows keep window_end NULL: their
-- window is [window_start, window_start + the series' chunk_seconds), and a NULL costs no byte (the row
-- header's null bitmap fits its padding).
ALTER TABLE chunks ADD COLUMN window_end timestamptz;
-- Reads and writes find a packed row that starts before the day they look at through this index (a
-- packed row's start lies at most a month back); only packed rows are in it.
CREATE INDEX chunks_packed ON chunks (series_id, window_end) WHERE window_end IS NOT NULL;

