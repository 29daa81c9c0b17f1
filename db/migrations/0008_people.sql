-- People: users, their provider identities, sessions, single-use tokens, memberships in organisations
-- and invitations. Users are not tenant-owned (one person belongs to many organisations); every
-- organisation-owned row (memberships, invitations) carries org_id as elsewhere.

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Trimmed and lower-cased by the application; one account per address.
  email text NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 320),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- scrypt$… (src/auth/passwords.ts); null for accounts that sign in only through a provider.
  password_hash text,
  email_verified_at timestamptz,
  default_org_id uuid REFERENCES organizations (id) ON DELETE SET NULL,
  password_changed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Google/GitHub accounts linked to a user, by the provider's stable subject id.
CREATE TABLE user_identities (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider text NOT NULL CHECK (provider IN ('google', 'github')),
  subject text NOT NULL,
  email text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, subject),
  UNIQUE (user_id, provider)
);

-- Sign-in sessions: the cookie holds a random token, stored here as SHA-256.
CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  -- The organisation the session acts in when the request names none (set by the dashboard).
  org_id uuid REFERENCES organizations (id) ON DELETE SET NULL,
  user_agent text,
  address text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  -- Sliding expiry, renewed on use up to absolute_expires_at.
  expires_at timestamptz NOT NULL,
  absolute_expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);
CREATE INDEX sessions_absolute_expiry ON sessions (absolute_expires_at);

-- Single-use tokens sent by email (verification, password reset), stored as SHA-256.
CREATE TABLE user_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose, created_at);
CREATE INDEX user_tokens_expiry ON user_tokens (expires_at);

-- OAuth authorization requests in flight: state (hashed) → PKCE verifier, for the callback.
CREATE TABLE oauth_states (
  state_hash text PRIMARY KEY,
  provider text NOT NULL CHECK (provider IN ('google', 'github')),
  code_verifier text NOT NULL,
  -- Set when a signed-in user links a provider to their account.
  link_user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  return_to text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);

-- A user's role in an organisation.
CREATE TABLE memberships (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- Invitations to join an organisation, by email; the link's token stored as SHA-256.
CREATE TABLE invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  email text NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  token_hash text NOT NULL UNIQUE,
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
  revoked_at timestamptz
);
CREATE INDEX invitations_org ON invitations (org_id, created_at DESC);
CREATE INDEX invitations_email ON invitations (lower(email));

-- Keys created by a person record who: a key never holds more than its creator's role allows.
ALTER TABLE api_keys ADD COLUMN created_by uuid REFERENCES users (id) ON DELETE SET NULL;
