-- Organizer webhooks: the endpoints organizers register, and one delivery per (endpoint, domain event).
--
-- Deliveries are worked by any number of workers: a worker claims due rows with FOR UPDATE SKIP LOCKED and, in the
-- same short statement, moves their next_attempt_at past the HTTP call (a lease); it then calls the endpoint outside
-- any transaction and records the outcome. A crashed worker's deliveries come due again when the lease runs out.

CREATE TABLE webhook_endpoints (
  id             uuid PRIMARY KEY,
  organizer_id   uuid NOT NULL REFERENCES users (id),
  url            text NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
  event_types    text[] NOT NULL CHECK (cardinality(event_types) >= 1),
  -- The HMAC key of the signatures (whsec_…); needed in clear to sign, shown to the organizer only once.
  secret         text NOT NULL,
  active         boolean NOT NULL DEFAULT true,
  created_at     timestamptz NOT NULL,
  deactivated_at timestamptz,
  CONSTRAINT webhook_endpoints_deactivated CHECK (active = (deactivated_at IS NULL))
);
CREATE INDEX webhook_endpoints_organizer_idx ON webhook_endpoints (organizer_id, created_at, id) WHERE active;

CREATE TABLE webhook_deliveries (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  -- The domain event's envelope id.
  event_id         uuid NOT NULL,
  event_type       text NOT NULL,
  -- The envelope's JSON wire form: the body of every attempt.
  payload          jsonb NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at  timestamptz,
  last_status_code integer,
  last_error       text,
  -- Milliseconds (written by the application), the precision of the (created_at, id) cursor of the listing.
  created_at       timestamptz NOT NULL,
  delivered_at     timestamptz,
  -- An event is queued once per endpoint, however often it is handed over.
  CONSTRAINT webhook_deliveries_once UNIQUE (endpoint_id, event_id),
  CONSTRAINT webhook_deliveries_due CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL)),
  CONSTRAINT webhook_deliveries_delivered CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
-- What the workers look for: pending deliveries by due time.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- An endpoint's deliveries, newest first.
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
