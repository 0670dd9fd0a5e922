-- Orders, tickets, refunds and check-in. Units move between `held` and `sold` in the same transaction as the
-- order's status change that justifies the move; every function below is idempotent (saga activities re-run).

-- An event's refund policy: customers may refund until this many hours before it starts (NULL: the platform's default).
ALTER TABLE events ADD COLUMN refund_cutoff_hours integer CHECK (refund_cutoff_hours BETWEEN 0 AND 8760);

-- A sold seat names the order it was sold to, as a held seat names its hold.
ALTER TABLE seats ADD COLUMN sold_to uuid;
ALTER TABLE seats ADD CONSTRAINT seats_sold_to_an_order CHECK ((status = 'sold') = (sold_to IS NOT NULL));

CREATE TABLE orders (
  id                  uuid PRIMARY KEY,
  customer_id         uuid NOT NULL REFERENCES users (id),
  event_id            uuid NOT NULL,
  reservation_id      uuid NOT NULL UNIQUE REFERENCES reservations (id),
  status              text NOT NULL CHECK (status IN ('pending_payment', 'confirmed', 'cancelled', 'partially_refunded', 'refunded')),
  total_minor         bigint NOT NULL CHECK (total_minor >= 0),
  refunded_minor      bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= total_minor),
  currency            char(3) NOT NULL,
  -- True while the order's units are counted as sold (from claim to confirmation and beyond).
  units_claimed       boolean NOT NULL DEFAULT false,
  payment_provider    text,
  payment_intent_id   text UNIQUE,
  payment_confirm_url text,
  cancel_reason       text,
  -- Milliseconds, the precision of the (created_at, id) cursor that pages a customer's orders: with microseconds, an
  -- order created within the cursor's millisecond but after it would fall between two pages.
  created_at          timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  confirmed_at        timestamptz,
  cancelled_at        timestamptz
);
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC, id DESC);
CREATE INDEX orders_event_paid_idx ON orders (event_id, id) WHERE status IN ('confirmed', 'partially_refunded');
CREATE INDEX orders_pending_idx ON orders (created_at) WHERE status = 'pending_payment';

-- One line per admission: a unit of a general-admission type, or one seat.
CREATE TABLE order_lines (
  order_id         uuid NOT NULL REFERENCES orders (id),
  position         integer NOT NULL,
  ticket_type_id   uuid NOT NULL,
  seat_id          uuid,
  unit_price_minor bigint NOT NULL,
  PRIMARY KEY (order_id, position)
);

CREATE TABLE tickets (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id       uuid NOT NULL REFERENCES orders (id),
  position       integer NOT NULL,
  event_id       uuid NOT NULL,
  customer_id    uuid NOT NULL,
  ticket_type_id uuid NOT NULL,
  seat_id        uuid,
  price_minor    bigint NOT NULL,
  currency       char(3) NOT NULL,
  status         text NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'voided')),
  issued_at      timestamptz NOT NULL,
  voided_at      timestamptz,
  refund_id      text,
  checked_in_at  timestamptz,
  checked_in_by  uuid,
  UNIQUE (order_id, position)
);
CREATE INDEX tickets_event_idx ON tickets (event_id, status);

CREATE TABLE refunds (
  id                 text PRIMARY KEY,
  order_id           uuid NOT NULL REFERENCES orders (id),
  amount_minor       bigint NOT NULL CHECK (amount_minor >= 0),
  ticket_ids         uuid[] NOT NULL,
  status             text NOT NULL CHECK (status IN ('pending', 'completed')),
  requested_by       uuid NOT NULL,
  provider_refund_id text,
  created_at         timestamptz NOT NULL,
  completed_at       timestamptz
);
CREATE INDEX refunds_pending_idx ON refunds (created_at) WHERE status = 'pending';

-- Provider webhooks already handled, by the provider's event id: a redelivery is acknowledged and ignored.
CREATE TABLE payment_events (
  id          text PRIMARY KEY,
  type        text NOT NULL,
  received_at timestamptz NOT NULL
);

CREATE FUNCTION seat_label(p_seat_id uuid) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT c.name || ' ' || s.row_label || '-' || s.label FROM seats s JOIN sections c ON c.id = s.section_id
  WHERE s.id = p_seat_id
$$;

