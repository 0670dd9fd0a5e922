-- Domain events: the transactional outbox, the consumers' inbox, and the sales projection.
--
-- Every state change that other parts of the system care about writes its event here, in the same transaction, from a
-- trigger on the table that changed: no code path (service, saga step, expiry job, manual SQL) can change the state
-- and forget the event. The payloads are the Schema classes of src/domain/events/DomainEvents.ts; the trace context
-- of the request that caused the change comes from the transaction setting `goticket.traceparent`.

-- Events of one aggregate share a relay slot: a relay locks its slots (SKIP LOCKED), so every aggregate's events go
-- out through one relay at a time, in position order, while several relays share the work.
CREATE TABLE outbox_slots (slot smallint PRIMARY KEY);
INSERT INTO outbox_slots SELECT generate_series(0, 15);

CREATE TABLE outbox (
  position       bigserial PRIMARY KEY,
  id             uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  type           text NOT NULL,
  version        integer NOT NULL DEFAULT 1,
  occurred_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  aggregate_type text NOT NULL,
  aggregate_id   uuid NOT NULL,
  payload        jsonb NOT NULL,
  traceparent    text,
  slot           smallint NOT NULL,
  sent_at        timestamptz
);
CREATE INDEX outbox_unsent_idx ON outbox (slot, position) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;

CREATE FUNCTION outbox_write(p_type text, p_aggregate_type text, p_aggregate_id uuid, p_payload jsonb)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO outbox (type, aggregate_type, aggregate_id, payload, traceparent, slot)
  VALUES (p_type, p_aggregate_type, p_aggregate_id, p_payload,
          nullif(current_setting('goticket.traceparent', true), ''), hashtext(p_aggregate_id::text) & 15)
$$;

CREATE FUNCTION events_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM (CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END)
     AND NEW.status IN ('published', 'cancelled') THEN
    PERFORM outbox_write(CASE NEW.status WHEN 'published' THEN 'EventPublished' ELSE 'EventCancelled' END, 'event', NEW.id,
      jsonb_build_object('eventId', NEW.id, 'organizerId', NEW.organizer_id, 'title', NEW.title,
                         'startsAt', NEW.starts_at));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER events_outbox AFTER INSERT OR UPDATE OF status ON events FOR EACH ROW EXECUTE FUNCTION events_outbox();

CREATE FUNCTION reservations_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM outbox_write('ReservationCreated', 'reservation', NEW.id,
      jsonb_build_object('reservationId', NEW.id, 'customerId', NEW.customer_id, 'eventId', NEW.event_id,
                         'tickets', NEW.tickets, 'totalMinor', NEW.total_minor, 'currency', NEW.currency,
                         'expiresAt', NEW.expires_at));
  ELSIF OLD.status = 'active' AND NEW.status IN ('expired', 'released') THEN
    PERFORM outbox_write(CASE NEW.status WHEN 'expired' THEN 'ReservationExpired' ELSE 'ReservationReleased' END,
      'reservation', NEW.id,
      jsonb_build_object('reservationId', NEW.id, 'customerId', NEW.customer_id, 'eventId', NEW.event_id,
                         'tickets', NEW.tickets));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER reservations_outbox AFTER INSERT OR UPDATE OF status ON reservations
  FOR EACH ROW EXECUTE FUNCTION reservations_outbox();

CREATE FUNCTION orders_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'pending_payment' AND NEW.status = 'confirmed' THEN
    PERFORM outbox_write('OrderConfirmed', 'order', NEW.id,
      jsonb_build_object('orderId', NEW.id, 'customerId', NEW.customer_id, 'eventId', NEW.event_id,
                         'totalMinor', NEW.total_minor, 'currency', NEW.currency,
                         'tickets', (SELECT count(*) FROM order_lines l WHERE l.order_id = NEW.id)));
  ELSIF OLD.status = 'pending_payment' AND NEW.status = 'cancelled' THEN
    PERFORM outbox_write('OrderCancelled', 'order', NEW.id,
      jsonb_build_object('orderId', NEW.id, 'customerId', NEW.customer_id, 'eventId', NEW.event_id,
                         'reason', NEW.cancel_reason));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER orders_outbox AFTER UPDATE OF status ON orders FOR EACH ROW EXECUTE FUNCTION orders_outbox();

CREATE FUNCTION refunds_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'completed' AND OLD.status IS DISTINCT FROM 'completed' THEN
    PERFORM outbox_write('OrderRefunded', 'order', o.id,
      jsonb_build_object('orderId', o.id, 'customerId', o.customer_id, 'eventId', o.event_id, 'refundId', NEW.id,
                         'amountMinor', NEW.amount_minor, 'currency', o.currency, 'ticketIds', to_jsonb(NEW.ticket_ids)))
    FROM orders o WHERE o.id = NEW.order_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER refunds_outbox AFTER UPDATE OF status ON refunds FOR EACH ROW EXECUTE FUNCTION refunds_outbox();

CREATE FUNCTION tickets_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM outbox_write('TicketIssued', 'ticket', NEW.id,
      jsonb_build_object('ticketId', NEW.id, 'orderId', NEW.order_id, 'eventId', NEW.event_id,
                         'customerId', NEW.customer_id, 'ticketTypeId', NEW.ticket_type_id, 'seatId', NEW.seat_id,
                         'priceMinor', NEW.price_minor, 'currency', NEW.currency));
    RETURN NULL;
  END IF;
  IF OLD.status = 'valid' AND NEW.status = 'voided' THEN
    PERFORM outbox_write('TicketVoided', 'ticket', NEW.id,
      jsonb_build_object('ticketId', NEW.id, 'orderId', NEW.order_id, 'eventId', NEW.event_id,
                         'customerId', NEW.customer_id, 'ticketTypeId', NEW.ticket_type_id,
                         'priceMinor', NEW.price_minor, 'currency', NEW.currency));
  END IF;
  IF OLD.checked_in_at IS NULL AND NEW.checked_in_at IS NOT NULL THEN
    PERFORM outbox_write('TicketCheckedIn', 'ticket', NEW.id,
      jsonb_build_object('ticketId', NEW.id, 'orderId', NEW.order_id, 'eventId', NEW.event_id,
                         'ticketTypeId', NEW.ticket_type_id, 'checkedInAt', NEW.checked_in_at,
                         'checkedInBy', NEW.checked_in_by));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER tickets_outbox AFTER INSERT OR UPDATE OF status, checked_in_at ON tickets
  FOR EACH ROW EXECUTE FUNCTION tickets_outbox();

-- What each consumer has handled, by event id: a redelivery finds its row and is dropped. The row commits with the
-- handler's own writes.
CREATE TABLE inbox (
  consumer   text NOT NULL,
  event_id   uuid NOT NULL,
  handled_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
CREATE INDEX inbox_handled_idx ON inbox (handled_at);

-- The sales projection: per event and ticket type, kept by the sales-stats consumer from TicketIssued, TicketVoided
-- and TicketCheckedIn.
CREATE TABLE event_sales (
  event_id       uuid NOT NULL,
  ticket_type_id uuid NOT NULL,
  currency       char(3) NOT NULL,
  sold           integer NOT NULL DEFAULT 0,
  refunded       integer NOT NULL DEFAULT 0,
  checked_in     integer NOT NULL DEFAULT 0,
  gross_minor    bigint NOT NULL DEFAULT 0,
  refunded_minor bigint NOT NULL DEFAULT 0,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, ticket_type_id)
);
