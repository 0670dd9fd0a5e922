-- A refund gives back what was paid, never more than the order charged.
--
-- A voucher's discount comes off the hold's total, which the order charges, while its tickets keep their prices: a
-- refund of some tickets at their prices could give back more than was paid. request_refund (0011_lock_order.sql)
-- now refunds a discounted order's tickets their share of the charge (the share of the tickets refunded so far,
-- less the share of those refunded before, rounded down), so every refund is at most its tickets' price and all of
-- them together exactly the charge; an order that charged its tickets' prices refunds them at their prices, as before.
-- The same rule is domain/orders/OrderTransitions.ts (refundAmount) for the in-memory twin; the order contract suite
-- holds the two equal.

CREATE OR REPLACE FUNCTION request_refund(
  p_refund_id text, p_order_id uuid, p_ticket_ids uuid[], p_requested_by uuid, p_include_checked_in boolean,
  p_at timestamptz
) RETURNS TABLE (outcome text, refund jsonb) LANGUAGE plpgsql AS $$
DECLARE
  v_order orders%ROWTYPE;
  v_ids uuid[];
  v_amount bigint;
  v_gross bigint;
  v_before bigint;
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
  -- What was paid for them, never more than the order charged (OrderTransitions.refundAmount states the same): their
  -- price, or with a discount their share of the charge so far less the share of those refunded before.
  SELECT coalesce(sum(t.price_minor), 0), coalesce(sum(t.price_minor) FILTER (WHERE t.status = 'voided'), 0)
    INTO v_gross, v_before FROM tickets t WHERE t.order_id = p_order_id;
  IF v_order.total_minor < v_gross THEN
    v_amount := greatest(0, least(
      (v_before + v_amount) * v_order.total_minor / v_gross - v_before * v_order.total_minor / v_gross,
      v_order.total_minor - v_order.refunded_minor));
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
