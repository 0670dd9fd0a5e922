-- The organizer's order search and attendee list (EventOrdersPg): one keyset page per statement.
-- An event's orders, newest first: (event_id, created_at DESC, id DESC) pages the search and its CSV export.
CREATE INDEX orders_event_created_idx ON orders (event_id, created_at DESC, id DESC);
-- An event's valid tickets in the order they were issued: pages the attendee list and its CSV export.
CREATE INDEX tickets_event_attending_idx ON tickets (event_id, issued_at, id) WHERE status = 'valid';