CREATE FUNCTION ticket_json(t tickets) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', t.id, 'orderId', t.order_id, 'eventId', t.event_id, 'customerId', t.customer_id,
    'ticketTypeId', t.ticket_type_id, 'seatId', t.seat_id, 'seatLabel', seat_label(t.seat_id),
    'priceMinor', t.price_minor, 'currency', t.currency, 'status', t.status, 'issuedAt', t.issued_at,
    'voidedAt', t.voided_at, 'checkedInAt', t.checked_in_at)
$$;

-- An order as the API shows it, with its lines and tickets.
CREATE FUNCTION order_json(p_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', o.id, 'customerId', o.customer_id, 'eventId', o.event_id, 'reservationId', o.reservation_id,
    'status', o.status, 'totalMinor', o.total_minor, 'refundedMinor', o.refunded_minor, 'currency', o.currency,
    'payment', CASE WHEN o.payment_intent_id IS NULL THEN NULL ELSE jsonb_build_object(
      'provider', o.payment_provider, 'intentId', o.payment_intent_id, 'confirmUrl', o.payment_confirm_url) END,
    'cancelReason', o.cancel_reason, 'createdAt', o.created_at, 'confirmedAt', o.confirmed_at,
    'cancelledAt', o.cancelled_at,
    'lines', coalesce((SELECT jsonb_agg(jsonb_build_object('position', l.position, 'ticketTypeId', l.ticket_type_id,
                         'seatId', l.seat_id, 'seatLabel', seat_label(l.seat_id), 'unitPriceMinor', l.unit_price_minor)
                         ORDER BY l.position)
                       FROM order_lines l WHERE l.order_id = o.id), '[]'::jsonb),
    'tickets', coalesce((SELECT jsonb_agg(ticket_json(t) ORDER BY t.position) FROM tickets t WHERE t.order_id = o.id),
                        '[]'::jsonb))
  FROM orders o WHERE o.id = p_id
$$;

-- Opens the order of a customer's live hold and keeps the hold alive until p_hold_until.
-- Returns (outcome: opened | existing | hold_not_active, order).
CREATE FUNCTION open_order(p_order_id uuid, p_reservation_id uuid, p_customer_id uuid, p_hold_until timestamptz)
RETURNS TABLE (outcome text, order_doc jsonb) LANGUAGE plpgsql AS $$
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
  IF v_res.status <> 'active' OR v_res.expires_at <= now() THEN
    RETURN QUERY SELECT 'hold_not_active'::text, NULL::jsonb; RETURN;
  END IF;

  INSERT INTO orders (id, customer_id, event_id, reservation_id, status, total_minor, currency)
    VALUES (p_order_id, p_customer_id, v_res.event_id, p_reservation_id, 'pending_payment', v_res.total_minor, v_res.currency);
  -- Lines (and so tickets): general-admission units by ticket type, seats in venue order (section, row, seat).
  INSERT INTO order_lines (order_id, position, ticket_type_id, seat_id, unit_price_minor)
    SELECT p_order_id,
           row_number() OVER (ORDER BY u.section_position, u.row_position, u.seat_position, u.ticket_type_id),
           u.ticket_type_id, u.seat_id, u.unit_price_minor
    FROM (
      SELECT i.ticket_type_id, NULL::uuid AS seat_id, i.unit_price_minor,
             0 AS section_position, 0 AS row_position, 0 AS seat_position
        FROM reservation_items i CROSS JOIN LATERAL generate_series(1, i.quantity) g
        WHERE i.reservation_id = p_reservation_id
      UNION ALL
      SELECT rs.ticket_type_id, rs.seat_id, rs.unit_price_minor, c.position, st.row_position, st.position
        FROM reservation_seats rs JOIN seats st ON st.id = rs.seat_id JOIN sections c ON c.id = st.section_id
        WHERE rs.reservation_id = p_reservation_id
    ) u;
  UPDATE reservations r SET expires_at = greatest(r.expires_at, p_hold_until) WHERE r.id = p_reservation_id;
  RETURN QUERY SELECT 'opened'::text, order_json(p_order_id);
END $$;

