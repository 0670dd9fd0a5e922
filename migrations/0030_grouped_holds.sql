-- Grouped holds: the general-admission holds waiting for the same ticket types, placed in one transaction.
--
-- In a flash sale every hold ends on the same ticket-type row, so holds run one after another whatever the number of
-- connections: each waits for the row, takes it, commits, and wakes the next. place_holds places a group of them in
-- one transaction, each hold through place_hold itself (the rules have one home), each in its own subtransaction so
-- that a hold place_hold refuses by raising (over the customer's limit, short on a later item, a lost race for its
-- Idempotency-Key) rolls back alone. The row is then taken once per group and the group commits once.
--
-- Lock order (0011_lock_order.sql: customer_event_tickets before ticket_types): a group's first hold takes the
-- ticket-type rows, and every later hold would take its customer's count after them. So the group takes all its
-- customers' counts first, in (customer, event) order as end_holds does, creating the missing ones at 0 (a count that
-- another transaction is creating is waited for here, before any ticket-type row is held).
--
-- p_holds: a JSON array of {reservationId, customerId, eventId, items, expiresAt, customerLimit, key, requestHash,
-- keyExpiresAt, now, traceparent}; the answer has one row per hold, `idx` its 1-based position. A hold refused by a
-- raise answers its reason as its outcome (sold_out, seat_unavailable, limit_exceeded, idempotency_race) with the
-- raise's detail.
CREATE FUNCTION place_holds(p_holds jsonb)
RETURNS TABLE (idx integer, outcome text, detail text, reservation jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  h jsonb;
  n integer;
  v_message text;
  v_detail text;
BEGIN
  INSERT INTO customer_event_tickets (customer_id, event_id, tickets)
    SELECT DISTINCT (x->>'customerId')::uuid, (x->>'eventId')::uuid, 0 FROM jsonb_array_elements(p_holds) x
    ORDER BY 1, 2
    ON CONFLICT DO NOTHING;
  PERFORM 1 FROM customer_event_tickets c
    WHERE (c.customer_id, c.event_id) IN (SELECT (x->>'customerId')::uuid, (x->>'eventId')::uuid
                                          FROM jsonb_array_elements(p_holds) x)
    ORDER BY c.customer_id, c.event_id FOR UPDATE;

  FOR h, n IN SELECT x.value, x.ordinality::integer FROM jsonb_array_elements(p_holds) WITH ORDINALITY x LOOP
    BEGIN
      -- Each hold's ReservationCreated carries its own request's trace (tracedCall sets it for a single call).
      PERFORM set_config('goticket.traceparent', coalesce(h->>'traceparent', ''), true);
      RETURN QUERY SELECT n, p.outcome, p.detail, p.reservation FROM place_hold(
        (h->>'reservationId')::uuid, (h->>'customerId')::uuid, (h->>'eventId')::uuid, h->'items', NULL::uuid[],
        (h->>'expiresAt')::timestamptz, (h->>'customerLimit')::integer,
        h->>'key', h->>'requestHash', (h->>'keyExpiresAt')::timestamptz, (h->>'now')::timestamptz) p;
    EXCEPTION WHEN raise_exception THEN
      GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
      RETURN QUERY SELECT n, v_message, nullif(v_detail, ''), NULL::jsonb;
    END;
  END LOOP;
  PERFORM set_config('goticket.traceparent', '', true);
END $$;
