-- Vouchers: discount codes per event, and their redemptions.
--
-- A voucher's redemptions are counted on its row (redeemed), raised only by a guarded update
-- (redeemed < max_redemptions), so however many holds race for the last redemption, one gets it. Each redemption
-- belongs to one hold (and the order opened for it): the hold's total is recorded after its discount, so the order
-- charges the discounted price. The redemption is given back, in the same transaction, when its hold ends without an
-- order (released, expired) or its order is cancelled before it is paid; a paid order keeps it.
CREATE TABLE vouchers (
  id              uuid PRIMARY KEY,
  event_id        uuid NOT NULL,
  code            text NOT NULL CHECK (code ~ '^[A-Z0-9]{1,60}$'),
  kind            text NOT NULL CHECK (kind IN ('fixed', 'percent')),
  value           bigint NOT NULL CHECK (value > 0 AND (kind <> 'percent' OR value <= 100)),
  ticket_type_ids uuid[] NOT NULL DEFAULT '{}',
  valid_from      timestamptz,
  valid_until     timestamptz CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_until > valid_from),
  max_redemptions integer NOT NULL CHECK (max_redemptions > 0),
  redeemed        integer NOT NULL DEFAULT 0 CHECK (redeemed >= 0 AND redeemed <= max_redemptions),
  created_by      uuid NOT NULL,
  created_at      timestamptz NOT NULL,
  UNIQUE (event_id, code)
);
CREATE INDEX vouchers_event_idx ON vouchers (event_id, created_at);

-- One redemption per hold. No foreign key to reservations: the redemption is taken before the hold is placed (a
-- used-up voucher refuses before any inventory is touched) and given back if the hold is not placed.
CREATE TABLE voucher_redemptions (
  reservation_id uuid PRIMARY KEY,
  voucher_id     uuid NOT NULL REFERENCES vouchers (id),
  event_id       uuid NOT NULL,
  discount_minor bigint NOT NULL DEFAULT 0 CHECK (discount_minor >= 0),
  redeemed_at    timestamptz NOT NULL
);
CREATE INDEX voucher_redemptions_voucher_idx ON voucher_redemptions (voucher_id);
CREATE INDEX voucher_redemptions_event_idx ON voucher_redemptions (event_id);

-- Gives back the redemptions of these holds: their rows go, their vouchers count them no more.
CREATE FUNCTION give_back_redemptions(p_reservation_ids uuid[]) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_total integer := 0;
  v_item record;
BEGIN
  FOR v_item IN
    WITH gone AS (DELETE FROM voucher_redemptions WHERE reservation_id = ANY (p_reservation_ids) RETURNING voucher_id)
    SELECT voucher_id, count(*)::integer AS n FROM gone GROUP BY voucher_id ORDER BY voucher_id
  LOOP
    UPDATE vouchers SET redeemed = redeemed - v_item.n WHERE id = v_item.voucher_id;
    v_total := v_total + v_item.n;
  END LOOP;
  RETURN v_total;
END $$;

-- Every way a hold ends without an order (release, expiry, erasure, cancellation through end_holds) gives back its
-- redemption in the same transaction.
CREATE FUNCTION reservations_give_back_voucher() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM give_back_redemptions(ARRAY[NEW.id]);
  RETURN NULL;
END $$;
CREATE TRIGGER reservations_give_back_voucher AFTER UPDATE OF status ON reservations
  FOR EACH ROW WHEN (OLD.status = 'active' AND NEW.status IN ('released', 'expired'))
  EXECUTE FUNCTION reservations_give_back_voucher();

-- An order cancelled before it was paid (its hold may have been converted already) gives back its redemption.
CREATE FUNCTION orders_give_back_voucher() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM give_back_redemptions(ARRAY[NEW.reservation_id]);
  RETURN NULL;
END $$;
CREATE TRIGGER orders_give_back_voucher AFTER UPDATE OF status ON orders
  FOR EACH ROW WHEN (OLD.status = 'pending_payment' AND NEW.status = 'cancelled')
  EXECUTE FUNCTION orders_give_back_voucher();

-- VoucherRedeemed, through the outbox, once the hold's discount is recorded.
CREATE FUNCTION voucher_redemptions_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM outbox_write('VoucherRedeemed', 'reservation', NEW.reservation_id,
    jsonb_build_object('reservationId', NEW.reservation_id, 'voucherId', NEW.voucher_id, 'eventId', NEW.event_id,
                       'code', (SELECT v.code FROM vouchers v WHERE v.id = NEW.voucher_id),
                       'discountMinor', NEW.discount_minor));
  RETURN NULL;
END $$;
CREATE TRIGGER voucher_redemptions_outbox AFTER UPDATE OF discount_minor ON voucher_redemptions
  FOR EACH ROW EXECUTE FUNCTION voucher_redemptions_outbox();