-- Moves an order's units to sold: from its live hold, or, when the hold ended, the same units again if they are
-- still free. Returns claimed | reclaimed | unavailable | not_pending (already claimed answers as claimed).
CREATE FUNCTION claim_units(p_order_id uuid) RETURNS text LANGUAGE plpgsql AS $$
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
    FOR v_item IN SELECT l.ticket_type_id, count(*)::integer AS n FROM order_lines l
                  WHERE l.order_id = p_order_id GROUP BY 1 ORDER BY 1
    LOOP
      UPDATE ticket_types t SET held = t.held - v_item.n, sold = t.sold + v_item.n WHERE t.id = v_item.ticket_type_id;
    END LOOP;
    UPDATE seats s SET status = 'sold', held_by = NULL, sold_to = p_order_id WHERE s.held_by = v_res.id;
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
    FOR v_item IN SELECT l.ticket_type_id, count(*)::integer AS n FROM order_lines l
                  WHERE l.order_id = p_order_id GROUP BY 1 ORDER BY 1
    LOOP
      UPDATE ticket_types t SET sold = t.sold + v_item.n
        WHERE t.id = v_item.ticket_type_id AND (t.seated OR t.capacity - t.held - t.sold >= v_item.n);
      IF NOT FOUND THEN RAISE EXCEPTION 'unavailable' USING ERRCODE = 'P0001'; END IF;
    END LOOP;
    INSERT INTO customer_event_tickets AS c (customer_id, event_id, tickets)
      VALUES (v_order.customer_id, v_order.event_id, (SELECT count(*) FROM order_lines l WHERE l.order_id = p_order_id))
      ON CONFLICT (customer_id, event_id) DO UPDATE SET tickets = c.tickets + excluded.tickets;
    UPDATE orders o SET units_claimed = true WHERE o.id = p_order_id;
    RETURN 'reclaimed';
  EXCEPTION WHEN raise_exception OR check_violation THEN
    RETURN 'unavailable';
  END;
END $$;

-- Gives a pending order's claimed units back to sale (the compensation of claim_units). Idempotent.
CREATE FUNCTION release_units(p_order_id uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_order orders%ROWTYPE;
BEGIN
  SELECT * INTO v_order FROM orders o WHERE o.id = p_order_id FOR UPDATE;
  IF NOT FOUND OR NOT v_order.units_claimed OR v_order.status <> 'pending_payment' THEN RETURN; END IF;
  UPDATE ticket_types t SET sold = t.sold - c.n
    FROM (SELECT l.ticket_type_id, count(*)::integer AS n FROM order_lines l WHERE l.order_id = p_order_id
          GROUP BY 1 ORDER BY 1) c
    WHERE t.id = c.ticket_type_id;
  UPDATE seats s SET status = 'available', sold_to = NULL WHERE s.sold_to = p_order_id;
  UPDATE customer_event_tickets c SET tickets = c.tickets - (SELECT count(*) FROM order_lines l WHERE l.order_id = p_order_id)
    WHERE c.customer_id = v_order.customer_id AND c.event_id = v_order.event_id;
  UPDATE orders o SET units_claimed = false WHERE o.id = p_order_id;
END $$;

-- Cancels a pending order: its claimed units or its live hold go back to sale. Any other status is left alone.
CREATE FUNCTION cancel_order(p_order_id uuid, p_reason text, p_at timestamptz) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_order orders%ROWTYPE;
BEGIN
  SELECT * INTO v_order FROM orders o WHERE o.id = p_order_id FOR UPDATE;
  IF NOT FOUND THEN RETURN NULL; END IF;
  IF v_order.status = 'pending_payment' THEN
    PERFORM release_units(p_order_id);
    PERFORM end_holds(ARRAY[v_order.reservation_id], 'released', NULL, false);
    UPDATE orders o SET status = 'cancelled', cancel_reason = p_reason, cancelled_at = p_at WHERE o.id = p_order_id;
  END IF;
  RETURN order_json(p_order_id);
END $$;

-- Confirms a pending order whose units are claimed and issues one ticket per line. Idempotent.
CREATE FUNCTION confirm_order(p_order_id uuid, p_at timestamptz) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_order orders%ROWTYPE;
BEGIN
  SELECT * INTO v_order FROM orders o WHERE o.id = p_order_id FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'order % does not exist', p_order_id; END IF;
  IF v_order.status = 'pending_payment' THEN
    IF NOT v_order.units_claimed THEN RAISE EXCEPTION 'order % has no claimed units', p_order_id; END IF;
    UPDATE orders o SET status = 'confirmed', confirmed_at = p_at WHERE o.id = p_order_id;
    INSERT INTO tickets (order_id, position, event_id, customer_id, ticket_type_id, seat_id, price_minor, currency, issued_at)
      SELECT l.order_id, l.position, v_order.event_id, v_order.customer_id, l.ticket_type_id, l.seat_id,
             l.unit_price_minor, v_order.currency, p_at
      FROM order_lines l WHERE l.order_id = p_order_id
      ON CONFLICT (order_id, position) DO NOTHING;
  END IF;
  RETURN order_json(p_order_id);
END $$;

CREATE FUNCTION refund_json(p_id text) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', f.id, 'orderId', f.order_id, 'amountMinor', f.amount_minor,
    'ticketIds', to_jsonb(f.ticket_ids), 'status', f.status, 'createdAt', f.created_at)
  FROM refunds f WHERE f.id = p_id
