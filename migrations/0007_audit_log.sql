-- The audit trail: one row per state-changing action (who, what, which resource, when, from where, the request and
-- trace ids, a before/after summary without secrets or personal data). Rows are written in the same transaction as
-- the change they record (src/services/audit/AuditLogPg.ts), and never changed or removed afterwards:
--   * row triggers refuse UPDATE and DELETE and a statement trigger refuses TRUNCATE, whoever runs them (even the
--     table's owner or a superuser, unless they first disable the triggers, which only the owner can);
--   * the privileges to UPDATE, DELETE and TRUNCATE are revoked from everyone, the migrating role included.
-- In production the application should not own this table (see README, "Audit trail").

CREATE TABLE audit_log (
  -- A UUID of version 7 (time first), written by the application.
  id            uuid PRIMARY KEY,
  -- Milliseconds (written by the application), the precision of the (at, id) cursor of the listings.
  at            timestamptz NOT NULL,
  action        text NOT NULL CHECK (action ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+$'),
  outcome       text NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
  -- No foreign keys: a record outlives the account and the event it names (an erased account keeps its trail).
  actor_id      uuid,
  actor_role    text NOT NULL CHECK (actor_role IN ('customer', 'organizer', 'admin', 'system', 'anonymous')),
  resource_type text NOT NULL,
  resource_id   text,
  event_id      uuid,
  summary       jsonb NOT NULL DEFAULT '{}',
  ip            text,
  user_agent    text,
  request_id    text,
  trace_id      text
);
-- The admin's view: everything, newest first (scanned backwards).
CREATE INDEX audit_log_at_idx ON audit_log (at, id);
-- An organizer's view of one event.
CREATE INDEX audit_log_event_idx ON audit_log (event_id, at, id) WHERE event_id IS NOT NULL;
-- What one account did (the admin's filter, and what an export of that account's data needs).
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at, id) WHERE actor_id IS NOT NULL;
-- What happened to one resource (resource ids are UUIDs, so the type adds nothing to find them).
CREATE INDEX audit_log_resource_idx ON audit_log (resource_id, at, id) WHERE resource_id IS NOT NULL;

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'audit records are never changed or removed';
END
$$;

CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM CURRENT_USER;
