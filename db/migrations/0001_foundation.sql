-- Organisations (tenants) and their API keys.

CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  -- The organisation created on first start; its admin keys may create other organisations.
  is_platform boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- SHA-256 of the whole key, hex. The key itself is never stored.
  key_hash text NOT NULL UNIQUE,
  -- The first characters of the key, shown in listings so people can tell keys apart.
  prefix text NOT NULL,
  scopes text[] NOT NULL,
  rate_limit_max integer CHECK (rate_limit_max > 0),
  rate_limit_window_seconds integer CHECK (rate_limit_window_seconds > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz,
  CHECK ((rate_limit_max IS NULL) = (rate_limit_window_seconds IS NULL))
);

CREATE INDEX api_keys_org_created ON api_keys (org_id, created_at);
