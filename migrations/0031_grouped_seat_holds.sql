-- Grouped seat holds: place_holds (0030_grouped_holds.sql) also places holds of seats.
--
-- A seat hold ends on its ticket type's row too (held + its seats), so in a seated sale every hold waited for that
-- row and for the commit of the hold before it, as general-admission holds did before they were grouped. A hold of
-- seats now carries `seatIds` (a JSON array of seat ids) in place of `items`; place_hold places it as before.
--
-- Lock order (0011_lock_order.sql: seats, then customer_event_tickets, then ticket_types, as end_holds takes them): a
-- group's first hold takes the ticket-type row, and a later hold of the group locks its seats after it. Locking all
-- the group's seats first instead (FOR UPDATE by the group's transaction, then updated by each hold's
-- subtransaction) made PostgreSQL record each such seat's lock and update together as a multixact: every later read
-- of those rows slowed down, and the seated sale took 11.0 s instead of 6.3 (pg_stat_statements, 2026-12-05). So in a
-- group a hold never waits for a seat: place_hold skips a seat another transaction has locked
-- (goticket.seats_skip_locked, set for the group's transaction only) and the hold is refused seat_unavailable.
-- Waiting only for customer counts (before any ticket-type row) and ticket-type rows (last everywhere), a group
-- cannot be part of a deadlock.

-- place_hold (0027_withheld_units_waiting_list.sql), its seats skipped rather than waited for in a group.

CREATE OR REPLACE FUNCTION place_hold(
  p_reservation_id uuid, p_customer_id uuid, p_event_id uuid,
  p_items jsonb, p_seat_ids uuid[], p_expires_at timestamptz, p_customer_limit integer,
  p_key text, p_request_hash text, p_key_expires_at timestamptz, p_now timestamptz
) RETURNS TABLE (outcome text, reservation_id uuid, detail text, reservation jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_existing idempotency_keys%ROWTYPE;
  v_event events%ROWTYPE;
  v_item record;
  v_types uuid[];
  v_quantities integer[];
  v_requested integer;
  v_total bigint := 0;
  v_price bigint;
  v_currency char(3);
  v_count integer;
  v_counted integer;
  v_lines jsonb := '[]'::jsonb;
  v_json jsonb;
  -- The ticket type a withheld hold draws from (place_withheld_hold sets it for its transaction); NULL for every other hold.
  v_draw uuid := nullif(current_setting('goticket.withheld_type', true), '')::uuid;
BEGIN
  IF p_key IS NOT NULL THEN
    SELECT * INTO v_existing FROM idempotency_keys k
      WHERE k.user_id = p_customer_id AND k.scope = 'reservation' AND k.key = p_key AND k.expires_at > p_now;
    IF FOUND THEN
      IF v_existing.request_hash = p_request_hash THEN
        RETURN QUERY SELECT 'replayed'::text, v_existing.resource_id, NULL::text, reservation_json(v_existing.resource_id); RETURN;
      END IF;
      RETURN QUERY SELECT 'key_reused'::text, v_existing.resource_id, NULL::text, NULL::jsonb; RETURN;
    END IF;
  END IF;

  SELECT * INTO v_event FROM events e WHERE e.id = p_event_id;
  IF NOT FOUND OR v_event.status <> 'published' OR coalesce(v_event.ends_at, v_event.starts_at) <= p_now THEN
    RETURN QUERY SELECT 'not_on_sale'::text, NULL::uuid, NULL::text, NULL::jsonb; RETURN;
  END IF;
  IF (v_event.sales_start_at IS NOT NULL AND p_now < v_event.sales_start_at)
     OR p_now >= coalesce(v_event.sales_end_at, coalesce(v_event.ends_at, v_event.starts_at)) THEN
    RETURN QUERY SELECT 'sales_closed'::text, NULL::uuid, NULL::text, NULL::jsonb; RETURN;
  END IF;

  IF p_seat_ids IS NULL THEN
    -- General admission, in ticket-type order: each item written only if its type still has the units (an unlocked
    -- look: a type already short refuses before anything changed), returning its price and currency.
    SELECT array_agg(x.ticket_type_id ORDER BY x.ticket_type_id), array_agg(x.quantity ORDER BY x.ticket_type_id),
           sum(x.quantity)::integer
      INTO v_types, v_quantities, v_requested
      FROM (SELECT (i->>'ticketTypeId')::uuid AS ticket_type_id, (i->>'quantity')::integer AS quantity
            FROM jsonb_array_elements(p_items) i) x;
    FOR n IN 1 .. coalesce(cardinality(v_types), 0) LOOP
      WITH t AS (
        SELECT t.id, t.price_minor, t.currency FROM ticket_types t
        WHERE t.id = v_types[n] AND t.event_id = p_event_id AND NOT t.seated
          AND CASE WHEN t.id = v_draw THEN t.withheld >= v_quantities[n]
                   ELSE t.capacity - t.held - t.sold - t.withheld >= v_quantities[n] END
      ), written AS (
        INSERT INTO reservation_items (reservation_id, ticket_type_id, quantity, unit_price_minor)
          SELECT p_reservation_id, t.id, v_quantities[n], t.price_minor FROM t
          RETURNING unit_price_minor
      )
      SELECT written.unit_price_minor, t.currency INTO v_price, v_currency FROM written, t;
      IF NOT FOUND THEN
        IF n = 1 THEN
          RETURN QUERY SELECT 'sold_out'::text, NULL::uuid, v_types[n]::text, NULL::jsonb; RETURN;
        END IF;
        RAISE EXCEPTION 'sold_out' USING ERRCODE = 'P0001', DETAIL = v_types[n]::text;
      END IF;
      v_total := v_total + v_quantities[n] * v_price;
      v_lines := v_lines || jsonb_build_array(jsonb_build_object('ticketTypeId', v_types[n],
                   'quantity', v_quantities[n], 'unitPriceMinor', v_price));
    END LOOP;
  ELSE
    v_requested := cardinality(p_seat_ids);
    -- Seats: lock the wanted seats in id order, take them only if every one is still available. In a group
    -- (place_holds), a seat another transaction has locked is skipped, not waited for: the group may already hold the
    -- ticket-type row, which that transaction (a release, an expiry) takes after its seats. Skipped, the hold is
    -- refused seat_unavailable (a seat being taken or given back at that moment), and best available chooses again.
    IF current_setting('goticket.seats_skip_locked', true) = 'on' THEN
      UPDATE seats s SET status = 'held', held_by = p_reservation_id
        WHERE s.id IN (SELECT x.id FROM seats x WHERE x.id = ANY (p_seat_ids) AND x.event_id = p_event_id
                       AND x.status = 'available' ORDER BY x.id FOR UPDATE SKIP LOCKED);
    ELSE
      UPDATE seats s SET status = 'held', held_by = p_reservation_id
        WHERE s.id IN (SELECT x.id FROM seats x WHERE x.id = ANY (p_seat_ids) AND x.event_id = p_event_id
                       AND x.status = 'available' ORDER BY x.id FOR UPDATE);
    END IF;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF v_count < cardinality(p_seat_ids) THEN
      IF v_count = 0 THEN
        RETURN QUERY SELECT 'seat_unavailable'::text, NULL::uuid, NULL::text, NULL::jsonb; RETURN;
      END IF;
      RAISE EXCEPTION 'seat_unavailable' USING ERRCODE = 'P0001';
    END IF;
    WITH written AS (
      INSERT INTO reservation_seats (reservation_id, seat_id, ticket_type_id, unit_price_minor)
        SELECT p_reservation_id, s.id, s.ticket_type_id, t.price_minor
        FROM seats s JOIN ticket_types t ON t.id = s.ticket_type_id WHERE s.held_by = p_reservation_id
        RETURNING unit_price_minor
    )
    SELECT coalesce(sum(written.unit_price_minor), 0) INTO v_total FROM written;
    SELECT t.currency INTO v_currency FROM ticket_types t WHERE t.event_id = p_event_id LIMIT 1;
  END IF;

  -- The authoritative per-customer limit: a guarded upsert; over the limit, everything rolls back.
  INSERT INTO customer_event_tickets AS c (customer_id, event_id, tickets) VALUES (p_customer_id, p_event_id, v_requested)
    ON CONFLICT (customer_id, event_id) DO UPDATE SET tickets = c.tickets + excluded.tickets
    WHERE c.tickets + excluded.tickets <= p_customer_limit;
  IF NOT FOUND OR v_requested > p_customer_limit THEN
    SELECT c.tickets INTO v_counted FROM customer_event_tickets c
      WHERE c.customer_id = p_customer_id AND c.event_id = p_event_id;
    RAISE EXCEPTION 'limit_exceeded' USING ERRCODE = 'P0001', DETAIL = coalesce(v_counted, 0)::text;
  END IF;

  INSERT INTO reservations (id, customer_id, event_id, status, tickets, total_minor, currency, expires_at, created_at)
    VALUES (p_reservation_id, p_customer_id, p_event_id, 'active', v_requested, v_total, v_currency, p_expires_at, p_now);
  -- ReservationCreated, as reservations_outbox wrote it (migrations/0005_domain_events.sql, outbox_write).
  INSERT INTO outbox (type, aggregate_type, aggregate_id, payload, traceparent, slot)
    VALUES ('ReservationCreated', 'reservation', p_reservation_id,
            jsonb_build_object('reservationId', p_reservation_id, 'customerId', p_customer_id, 'eventId', p_event_id,
                               'tickets', v_requested, 'totalMinor', v_total, 'currency', v_currency,
                               'expiresAt', p_expires_at),
            nullif(current_setting('goticket.traceparent', true), ''), hashtext(p_reservation_id::text) & 15);

  IF p_key IS NOT NULL THEN
    INSERT INTO idempotency_keys (user_id, key, scope, request_hash, resource_id, expires_at, created_at)
      VALUES (p_customer_id, p_key, 'reservation', p_request_hash, p_reservation_id, p_key_expires_at, p_now)
      ON CONFLICT (user_id, scope, key) DO UPDATE
        SET request_hash = excluded.request_hash, resource_id = excluded.resource_id,
            created_at = p_now, expires_at = excluded.expires_at
        WHERE idempotency_keys.expires_at <= p_now;
    IF NOT FOUND THEN
      -- Another request with the same key won the race: undo ours, the caller replays theirs.
      RAISE EXCEPTION 'idempotency_race' USING ERRCODE = 'P0001';
    END IF;
  END IF;

  -- The answer is built before the hot row is touched: nothing below may lengthen the time its lock is held.
  IF p_seat_ids IS NULL THEN
    v_json := jsonb_build_object(
      'id', p_reservation_id, 'customerId', p_customer_id, 'eventId', p_event_id, 'status', 'active',
      'tickets', v_requested, 'totalMinor', v_total, 'currency', v_currency, 'expiresAt', p_expires_at,
      'createdAt', p_now, 'endedAt', NULL, 'items', v_lines, 'seats', '[]'::jsonb);
  ELSE
    v_json := reservation_json(p_reservation_id);
  END IF;

  -- Last: the guarded updates of the ticket-type rows, one by one in id order.
  IF p_seat_ids IS NULL THEN
    FOR n IN 1 .. coalesce(cardinality(v_types), 0) LOOP
      UPDATE ticket_types t SET held = t.held + v_quantities[n],
                                withheld = t.withheld - CASE WHEN t.id = v_draw THEN v_quantities[n] ELSE 0 END
        WHERE t.id = v_types[n]
          AND CASE WHEN t.id = v_draw THEN t.withheld >= v_quantities[n]
                   ELSE t.capacity - t.held - t.sold - t.withheld >= v_quantities[n] END;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'sold_out' USING ERRCODE = 'P0001', DETAIL = v_types[n]::text;
      END IF;
    END LOOP;
  ELSE
    FOR v_item IN SELECT s.ticket_type_id, count(*)::integer AS quantity FROM seats s
                  WHERE s.held_by = p_reservation_id GROUP BY 1 ORDER BY 1
    LOOP
      UPDATE ticket_types t SET held = t.held + v_item.quantity WHERE t.id = v_item.ticket_type_id;
    END LOOP;
  END IF;

  RETURN QUERY SELECT 'held'::text, p_reservation_id, NULL::text, v_json;
END $$;

-- place_holds (0030_grouped_holds.sql), holds of seats included.

CREATE OR REPLACE FUNCTION place_holds(p_holds jsonb)
RETURNS TABLE (idx integer, outcome text, detail text, reservation jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  h jsonb;
  n integer;
  v_message text;
  v_detail text;
  v_seats boolean;
BEGIN
  PERFORM set_config('goticket.seats_skip_locked', 'on', true);
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
      v_seats := jsonb_typeof(h->'seatIds') = 'array';
      RETURN QUERY SELECT n, p.outcome, p.detail, p.reservation FROM place_hold(
        (h->>'reservationId')::uuid, (h->>'customerId')::uuid, (h->>'eventId')::uuid,
        CASE WHEN v_seats THEN NULL ELSE h->'items' END,
        CASE WHEN v_seats THEN ARRAY(SELECT jsonb_array_elements_text(h->'seatIds'))::uuid[] END,
        (h->>'expiresAt')::timestamptz, (h->>'customerLimit')::integer,
        h->>'key', h->>'requestHash', (h->>'keyExpiresAt')::timestamptz, (h->>'now')::timestamptz) p;
    EXCEPTION WHEN raise_exception THEN
      GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
      RETURN QUERY SELECT n, v_message, nullif(v_detail, ''), NULL::jsonb;
    END;
  END LOOP;
  PERFORM set_config('goticket.traceparent', '', true);
  PERFORM set_config('goticket.seats_skip_locked', '', true);
END $$;
