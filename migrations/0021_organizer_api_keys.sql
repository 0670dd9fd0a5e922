-- Organizers' API keys: how an organizer's own integrations call the organizer endpoints for their events without a
-- person's password. A key is `gto_` + 32 random bytes (base64url), shown once when created; only its SHA-256 (hex)
-- is kept. `access` is read (GET endpoints) or write (also the ones that change something); `events` lists the
-- events the key reaches, NULL for every event of its organizer. A key is never deleted: revoking it keeps the row
-- (the audit trail names its id).
CREATE TABLE organizer_api_keys (
  id           uuid PRIMARY KEY,
  -- No foreign key: the key (and its trail) outlives an erased account; an erased account's keys open nothing.
  organizer_id uuid NOT NULL,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  prefix       text NOT NULL,
  key_hash     text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  access       text NOT NULL CHECK (access IN ('read', 'write')),
  events       uuid[] CHECK (events IS NULL OR cardinality(events) BETWEEN 1 AND 100),
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz CHECK (expires_at > created_at),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE UNIQUE INDEX organizer_api_keys_key_hash_key ON organizer_api_keys (key_hash);
CREATE INDEX organizer_api_keys_organizer_idx ON organizer_api_keys (organizer_id, created_at DESC, id DESC);
