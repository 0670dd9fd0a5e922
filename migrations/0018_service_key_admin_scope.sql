-- The `admin` scope: a key that manages service keys over RPC (list, create, revoke; the operator CLI
-- `npm run goticket -- keys …`). The first such key is still made with database access (`npm run service-keys`).
ALTER TABLE service_keys DROP CONSTRAINT service_keys_scopes_check;
ALTER TABLE service_keys ADD CONSTRAINT service_keys_scopes_check CHECK (
  cardinality(scopes) > 0
  AND scopes <@ ARRAY['inventory:read', 'booking:write', 'door:scan', 'support', 'ops', 'admin']::text[]);
