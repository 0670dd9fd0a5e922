-- One lock order for everything that moves inventory.
--
-- Every function that locks more than one of these takes the rows in this order, and the rows of one table in key
-- order, so no two of them can each hold a row the other waits for (a deadlock):
--
--   1. users                    (erase_account, FOR NO KEY UPDATE: it does not block the key-share locks of the
--                                foreign-key checks that hold and order writes take on a user)
--   2. events                   (erase_account FOR SHARE; the catalog's updates; place_hold only reads them)
--   3. orders                   (FOR UPDATE, first in every function about an order)
--   4. tickets                  (of that order, by id)
--   5. reservations             (by id)
--   6. seats                    (by id)
--   7. customer_event_tickets   (by customer_id, event_id)
--   8. ticket_types             (by id) LAST: the hottest rows of a sale, locked just before the commit
--
-- Rows a transaction inserts itself (a hold, an order and their lines, tickets, outbox entries) are nobody else's to
-- wait for until it commits, so creating them takes no place in the order.
--
-- The order was broken in end_holds (the release behind DELETE /v1/reservations/{id}, expiry, erasure and
-- cancellation): it took the ticket type before the seats and the customer's count, while place_hold takes the
-- customer's count before the ticket type. A customer placing a hold while releasing another deadlocked (PostgreSQL
-- logged `deadlock detected`, the release answered 500). release_units and request_refund had the same inversion
-- (ticket types before seats and counts), claim_units took ticket types before seats (claimed) and before the
-- customer's count (reclaimed), and several updates of many rows of one table went in whatever order the plan
-- chose. The functions below are those of migrations/0003_reservations.sql and 0004_orders.sql rewritten to the
-- order above; what they do is unchanged.
--
-- Audit of the functions left as they are:
--   open_order     reservations (FOR UPDATE) → inserts its order and lines
--   confirm_order  orders (FOR UPDATE) → inserts tickets
--   check_in       one ticket row
--   erase_account  users → events → reservations → end_holds (0009_privacy.sql; end_holds is in order now)
--   the catalog (EventRepositoryPg, plain SQL): events, then ticket_types; a seat map (seats, then ticket_types) is
--   replaced only while the event is a draft, when nothing holds or sells.

