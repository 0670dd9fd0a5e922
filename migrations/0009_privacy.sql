-- Privacy (GDPR): erasure by pseudonymisation. An erased account keeps its row, so that its orders, tickets,
-- refunds, check-ins and domain events still name an existing user, but nothing in the row identifies the person
-- any more (see src/domain/privacy/Erasure.ts). The export needs no schema of its own (PersonalDataPg reads it).

-- When the account was erased; an erased account reads as unknown to the privacy endpoints.
ALTER TABLE users ADD COLUMN erased_at timestamptz;

-- Erases an account in one transaction. The placeholders come from the caller (the application's single definition
-- of them). Returns (outcome, released):
--   erased (released: the holds it released, [{id, eventId, ticketTypeIds}]) | not_found (unknown or already erased)
--   | upcoming_events (organizes a published event that has not ended) | payment_in_progress (an order waits for
--   payment). A refusal changes nothing.
CREATE FUNCTION erase_account(
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

  SELECT array_agg(x.id) INTO v_released FROM end_holds(coalesce(v_holds, '{}'), 'released', p_user_id, false) AS x(id);
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
