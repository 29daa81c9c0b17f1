-- Known bounds of a series' values (a series setting: 0–100 for a percentage, 0–1 for a ratio).
-- Anomaly detection uses them when a request gives none; both are null when unknown.
ALTER TABLE series
  ADD COLUMN value_min double precision,
  ADD COLUMN value_max double precision,
  ADD CONSTRAINT series_bounds_pair CHECK ((value_min IS NULL) = (value_max IS NULL)),
  ADD CONSTRAINT series_bounds_order CHECK (value_min < value_max);