$$;

-- Voids valid tickets of a paid order (all of them when p_ticket_ids is NULL), gives their units back to sale and
-- records a pending refund of their price, in one transaction.
-- Returns (outcome: requested | existing | order_not_refundable | ticket_not_refundable | nothing_to_refund, refund).
CREATE FUNCTION request_refund(
  p_refund_id text, p_order_id uuid, p_ticket_ids uuid[], p_requested_by uuid, p_include_checked_in boolean,
  p_at timestamptz
) RETURNS TABLE (outcome text, refund jsonb) LANGUAGE plpgsql AS $$
DECLARE
  v_order orders%ROWTYPE;
  v_ids uuid[];
  v_amount bigint;
  v_left integer;
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
  UPDATE ticket_types t SET sold = t.sold - c.n
    FROM (SELECT x.ticket_type_id, count(*)::integer AS n FROM tickets x WHERE x.id = ANY (v_ids) GROUP BY 1 ORDER BY 1) c
    WHERE t.id = c.ticket_type_id;
  UPDATE seats s SET status = 'available', sold_to = NULL
    WHERE s.id IN (SELECT x.seat_id FROM tickets x WHERE x.id = ANY (v_ids) AND x.seat_id IS NOT NULL);
  UPDATE customer_event_tickets c SET tickets = c.tickets - cardinality(v_ids)
    WHERE c.customer_id = v_order.customer_id AND c.event_id = v_order.event_id;
  SELECT count(*) INTO v_left FROM tickets t WHERE t.order_id = p_order_id AND t.status = 'valid';
  UPDATE orders o SET refunded_minor = o.refunded_minor + v_amount,
                      status = CASE WHEN v_left = 0 THEN 'refunded' ELSE 'partially_refunded' END
    WHERE o.id = p_order_id;
  INSERT INTO refunds (id, order_id, amount_minor, ticket_ids, status, requested_by, created_at)
    VALUES (p_refund_id, p_order_id, v_amount, v_ids, 'pending', p_requested_by, p_at);
  RETURN QUERY SELECT 'requested'::text, refund_json(p_refund_id);
END $$;

-- Admits a valid ticket of the event once. Returns (outcome: admitted | already_admitted | voided | other_event |
-- not_found, ticket). Concurrent scans of one code serialise on the ticket row: exactly one is admitted.
CREATE FUNCTION check_in(p_ticket_id uuid, p_event_id uuid, p_by uuid, p_at timestamptz)
RETURNS TABLE (outcome text, ticket jsonb) LANGUAGE plpgsql AS $$
DECLARE
  v_ticket tickets%ROWTYPE;
BEGIN
  UPDATE tickets t SET checked_in_at = p_at, checked_in_by = p_by
    WHERE t.id = p_ticket_id AND t.event_id = p_event_id AND t.status = 'valid' AND t.checked_in_at IS NULL
    RETURNING * INTO v_ticket;
  IF FOUND THEN
    RETURN QUERY SELECT 'admitted'::text, ticket_json(v_ticket); RETURN;
  END IF;
  SELECT * INTO v_ticket FROM tickets t WHERE t.id = p_ticket_id;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::jsonb;
  ELSIF v_ticket.event_id <> p_event_id THEN
    RETURN QUERY SELECT 'other_event'::text, NULL::jsonb;
  ELSIF v_ticket.status = 'voided' THEN
    RETURN QUERY SELECT 'voided'::text, ticket_json(v_ticket);
  ELSE
    RETURN QUERY SELECT 'already_admitted'::text, ticket_json(v_ticket);
  END IF;
END $$;
