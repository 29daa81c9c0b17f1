-- Sources (issue 15): where an organisation's points come from, each with its protocol (`kind`),
-- dimensions added to every point it brings, key-mapping rules and an on/off switch.
CREATE TABLE sources (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (name ~ '^[A-Za-z0-9_.:-]{1,64}$'),
  kind text NOT NULL CHECK (kind IN ('webhook', 'prometheus-remote-write', 'otlp', 'influx', 'prometheus-scrape')),
  enabled boolean NOT NULL DEFAULT true,
  description text NOT NULL DEFAULT '',
  -- {name: value}: added to every point the source brings; a point's own dimension of the same name wins.
  default_dimensions jsonb NOT NULL DEFAULT '{}',
  -- [{action, …}] applied in order (src/sources/mapping.ts).
  mapping jsonb NOT NULL DEFAULT '[]',
  -- Kind-specific settings: prometheus-scrape {targets: [{url, labels}], intervalSeconds, timeoutSeconds}.
  settings jsonb NOT NULL DEFAULT '{}',
  -- Counters, updated after each request's commit.
  points_accepted bigint NOT NULL DEFAULT 0,
  points_rejected bigint NOT NULL DEFAULT 0,
  last_received_at timestamptz,
  last_error text,
  last_error_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  created_by jsonb,
  updated_by jsonb,
  UNIQUE (org_id, name)
);

-- A key bound to a source sends everything through it. A source with bound (unrevoked or revoked)
-- keys cannot be deleted (the API answers 409 naming them): unbinding silently would widen the key.
-- NO ACTION (checked at the end of the statement) still lets an organisation's deletion cascade.
ALTER TABLE api_keys ADD COLUMN source_id uuid REFERENCES sources (id);

-- The source a rejected item came through (null: none configured); `source` keeps its name at the time.
ALTER TABLE dead_letters ADD COLUMN source_id uuid REFERENCES sources (id) ON DELETE SET NULL;

-- Health of each target of a prometheus-scrape source, as Prometheus shows on its targets page.
CREATE TABLE scrape_targets (
  source_id uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  url text NOT NULL,
  up boolean,
  last_scrape_at timestamptz,
  last_duration_ms double precision,
  samples_scraped integer,
  last_error text,
  next_scrape_at timestamptz NOT NULL,
  PRIMARY KEY (source_id, url)
);
CREATE INDEX scrape_targets_due ON scrape_targets (next_scrape_at);