-- place_hold: already seats → customer_event_tickets → ticket_types for general admission; a seated hold now also
-- updates its ticket types one by one in id order (an UPDATE … FROM a sorted subquery does not lock in that order).
CREATE OR REPLACE FUNCTION place_hold(
  p_reservation_id uuid, p_customer_id uuid, p_event_id uuid,
  p_items jsonb, p_seat_ids uuid[], p_expires_at timestamptz, p_customer_limit integer,
  p_key text, p_request_hash text, p_key_expires_at timestamptz
) RETURNS TABLE (outcome text, reservation_id uuid, detail text, reservation jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_existing idempotency_keys%ROWTYPE;
  v_event events%ROWTYPE;
  v_item record;
  v_requested integer;
  v_first boolean := true;
  v_total bigint;
  v_currency char(3);
  v_count integer;
  v_counted integer;
  v_json jsonb;
BEGIN
  IF p_key IS NOT NULL THEN
    SELECT * INTO v_existing FROM idempotency_keys k
      WHERE k.user_id = p_customer_id AND k.scope = 'reservation' AND k.key = p_key AND k.expires_at > now();
    IF FOUND THEN
      IF v_existing.request_hash = p_request_hash THEN
        RETURN QUERY SELECT 'replayed'::text, v_existing.resource_id, NULL::text, reservation_json(v_existing.resource_id); RETURN;
      END IF;
      RETURN QUERY SELECT 'key_reused'::text, v_existing.resource_id, NULL::text, NULL::jsonb; RETURN;
    END IF;
  END IF;

  SELECT * INTO v_event FROM events e WHERE e.id = p_event_id;
  IF NOT FOUND OR v_event.status <> 'published' OR coalesce(v_event.ends_at, v_event.starts_at) <= now() THEN
    RETURN QUERY SELECT 'not_on_sale'::text, NULL::uuid, NULL::text, NULL::jsonb; RETURN;
  END IF;
  IF (v_event.sales_start_at IS NOT NULL AND now() < v_event.sales_start_at)
     OR now() >= coalesce(v_event.sales_end_at, coalesce(v_event.ends_at, v_event.starts_at)) THEN
    RETURN QUERY SELECT 'sales_closed'::text, NULL::uuid, NULL::text, NULL::jsonb; RETURN;
  END IF;

  v_requested := coalesce(cardinality(p_seat_ids), (SELECT sum((i->>'quantity')::integer) FROM jsonb_array_elements(p_items) i));
  SELECT c.tickets INTO v_counted FROM customer_event_tickets c
    WHERE c.customer_id = p_customer_id AND c.event_id = p_event_id;
  v_counted := coalesce(v_counted, 0);
  IF v_counted + v_requested > p_customer_limit THEN
    RETURN QUERY SELECT 'limit_exceeded'::text, NULL::uuid, v_counted::text, NULL::jsonb; RETURN;
  END IF;

  IF p_seat_ids IS NULL THEN
    -- General admission, unlocked look first: a type already short refuses before anything changed.
    FOR v_item IN
      SELECT (i->>'ticketTypeId')::uuid AS ticket_type_id, (i->>'quantity')::integer AS quantity
      FROM jsonb_array_elements(p_items) i ORDER BY 1
    LOOP
      INSERT INTO reservation_items (reservation_id, ticket_type_id, quantity, unit_price_minor)
        SELECT p_reservation_id, t.id, v_item.quantity, t.price_minor FROM ticket_types t
        WHERE t.id = v_item.ticket_type_id AND t.event_id = p_event_id AND NOT t.seated
          AND t.capacity - t.held - t.sold >= v_item.quantity;
      IF NOT FOUND THEN
        IF v_first THEN
          RETURN QUERY SELECT 'sold_out'::text, NULL::uuid, v_item.ticket_type_id::text, NULL::jsonb; RETURN;
        END IF;
        RAISE EXCEPTION 'sold_out' USING ERRCODE = 'P0001', DETAIL = v_item.ticket_type_id::text;
      END IF;
      v_first := false;
    END LOOP;
  ELSE
    -- Seats: lock the wanted seats in id order, take them only if every one is still available.
    UPDATE seats s SET status = 'held', held_by = p_reservation_id
      WHERE s.id IN (SELECT x.id FROM seats x WHERE x.id = ANY (p_seat_ids) AND x.event_id = p_event_id
                     AND x.status = 'available' ORDER BY x.id FOR UPDATE);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF v_count < cardinality(p_seat_ids) THEN
      IF v_count = 0 THEN
        RETURN QUERY SELECT 'seat_unavailable'::text, NULL::uuid, NULL::text, NULL::jsonb; RETURN;
      END IF;
      RAISE EXCEPTION 'seat_unavailable' USING ERRCODE = 'P0001';
    END IF;
    INSERT INTO reservation_seats (reservation_id, seat_id, ticket_type_id, unit_price_minor)
      SELECT p_reservation_id, s.id, s.ticket_type_id, t.price_minor
      FROM seats s JOIN ticket_types t ON t.id = s.ticket_type_id WHERE s.held_by = p_reservation_id;
  END IF;

  -- The authoritative per-customer limit: a guarded upsert; losing a race here rolls everything back.
  INSERT INTO customer_event_tickets AS c (customer_id, event_id, tickets) VALUES (p_customer_id, p_event_id, v_requested)
    ON CONFLICT (customer_id, event_id) DO UPDATE SET tickets = c.tickets + excluded.tickets
    WHERE c.tickets + excluded.tickets <= p_customer_limit;
  IF NOT FOUND OR v_requested > p_customer_limit THEN
    RAISE EXCEPTION 'limit_exceeded' USING ERRCODE = 'P0001', DETAIL = v_counted::text;
  END IF;

  SELECT coalesce(sum(i.quantity * i.unit_price_minor), 0) INTO v_total
    FROM reservation_items i WHERE i.reservation_id = p_reservation_id;
  v_total := v_total + coalesce((SELECT sum(rs.unit_price_minor) FROM reservation_seats rs WHERE rs.reservation_id = p_reservation_id), 0);
  SELECT t.currency INTO v_currency FROM ticket_types t WHERE t.event_id = p_event_id LIMIT 1;
  INSERT INTO reservations (id, customer_id, event_id, status, tickets, total_minor, currency, expires_at)
    VALUES (p_reservation_id, p_customer_id, p_event_id, 'active', v_requested, v_total, v_currency, p_expires_at);

  IF p_key IS NOT NULL THEN
    INSERT INTO idempotency_keys (user_id, key, scope, request_hash, resource_id, expires_at)
      VALUES (p_customer_id, p_key, 'reservation', p_request_hash, p_reservation_id, p_key_expires_at)
      ON CONFLICT (user_id, scope, key) DO UPDATE
        SET request_hash = excluded.request_hash, resource_id = excluded.resource_id,
            created_at = now(), expires_at = excluded.expires_at
        WHERE idempotency_keys.expires_at <= now();
    IF NOT FOUND THEN
      -- Another request with the same key won the race: undo ours, the caller replays theirs.
      RAISE EXCEPTION 'idempotency_race' USING ERRCODE = 'P0001';
    END IF;
  END IF;

  -- The answer is built before the hot row is touched: nothing below may lengthen the time its lock is held.
  v_json := reservation_json(p_reservation_id);

  -- Last: the guarded updates of the ticket-type rows, one by one in id order.
  IF p_seat_ids IS NULL THEN
    FOR v_item IN SELECT i.ticket_type_id, i.quantity FROM reservation_items i
                  WHERE i.reservation_id = p_reservation_id ORDER BY i.ticket_type_id
    LOOP
      UPDATE ticket_types t SET held = t.held + v_item.quantity
        WHERE t.id = v_item.ticket_type_id AND t.capacity - t.held - t.sold >= v_item.quantity;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'sold_out' USING ERRCODE = 'P0001', DETAIL = v_item.ticket_type_id::text;
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

-- end_holds: reservations → seats → customer_event_tickets → ticket_types (it took the ticket types second).
-- The units to give back are counted before the seats are released, from the same rows as before.
CREATE OR REPLACE FUNCTION end_holds(p_ids uuid[], p_status text, p_customer_id uuid, p_skip_locked boolean)
RETURNS SETOF uuid LANGUAGE plpgsql AS $$
DECLARE
  v_ids uuid[];
  v_types uuid[];
  v_units integer[];
  v_count record;
BEGIN
  IF p_skip_locked THEN
    SELECT array_agg(r.id ORDER BY r.id) INTO v_ids FROM (
      SELECT r.id FROM reservations r WHERE r.id = ANY (p_ids) AND r.status = 'active'
        AND (p_customer_id IS NULL OR r.customer_id = p_customer_id)
        -- re-checked under the lock: a checkout may have just extended the hold
        AND (p_status <> 'expired' OR r.expires_at <= now())
      ORDER BY r.id FOR UPDATE SKIP LOCKED) r;
  ELSE
    SELECT array_agg(r.id ORDER BY r.id) INTO v_ids FROM (
      SELECT r.id FROM reservations r WHERE r.id = ANY (p_ids) AND r.status = 'active'
        AND (p_customer_id IS NULL OR r.customer_id = p_customer_id)
      ORDER BY r.id FOR UPDATE) r;
  END IF;
  IF v_ids IS NULL THEN RETURN; END IF;

  SELECT array_agg(u.ticket_type_id ORDER BY u.ticket_type_id), array_agg(u.n ORDER BY u.ticket_type_id)
    INTO v_types, v_units
    FROM (SELECT x.ticket_type_id, sum(x.n)::integer AS n FROM (
            SELECT i.ticket_type_id, i.quantity AS n FROM reservation_items i WHERE i.reservation_id = ANY (v_ids)
            UNION ALL
            SELECT s.ticket_type_id, 1 FROM seats s WHERE s.held_by = ANY (v_ids)) x GROUP BY 1) u;

  UPDATE reservations r SET status = p_status, ended_at = now() WHERE r.id = ANY (v_ids);
  UPDATE seats s SET status = 'available', held_by = NULL
    WHERE s.id IN (SELECT x.id FROM seats x WHERE x.held_by = ANY (v_ids) ORDER BY x.id FOR UPDATE);
  FOR v_count IN SELECT r.customer_id, r.event_id, sum(r.tickets)::integer AS n FROM reservations r
                 WHERE r.id = ANY (v_ids) GROUP BY 1, 2 ORDER BY 1, 2
  LOOP
    UPDATE customer_event_tickets c SET tickets = c.tickets - v_count.n
      WHERE c.customer_id = v_count.customer_id AND c.event_id = v_count.event_id;
  END LOOP;
  FOR i IN 1 .. coalesce(cardinality(v_types), 0) LOOP
    UPDATE ticket_types t SET held = t.held - v_units[i] WHERE t.id = v_types[i];
  END LOOP;
  RETURN QUERY SELECT unnest(v_ids);
END $$;

-- claim_units: orders → reservations → seats → customer_event_tickets → ticket_types (a claim took the ticket types
-- before the seats, a reclaim before the customer's count).
CREATE OR REPLACE FUNCTION claim_units(p_order_id uuid) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_order orders%ROWTYPE;
  v_res reservations%ROWTYPE;
  v_event_status text;
  v_item record;
  v_count integer;
BEGIN
  SELECT * INTO v_order FROM orders o WHERE o.id = p_order_id FOR UPDATE;
  IF NOT FOUND OR v_order.status <> 'pending_payment' THEN RETURN 'not_pending'; END IF;
  IF v_order.units_claimed THEN RETURN 'claimed'; END IF;
  SELECT e.status INTO v_event_status FROM events e WHERE e.id = v_order.event_id;
  IF v_event_status <> 'published' THEN RETURN 'unavailable'; END IF;

  SELECT * INTO v_res FROM reservations r WHERE r.id = v_order.reservation_id FOR UPDATE;
  IF v_res.status = 'active' THEN
    UPDATE reservations r SET status = 'converted', ended_at = now() WHERE r.id = v_res.id;
    UPDATE seats s SET status = 'sold', held_by = NULL, sold_to = p_order_id
      WHERE s.id IN (SELECT x.id FROM seats x WHERE x.held_by = v_res.id ORDER BY x.id FOR UPDATE);
    FOR v_item IN SELECT l.ticket_type_id, count(*)::integer AS n FROM order_lines l
                  WHERE l.order_id = p_order_id GROUP BY 1 ORDER BY 1
    LOOP
      UPDATE ticket_types t SET held = t.held - v_item.n, sold = t.sold + v_item.n WHERE t.id = v_item.ticket_type_id;
    END LOOP;
    UPDATE orders o SET units_claimed = true WHERE o.id = p_order_id;
    RETURN 'claimed';
  END IF;

  -- The hold ended (it expired or was released): take the same units again, all or nothing.
  BEGIN
    UPDATE seats s SET status = 'sold', sold_to = p_order_id
      WHERE s.id IN (SELECT x.id FROM seats x JOIN order_lines l ON l.seat_id = x.id
                     WHERE l.order_id = p_order_id AND x.status = 'available' ORDER BY x.id FOR UPDATE);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF v_count < (SELECT count(*) FROM order_lines l WHERE l.order_id = p_order_id AND l.seat_id IS NOT NULL) THEN
      RAISE EXCEPTION 'unavailable' USING ERRCODE = 'P0001';
    END IF;
    INSERT INTO customer_event_tickets AS c (customer_id, event_id, tickets)
      VALUES (v_order.customer_id, v_order.event_id, (SELECT count(*) FROM order_lines l WHERE l.order_id = p_order_id))
      ON CONFLICT (customer_id, event_id) DO UPDATE SET tickets = c.tickets + excluded.tickets;
    FOR v_item IN SELECT l.ticket_type_id, count(*)::integer AS n FROM order_lines l
                  WHERE l.order_id = p_order_id GROUP BY 1 ORDER BY 1
    LOOP
      UPDATE ticket_types t SET sold = t.sold + v_item.n
        WHERE t.id = v_item.ticket_type_id AND (t.seated OR t.capacity - t.held - t.sold >= v_item.n);
      IF NOT FOUND THEN RAISE EXCEPTION 'unavailable' USING ERRCODE = 'P0001'; END IF;
    END LOOP;
    UPDATE orders o SET units_claimed = true WHERE o.id = p_order_id;
    RETURN 'reclaimed';
  EXCEPTION WHEN raise_exception OR check_violation THEN
    RETURN 'unavailable';
  END;
END $$;

-- release_units: orders → seats → customer_event_tickets → ticket_types (it took the ticket types first).
CREATE OR REPLACE FUNCTION release_units(p_order_id uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_order orders%ROWTYPE;
  v_item record;
BEGIN
  SELECT * INTO v_order FROM orders o WHERE o.id = p_order_id FOR UPDATE;
  IF NOT FOUND OR NOT v_order.units_claimed OR v_order.status <> 'pending_payment' THEN RETURN; END IF;
  UPDATE seats s SET status = 'available', sold_to = NULL
    WHERE s.id IN (SELECT x.id FROM seats x WHERE x.sold_to = p_order_id ORDER BY x.id FOR UPDATE);
  UPDATE customer_event_tickets c SET tickets = c.tickets - (SELECT count(*) FROM order_lines l WHERE l.order_id = p_order_id)
    WHERE c.customer_id = v_order.customer_id AND c.event_id = v_order.event_id;
  FOR v_item IN SELECT l.ticket_type_id, count(*)::integer AS n FROM order_lines l
                WHERE l.order_id = p_order_id GROUP BY 1 ORDER BY 1
  LOOP
    UPDATE ticket_types t SET sold = t.sold - v_item.n WHERE t.id = v_item.ticket_type_id;
  END LOOP;
  UPDATE orders o SET units_claimed = false WHERE o.id = p_order_id;
END $$;

-- cancel_order: orders → reservations, then release_units and end_holds. At most one of those two has anything to
-- give back (an order's units are claimed exactly when its hold is no longer active), so the inventory rows are
-- taken in order either way; the hold is locked up front so that neither takes it after an inventory row.
CREATE OR REPLACE FUNCTION cancel_order(p_order_id uuid, p_reason text, p_at timestamptz) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_order orders%ROWTYPE;
BEGIN
  SELECT * INTO v_order FROM orders o WHERE o.id = p_order_id FOR UPDATE;
  IF NOT FOUND THEN RETURN NULL; END IF;
  IF v_order.status = 'pending_payment' THEN
    PERFORM 1 FROM reservations r WHERE r.id = v_order.reservation_id FOR UPDATE;
    PERFORM release_units(p_order_id);
    PERFORM end_holds(ARRAY[v_order.reservation_id], 'released', NULL, false);
    UPDATE orders o SET status = 'cancelled', cancel_reason = p_reason, cancelled_at = p_at WHERE o.id = p_order_id;
  END IF;
  RETURN order_json(p_order_id);
END $$;

-- request_refund: orders → tickets → seats → customer_event_tickets → ticket_types (it took the ticket types right
-- after the tickets).
CREATE OR REPLACE FUNCTION request_refund(
  p_refund_id text, p_order_id uuid, p_ticket_ids uuid[], p_requested_by uuid, p_include_checked_in boolean,
  p_at timestamptz
) RETURNS TABLE (outcome text, refund jsonb) LANGUAGE plpgsql AS $$
DECLARE
  v_order orders%ROWTYPE;
  v_ids uuid[];
  v_amount bigint;
  v_left integer;
  v_item record;
BEGIN
  SELECT * INTO v_order FROM orders o WHERE o.id = p_order_id FOR UPDATE;
  -- The order's tickets too: a check-in in flight commits before the checks below read the tickets (or waits and
  -- then finds its ticket voided), so a ticket is never both admitted and refunded.
  PERFORM 1 FROM tickets t WHERE t.order_id = p_order_id ORDER BY t.id FOR UPDATE;
  IF EXISTS (SELECT 1 FROM refunds f WHERE f.id = p_refund_id) THEN
    RETURN QUERY SELECT 'existing'::text, refund_json(p_refund_id); RETURN;
  END IF;
  IF v_order.id IS NULL OR v_order.status NOT IN ('confirmed', 'partially_refunded') THEN
    RETURN QUERY SELECT 'order_not_refundable'::text, NULL::jsonb; RETURN;
  END IF;
  IF p_ticket_ids IS NOT NULL AND EXISTS (
      SELECT 1 FROM unnest(p_ticket_ids) AS w(id) LEFT JOIN tickets t ON t.id = w.id AND t.order_id = p_order_id
      WHERE t.id IS NULL OR t.status <> 'valid' OR (t.checked_in_at IS NOT NULL AND NOT p_include_checked_in)) THEN
    RETURN QUERY SELECT 'ticket_not_refundable'::text, NULL::jsonb; RETURN;
  END IF;
  SELECT array_agg(t.id ORDER BY t.position), sum(t.price_minor) INTO v_ids, v_amount FROM tickets t
    WHERE t.order_id = p_order_id AND t.status = 'valid'
      AND (p_ticket_ids IS NULL OR t.id = ANY (p_ticket_ids))
      AND (p_include_checked_in OR t.checked_in_at IS NULL);
  IF v_ids IS NULL THEN
    RETURN QUERY SELECT 'nothing_to_refund'::text, NULL::jsonb; RETURN;
  END IF;

  UPDATE tickets t SET status = 'voided', voided_at = p_at, refund_id = p_refund_id WHERE t.id = ANY (v_ids);
  UPDATE seats s SET status = 'available', sold_to = NULL
    WHERE s.id IN (SELECT y.id FROM seats y
                   WHERE y.id IN (SELECT x.seat_id FROM tickets x WHERE x.id = ANY (v_ids) AND x.seat_id IS NOT NULL)
                   ORDER BY y.id FOR UPDATE);
  UPDATE customer_event_tickets c SET tickets = c.tickets - cardinality(v_ids)
    WHERE c.customer_id = v_order.customer_id AND c.event_id = v_order.event_id;
  FOR v_item IN SELECT x.ticket_type_id, count(*)::integer AS n FROM tickets x
                WHERE x.id = ANY (v_ids) GROUP BY 1 ORDER BY 1
  LOOP
    UPDATE ticket_types t SET sold = t.sold - v_item.n WHERE t.id = v_item.ticket_type_id;
  END LOOP;
  SELECT count(*) INTO v_left FROM tickets t WHERE t.order_id = p_order_id AND t.status = 'valid';
  UPDATE orders o SET refunded_minor = o.refunded_minor + v_amount,
                      status = CASE WHEN v_left = 0 THEN 'refunded' ELSE 'partially_refunded' END
    WHERE o.id = p_order_id;
  INSERT INTO refunds (id, order_id, amount_minor, ticket_ids, status, requested_by, created_at)
    VALUES (p_refund_id, p_order_id, v_amount, v_ids, 'pending', p_requested_by, p_at);
  RETURN QUERY SELECT 'requested'::text, refund_json(p_refund_id);
END $$;
