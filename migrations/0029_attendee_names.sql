-- Attendee names (AttendeeNames.ts): the organizer asks for them per ticket type; the buyer gives one per ticket at
-- checkout, stored on the order's lines in the transaction that opens the order (a checkout saga resumed after a
-- crash finds them there), and copied onto the tickets when they are issued. The buyer may change a ticket's name
-- until the cut-off (the service decides; the update is guarded here by the ticket being theirs, valid and not
-- checked in). An erased account's names are blanked in the erasure's transaction.
ALTER TABLE ticket_types ADD COLUMN attendee_names text NOT NULL DEFAULT 'off'
  CHECK (attendee_names IN ('off', 'optional', 'required'));

-- At most 100 characters, one line, never blank (no name is NULL): AttendeeNames.MAX_ATTENDEE_NAME_LENGTH.
ALTER TABLE order_lines ADD COLUMN attendee_name text
  CHECK (attendee_name IS NULL OR (char_length(attendee_name) BETWEEN 1 AND 100 AND attendee_name !~ '[[:cntrl:]]'));
ALTER TABLE tickets ADD COLUMN attendee_name text
  CHECK (attendee_name IS NULL OR (char_length(attendee_name) BETWEEN 1 AND 100 AND attendee_name !~ '[[:cntrl:]]'));

CREATE OR REPLACE FUNCTION ticket_json(t tickets) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', t.id, 'orderId', t.order_id, 'eventId', t.event_id, 'customerId', t.customer_id,
    'ticketTypeId', t.ticket_type_id, 'seatId', t.seat_id, 'seatLabel', seat_label(t.seat_id),
    'priceMinor', t.price_minor, 'currency', t.currency, 'status', t.status, 'issuedAt', t.issued_at,
    'voidedAt', t.voided_at, 'checkedInAt', t.checked_in_at, 'attendeeName', t.attendee_name)
$$;

-- Erasure (erase_account, 0009) blanks the names on the account's orders and tickets, in its transaction.
CREATE FUNCTION users_blank_attendee_names() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE tickets SET attendee_name = NULL WHERE customer_id = NEW.id AND attendee_name IS NOT NULL;
  UPDATE order_lines l SET attendee_name = NULL
    FROM orders o WHERE o.id = l.order_id AND o.customer_id = NEW.id AND l.attendee_name IS NOT NULL;
  RETURN NULL;
END $$;
CREATE TRIGGER users_blank_attendee_names
  AFTER UPDATE OF erased_at ON users
  FOR EACH ROW WHEN (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL)
  EXECUTE FUNCTION users_blank_attendee_names();
