-- The order functions take the time from their caller instead of the database's now(): the repository passes the
-- Effect Clock's time (src/domain/shared/Now.ts), so the order contract suite runs on the TestClock and an order's
-- times come from one place. The rules are those of src/domain/orders/OrderTransitions.ts and OrderLines.ts, which
-- the in-memory repository calls; test/contracts/OrderRepositoryContract.ts holds the two equal. Lock order and
-- everything else as in 0011_lock_order.sql.
--
-- Confirming moves to TypeScript (OrderRepositoryPg: SELECT … FOR UPDATE, OrderTransitions.decideConfirm and
-- ticketsOf, then the writes): it touches no inventory row, so the extra round trips hold no hot lock, and it runs
-- once per order in the checkout saga. confirm_order is dropped. See ARCHITECTURE.md, "Where the order rules run".

DROP FUNCTION open_order(uuid, uuid, uuid, timestamptz);
DROP FUNCTION claim_units(uuid);
DROP FUNCTION confirm_order(uuid, timestamptz);

-- OrderTransitions.decideOpen, OrderLines.linesOfHold (general admission by ticket type, then seats in venue order),
-- OrderTransitions.holdKeptUntil; created_at is p_now at the cursor's precision (milliseconds).
CREATE FUNCTION open_order(
  p_order_id uuid, p_reservation_id uuid, p_customer_id uuid, p_hold_until timestamptz, p_now timestamptz
) RETURNS TABLE (outcome text, order_doc jsonb) LANGUAGE plpgsql AS $$
DECLARE
  v_res reservations%ROWTYPE;
  v_existing uuid;
BEGIN
  SELECT * INTO v_res FROM reservations r WHERE r.id = p_reservation_id AND r.customer_id = p_customer_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'hold_not_active'::text, NULL::jsonb; RETURN;
  END IF;
  SELECT o.id INTO v_existing FROM orders o WHERE o.reservation_id = p_reservation_id;
  IF FOUND THEN
    RETURN QUERY SELECT 'existing'::text, order_json(v_existing); RETURN;
  END IF;
  IF v_res.status <> 'active' OR v_res.expires_at <= p_now THEN
    RETURN QUERY SELECT 'hold_not_active'::text, NULL::jsonb; RETURN;
  END IF;

  INSERT INTO orders (id, customer_id, event_id, reservation_id, status, total_minor, currency, created_at)
    VALUES (p_order_id, p_customer_id, v_res.event_id, p_reservation_id, 'pending_payment', v_res.total_minor,
            v_res.currency, date_trunc('milliseconds', p_now));
  INSERT INTO order_lines (order_id, position, ticket_type_id, seat_id, unit_price_minor)
    SELECT p_order_id,
           row_number() OVER (ORDER BY u.seated, u.section_position, u.row_position, u.seat_position, u.ticket_type_id),
           u.ticket_type_id, u.seat_id, u.unit_price_minor
    FROM (
      SELECT i.ticket_type_id, NULL::uuid AS seat_id, i.unit_price_minor, false AS seated,
             0 AS section_position, 0 AS row_position, 0 AS seat_position
        FROM reservation_items i CROSS JOIN LATERAL generate_series(1, i.quantity) g
        WHERE i.reservation_id = p_reservation_id
      UNION ALL
      SELECT rs.ticket_type_id, rs.seat_id, rs.unit_price_minor, true, c.position, st.row_position, st.position
        FROM reservation_seats rs JOIN seats st ON st.id = rs.seat_id JOIN sections c ON c.id = st.section_id
        WHERE rs.reservation_id = p_reservation_id
    ) u;
  UPDATE reservations r SET expires_at = greatest(r.expires_at, p_hold_until) WHERE r.id = p_reservation_id;
  RETURN QUERY SELECT 'opened'::text, order_json(p_order_id);
END $$;

-- OrderTransitions.decideClaim, canReclaim and countedTicketsChange; a converted hold ends at p_now.
-- Returns claimed | reclaimed | unavailable | not_pending (already claimed answers as claimed).
CREATE FUNCTION claim_units(p_order_id uuid, p_now timestamptz) RETURNS text LANGUAGE plpgsql AS $$
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
    UPDATE reservations r SET status = 'converted', ended_at = p_now WHERE r.id = v_res.id;
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
