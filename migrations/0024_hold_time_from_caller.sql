-- The hold functions take the time from their caller instead of the database's now(), as the order functions do
-- since 0019_order_time_from_caller.sql: ReservationRepositoryPg passes the Effect Clock's time
-- (src/domain/shared/Now.ts), so the reservation contract suite runs on the TestClock and a hold is judged on sale,
-- live, due or ended by the same clock as the in-memory twin (HoldRules.checkOnSale, HoldEnding.isDue).
--
-- Only the time source changes. place_hold and end_holds are those of 0011_lock_order.sql with now() replaced by
-- p_now (a new last parameter), and a hold's and its key's created_at written as p_now instead of left to the
-- column default: same checks in the same order, same lock order, same single statement per call. cancel_order
-- (0011) and erase_account (0009_privacy.sql) pass their own p_at on to end_holds.

DROP FUNCTION place_hold(uuid, uuid, uuid, jsonb, uuid[], timestamptz, integer, text, text, timestamptz);
DROP FUNCTION end_holds(uuid[], text, uuid, boolean);

-- place_hold: seats → customer_event_tickets → ticket_types, the hot ticket-type rows last; on sale, key liveness and
-- created_at by p_now.
CREATE FUNCTION place_hold(
  p_reservation_id uuid, p_customer_id uuid, p_event_id uuid,
  p_items jsonb, p_seat_ids uuid[], p_expires_at timestamptz, p_customer_limit integer,
  p_key text, p_request_hash text, p_key_expires_at timestamptz, p_now timestamptz
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
  INSERT INTO reservations (id, customer_id, event_id, status, tickets, total_minor, currency, expires_at, created_at)
    VALUES (p_reservation_id, p_customer_id, p_event_id, 'active', v_requested, v_total, v_currency, p_expires_at, p_now);

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

-- end_holds: reservations → seats → customer_event_tickets → ticket_types; ended_at and the expiry re-check use p_now.
CREATE FUNCTION end_holds(
  p_ids uuid[], p_status text, p_customer_id uuid, p_skip_locked boolean, p_now timestamptz
)
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
        AND (p_status <> 'expired' OR r.expires_at <= p_now)
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

  UPDATE reservations r SET status = p_status, ended_at = p_now WHERE r.id = ANY (v_ids);
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

-- cancel_order: as in 0011, the hold it releases ends at p_at.
CREATE OR REPLACE FUNCTION cancel_order(p_order_id uuid, p_reason text, p_at timestamptz) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_order orders%ROWTYPE;
BEGIN
  SELECT * INTO v_order FROM orders o WHERE o.id = p_order_id FOR UPDATE;
  IF NOT FOUND THEN RETURN NULL; END IF;
  IF v_order.status = 'pending_payment' THEN
    PERFORM 1 FROM reservations r WHERE r.id = v_order.reservation_id FOR UPDATE;
    PERFORM release_units(p_order_id);
    PERFORM end_holds(ARRAY[v_order.reservation_id], 'released', NULL, false, p_at);
    UPDATE orders o SET status = 'cancelled', cancel_reason = p_reason, cancelled_at = p_at WHERE o.id = p_order_id;
  END IF;
  RETURN order_json(p_order_id);
END $$;

-- erase_account: as in 0009, the holds it releases end at p_at.
CREATE OR REPLACE FUNCTION erase_account(
  p_user_id uuid, p_email text, p_name text, p_password_hash text, p_at timestamptz
) RETURNS TABLE (outcome text, released jsonb) LANGUAGE plpgsql AS $$
DECLARE
  v_holds uuid[];
  v_released uuid[];
BEGIN
  -- The row lock an UPDATE takes: two erasures of one account take turns (the second finds it erased). It does not
  -- conflict with the key-share lock of foreign-key checks, so holds and orders being written for the account are
  -- not blocked by it (and cannot deadlock with the hold locks below).
  PERFORM 1 FROM users u WHERE u.id = p_user_id AND u.erased_at IS NULL FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::jsonb; RETURN;
  END IF;

  -- The organizer's events, share-locked: a publish in flight commits first (and is seen), a later one waits.
  PERFORM 1 FROM events e WHERE e.organizer_id = p_user_id AND e.status <> 'cancelled' ORDER BY e.id FOR SHARE;
  IF EXISTS (SELECT 1 FROM events e WHERE e.organizer_id = p_user_id AND e.status = 'published'
             AND coalesce(e.ends_at, e.starts_at) > p_at) THEN
    RETURN QUERY SELECT 'upcoming_events'::text, NULL::jsonb; RETURN;
  END IF;

  -- The live holds, locked first: a checkout opening an order on one of them (open_order locks the hold) has
  -- committed by now, so the look for pending orders below sees its order.
  SELECT array_agg(h.id ORDER BY h.id) INTO v_holds FROM (
    SELECT r.id FROM reservations r WHERE r.customer_id = p_user_id AND r.status = 'active' ORDER BY r.id FOR UPDATE
  ) h;
  IF EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = p_user_id AND o.status = 'pending_payment') THEN
    RETURN QUERY SELECT 'payment_in_progress'::text, NULL::jsonb; RETURN;
  END IF;

  SELECT array_agg(x.id) INTO v_released FROM end_holds(coalesce(v_holds, '{}'), 'released', p_user_id, false, p_at) AS x(id);
  -- Endpoints go with their delivery history (ON DELETE CASCADE); grants and keys are access, not records.
  DELETE FROM webhook_endpoints w WHERE w.organizer_id = p_user_id;
  DELETE FROM event_staff s WHERE s.user_id = p_user_id;
  DELETE FROM idempotency_keys k WHERE k.user_id = p_user_id;
  UPDATE users u SET email = p_email, name = p_name, password_hash = p_password_hash, erased_at = p_at
    WHERE u.id = p_user_id;

  RETURN QUERY SELECT 'erased'::text, coalesce((
    SELECT jsonb_agg(jsonb_build_object('id', r.id, 'eventId', r.event_id, 'ticketTypeIds', to_jsonb(ARRAY(
             SELECT i.ticket_type_id FROM reservation_items i WHERE i.reservation_id = r.id
             UNION SELECT s.ticket_type_id FROM reservation_seats s WHERE s.reservation_id = r.id))) ORDER BY r.id)
    FROM reservations r WHERE r.id = ANY (v_released)), '[]'::jsonb);
END $$;
