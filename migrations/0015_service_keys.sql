-- Service keys: how GoTicket's own systems (box office, door gateways, support back office, the web front's realtime
-- gateway, operations tooling, the processes of a split deployment) authenticate their internal RPC calls. A key is
-- `gtk_` + 32 random bytes (base64url), shown once when created; only its SHA-256 (hex) is kept. Each key carries
-- scopes (src/domain/servicekeys/ServiceKey.ts); `door:scan` is limited to the events in door_events. A key is
-- never deleted: revoking it keeps the row (the audit trail names its id).
CREATE TABLE service_keys (
  id           uuid PRIMARY KEY,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  prefix       text NOT NULL,
  key_hash     text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  scopes       text[] NOT NULL CHECK (
                 cardinality(scopes) > 0
                 AND scopes <@ ARRAY['inventory:read', 'booking:write', 'door:scan', 'support', 'ops']::text[]),
  door_events  uuid[] NOT NULL DEFAULT '{}',
  -- The admin who created it; no foreign key: the key (and its trail) outlives an erased account.
  created_by   uuid,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz CHECK (expires_at > created_at),
  last_used_at timestamptz,
  revoked_at   timestamptz,
  CHECK (('door:scan' = ANY (scopes)) = (cardinality(door_events) > 0))
);
CREATE UNIQUE INDEX service_keys_key_hash_key ON service_keys (key_hash);
CREATE INDEX service_keys_created_idx ON service_keys (created_at DESC, id DESC);
