-- Withheld units, and the waiting list that uses them (issue 17).
--
-- ONE mechanism, two uses. A ticket type's `withheld` units are counted as unavailable to the public (every public
-- guard and view reads capacity - held - sold - withheld), and belong to a voucher's pool (vouchers.reserved_left;
-- the sum of the pools of a type's vouchers is its withheld count). A hold placed with such a voucher draws its
-- units from the pool instead of the public (place_withheld_hold: the voucher's pool, then place_hold with the
-- draw, one transaction); when that hold ends without an order, or its unpaid order is cancelled, the units go back
-- to the voucher's pool (end_holds, release_units), not to the public. A pool whose voucher is past valid_until is
-- given up by the expiry job (expire_withheld): its units are withheld no more.
--   1. Reserved-quota vouchers: an organizer's voucher for one ticket type with reserved_units.
--   2. Waiting list: when a sold-out type gets units back (a hold ends, an order is cancelled or refunded, capacity
--      is raised, a pool is given up), the trigger on ticket_types offers them, in the same transaction, to the first
--      waiting customers in line: one unit each, as a single-use voucher of their account withholding that unit,
--      valid for the hours the entry was given when it joined (WAITING_LIST_OFFER_HOURS). An offer not used in time
--      is given up by the expiry job, which makes the same trigger offer the unit to the next in line (or to the
--      public when nobody waits).
-- Exact under contention: every offer of a type is made while its ticket_types row is locked by the update that
-- freed the units, so two transactions never offer the same unit, and waiting entries are taken in position order
-- (FOR UPDATE, not SKIP LOCKED: a leaving customer only locks their own entry, so nobody is skipped). The plain hold
-- path runs no extra statement: its guard reads one more column, and the trigger's WHEN (free units grew) is false
-- for a hold.
-- Lock order: vouchers and waiting entries before customer_event_tickets and ticket_types; the trigger locks
-- waiting entries after the ticket type (nobody holding a waiting entry waits for a ticket type).

ALTER TABLE ticket_types
  ADD COLUMN withheld integer NOT NULL DEFAULT 0 CHECK (withheld >= 0),
  ADD COLUMN waiting_list_open boolean NOT NULL DEFAULT true;

-- reserved_units: the units a reserved-quota voucher (or an offer) withheld when it was made; reserved_left: those
-- withheld now, not in a hold or an order. account_id: the only account that may use it (an offer's).
ALTER TABLE vouchers
  ADD COLUMN reserved_units integer CONSTRAINT vouchers_reserved_one_type
    CHECK (reserved_units IS NULL OR (reserved_units > 0 AND cardinality(ticket_type_ids) = 1)),
  ADD COLUMN reserved_left integer NOT NULL DEFAULT 0 CHECK (reserved_left >= 0),
  ADD COLUMN account_id uuid;
-- An offer gives the unit at its price: a voucher of no discount.
ALTER TABLE vouchers DROP CONSTRAINT vouchers_check;
ALTER TABLE vouchers ADD CONSTRAINT vouchers_value_check CHECK (value >= 0 AND (kind <> 'percent' OR value <= 100));
CREATE INDEX vouchers_withheld_due_idx ON vouchers (valid_until) WHERE reserved_left > 0;

-- Units a hold drew from a voucher's pool (one row per hold): what goes back to the pool when it ends unsold.
CREATE TABLE withheld_draws (
  reservation_id uuid PRIMARY KEY,
  voucher_id     uuid NOT NULL REFERENCES vouchers (id),
  ticket_type_id uuid NOT NULL,
  units          integer NOT NULL CHECK (units > 0)
);

CREATE TABLE waiting_list_entries (
  id               uuid PRIMARY KEY,
  position         bigint GENERATED ALWAYS AS IDENTITY,
  event_id         uuid NOT NULL,
  ticket_type_id   uuid NOT NULL REFERENCES ticket_types (id),
  customer_id      uuid NOT NULL,
  status           text NOT NULL CHECK (status IN ('waiting', 'offered', 'used', 'lapsed', 'left')),
  offer_hours      integer NOT NULL CHECK (offer_hours > 0),
  joined_at        timestamptz NOT NULL,
  voucher_id       uuid REFERENCES vouchers (id),
  offered_at       timestamptz,
  offer_expires_at timestamptz,
  ended_at         timestamptz
);
-- Once per type: one live entry (waiting or offered) per customer and ticket type.
CREATE UNIQUE INDEX waiting_list_live_key ON waiting_list_entries (ticket_type_id, customer_id)
  WHERE status IN ('waiting', 'offered');
CREATE INDEX waiting_list_line_idx ON waiting_list_entries (ticket_type_id, position) WHERE status = 'waiting';
CREATE INDEX waiting_list_customer_idx ON waiting_list_entries (customer_id, joined_at);

-- A code as VoucherRules.codeFromBytes makes it: 12 letters of the unambiguous alphabet from strong random bytes
-- (gen_random_uuid's, without its version and variant bytes), bytes of 248 and above skipped.
CREATE FUNCTION random_voucher_code() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_alphabet constant text := 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
  v_bytes bytea;
  v_byte integer;
  v_code text := '';
BEGIN
  WHILE length(v_code) < 12 LOOP
    v_bytes := uuid_send(gen_random_uuid());
    FOR i IN 0 .. 15 LOOP
      CONTINUE WHEN i IN (6, 8);
      v_byte := get_byte(v_bytes, i);
      IF v_byte < 248 AND length(v_code) < 12 THEN
        v_code := v_code || substr(v_alphabet, v_byte % 31 + 1, 1);
      END IF;
    END LOOP;
  END LOOP;
  RETURN v_code;
END $$;

-- Offers up to p_free units of a ticket type (whose row the caller has locked) to the first waiting customers, one
-- unit each; returns how many were offered. The caller withholds them (ticket_types.withheld + the result).
CREATE FUNCTION offer_to_waiting(p_type uuid, p_event uuid, p_free integer, p_now timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_entry record;
  v_voucher uuid;
  v_until timestamptz;
  v_n integer := 0;
BEGIN
  FOR v_entry IN SELECT w.id, w.customer_id, w.offer_hours FROM waiting_list_entries w
                 WHERE w.ticket_type_id = p_type AND w.status = 'waiting'
                 ORDER BY w.position LIMIT p_free FOR UPDATE
  LOOP
    v_voucher := gen_random_uuid();
    v_until := p_now + make_interval(hours => v_entry.offer_hours);
    INSERT INTO vouchers (id, event_id, code, kind, value, ticket_type_ids, valid_from, valid_until, max_redemptions,
                          created_by, created_at, reserved_units, reserved_left, account_id)
      SELECT v_voucher, p_event, random_voucher_code(), 'fixed', 0, ARRAY[p_type], NULL, v_until, 1,
             e.organizer_id, p_now, 1, 1, v_entry.customer_id
      FROM events e WHERE e.id = p_event;
    UPDATE waiting_list_entries w SET status = 'offered', voucher_id = v_voucher, offered_at = p_now,
                                      offer_expires_at = v_until
      WHERE w.id = v_entry.id;
    -- The event carries ids only; the mail's consumer reads the code and the address when it makes the mail.
    PERFORM outbox_write('WaitingListOffered', 'waiting_list_entry', v_entry.id,
      jsonb_build_object('entryId', v_entry.id, 'customerId', v_entry.customer_id, 'eventId', p_event,
                         'ticketTypeId', p_type, 'voucherId', v_voucher, 'expiresAt', v_until));
    v_n := v_n + 1;
  END LOOP;
  RETURN v_n;
END $$;

-- Whenever a ticket type's free units grow (and its list is open), they are offered to the waiting first, in the
-- transaction that freed them. The time is the caller's when it set goticket.now, else the transaction's.
CREATE FUNCTION ticket_types_offer_waiting() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_n integer;
BEGIN
  v_n := offer_to_waiting(NEW.id, NEW.event_id, NEW.capacity - NEW.held - NEW.sold - NEW.withheld,
                          coalesce(nullif(current_setting('goticket.now', true), '')::timestamptz, now()));
  IF v_n > 0 THEN
    UPDATE ticket_types t SET withheld = t.withheld + v_n WHERE t.id = NEW.id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER ticket_types_offer_waiting AFTER UPDATE ON ticket_types
  FOR EACH ROW WHEN (NEW.waiting_list_open AND NOT NEW.seated
                     AND NEW.capacity - NEW.held - NEW.sold - NEW.withheld > 0
                     AND NEW.capacity - NEW.held - NEW.sold - NEW.withheld
                         > OLD.capacity - OLD.held - OLD.sold - OLD.withheld)
  EXECUTE FUNCTION ticket_types_offer_waiting();

-- A hold placed with a voucher that withholds units: its units of the voucher's ticket type come from the voucher's
-- pool (refused as sold out when the pool has fewer, or the voucher is another account's), the rest as any hold.
-- Lock order: the voucher, then place_hold's (customer count, ticket types last).
CREATE FUNCTION place_withheld_hold(
  p_voucher_id uuid, p_reservation_id uuid, p_customer_id uuid, p_event_id uuid,
  p_items jsonb, p_expires_at timestamptz, p_customer_limit integer,
  p_key text, p_request_hash text, p_key_expires_at timestamptz, p_now timestamptz
) RETURNS TABLE (outcome text, reservation_id uuid, detail text, reservation jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_type uuid;
  v_units integer;
  v_result record;
BEGIN
  SELECT v.ticket_type_ids[1] INTO v_type FROM vouchers v WHERE v.id = p_voucher_id AND v.reserved_units IS NOT NULL;
  SELECT coalesce(sum((i->>'quantity')::integer), 0) INTO v_units FROM jsonb_array_elements(p_items) i
    WHERE (i->>'ticketTypeId')::uuid = v_type;
  UPDATE vouchers v SET reserved_left = v.reserved_left - v_units
    WHERE v.id = p_voucher_id AND v_units > 0 AND v.reserved_left >= v_units
      AND (v.account_id IS NULL OR v.account_id = p_customer_id);
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'sold_out'::text, NULL::uuid, v_type::text, NULL::jsonb; RETURN;
  END IF;
  PERFORM set_config('goticket.withheld_type', v_type::text, true);
  SELECT * INTO v_result FROM place_hold(p_reservation_id, p_customer_id, p_event_id, p_items, NULL, p_expires_at,
                                         p_customer_limit, p_key, p_request_hash, p_key_expires_at, p_now) h;
  PERFORM set_config('goticket.withheld_type', '', true);
  IF v_result.outcome = 'held' THEN
    INSERT INTO withheld_draws (reservation_id, voucher_id, ticket_type_id, units)
      VALUES (p_reservation_id, p_voucher_id, v_type, v_units);
  ELSE
    UPDATE vouchers v SET reserved_left = v.reserved_left + v_units WHERE v.id = p_voucher_id;
  END IF;
  RETURN QUERY SELECT v_result.outcome, v_result.reservation_id, v_result.detail, v_result.reservation;
END $$;

-- The expiry job's step: pools of vouchers past valid_until are given up (their units withheld no more, so the
-- trigger above offers them to the next in line or gives them to the public), offers past their time end as
-- lapsed (their unit given up) or used (their unit in a hold or an order). Pools skipped when another job holds
-- them. Returns the units given up.
CREATE FUNCTION expire_withheld(p_now timestamptz, p_limit integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_ids uuid[];
  v_item record;
  v_total integer := 0;
BEGIN
  PERFORM set_config('goticket.now', p_now::text, true);
  SELECT array_agg(v.id ORDER BY v.id) INTO v_ids FROM (
    SELECT v.id FROM vouchers v WHERE v.reserved_left > 0 AND v.valid_until <= p_now
    ORDER BY v.id LIMIT p_limit FOR UPDATE SKIP LOCKED) v;
  UPDATE waiting_list_entries w
    SET status = CASE WHEN v.reserved_left > 0 THEN 'lapsed' ELSE 'used' END,
        ended_at = p_now
    FROM vouchers v
    WHERE w.status = 'offered' AND w.offer_expires_at <= p_now AND v.id = w.voucher_id
      AND (v.reserved_left = 0 OR v.id = ANY (coalesce(v_ids, '{}')));
  IF v_ids IS NOT NULL THEN
    FOR v_item IN WITH given AS (
                    UPDATE vouchers v SET reserved_left = 0 FROM vouchers o
                    WHERE v.id = ANY (v_ids) AND o.id = v.id RETURNING v.ticket_type_ids[1] AS t, o.reserved_left AS n)
                  SELECT g.t, sum(g.n)::integer AS n FROM given g GROUP BY 1 ORDER BY 1
    LOOP
      UPDATE ticket_types t SET withheld = t.withheld - v_item.n WHERE t.id = v_item.t;
      v_total := v_total + v_item.n;
    END LOOP;
  END IF;
  PERFORM set_config('goticket.now', '', true);
  RETURN v_total;
END $$;


-- place_hold (0025_lean_place_hold.sql) with withheld units: the public guard counts them as unavailable; a hold
-- placed by place_withheld_hold draws its voucher's ticket type from them (v_draw). Nothing else changes.

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

-- end_holds (0024_hold_time_from_caller.sql): drawn units go back to their voucher's pool, still withheld.

CREATE OR REPLACE FUNCTION end_holds(
  p_ids uuid[], p_status text, p_customer_id uuid, p_skip_locked boolean, p_now timestamptz
)
RETURNS SETOF uuid LANGUAGE plpgsql AS $$
DECLARE
  v_ids uuid[];
  v_types uuid[];
  v_units integer[];
  v_count record;
  v_back integer[];
  v_draw record;
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

  SELECT array_agg(u.ticket_type_id ORDER BY u.ticket_type_id), array_agg(u.n ORDER BY u.ticket_type_id),
         array_agg(u.back ORDER BY u.ticket_type_id)
    INTO v_types, v_units, v_back
    FROM (SELECT x.ticket_type_id, sum(x.n)::integer AS n, sum(x.back)::integer AS back FROM (
            SELECT i.ticket_type_id, i.quantity AS n, 0 AS back FROM reservation_items i WHERE i.reservation_id = ANY (v_ids)
            UNION ALL
            SELECT s.ticket_type_id, 1, 0 FROM seats s WHERE s.held_by = ANY (v_ids)
            UNION ALL
            SELECT d.ticket_type_id, 0, d.units FROM withheld_draws d WHERE d.reservation_id = ANY (v_ids)) x
          GROUP BY 1) u;

  UPDATE reservations r SET status = p_status, ended_at = p_now WHERE r.id = ANY (v_ids);
  -- Units these holds drew from a voucher's withheld pool go back to that pool (vouchers are locked here already, by
  -- the redemption given back above), and stay withheld: counted back into ticket_types.withheld below.
  FOR v_draw IN WITH gone AS (DELETE FROM withheld_draws d WHERE d.reservation_id = ANY (v_ids)
                              RETURNING d.voucher_id, d.units)
                SELECT g.voucher_id, sum(g.units)::integer AS n FROM gone g GROUP BY 1 ORDER BY 1
  LOOP
    UPDATE vouchers v SET reserved_left = v.reserved_left + v_draw.n WHERE v.id = v_draw.voucher_id;
  END LOOP;
  UPDATE seats s SET status = 'available', held_by = NULL
    WHERE s.id IN (SELECT x.id FROM seats x WHERE x.held_by = ANY (v_ids) ORDER BY x.id FOR UPDATE);
  FOR v_count IN SELECT r.customer_id, r.event_id, sum(r.tickets)::integer AS n FROM reservations r
                 WHERE r.id = ANY (v_ids) GROUP BY 1, 2 ORDER BY 1, 2
  LOOP
    UPDATE customer_event_tickets c SET tickets = c.tickets - v_count.n
      WHERE c.customer_id = v_count.customer_id AND c.event_id = v_count.event_id;
  END LOOP;
  FOR i IN 1 .. coalesce(cardinality(v_types), 0) LOOP
    UPDATE ticket_types t SET held = t.held - v_units[i], withheld = t.withheld + v_back[i] WHERE t.id = v_types[i];
  END LOOP;
  RETURN QUERY SELECT unnest(v_ids);
END $$;

-- release_units (0011_lock_order.sql): an unpaid order's drawn units go back to their voucher's pool.

CREATE OR REPLACE FUNCTION release_units(p_order_id uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_order orders%ROWTYPE;
  v_item record;
  v_back jsonb := '{}'::jsonb;
BEGIN
  SELECT * INTO v_order FROM orders o WHERE o.id = p_order_id FOR UPDATE;
  IF NOT FOUND OR NOT v_order.units_claimed OR v_order.status <> 'pending_payment' THEN RETURN; END IF;
  -- Units its hold drew from a voucher's withheld pool go back to that pool, and stay withheld (counted below).
  FOR v_item IN WITH gone AS (DELETE FROM withheld_draws d WHERE d.reservation_id = v_order.reservation_id
                              RETURNING d.voucher_id, d.ticket_type_id, d.units)
                SELECT g.voucher_id, g.ticket_type_id, sum(g.units)::integer AS n FROM gone g GROUP BY 1, 2 ORDER BY 1
  LOOP
    UPDATE vouchers v SET reserved_left = v.reserved_left + v_item.n WHERE v.id = v_item.voucher_id;
    v_back := v_back || jsonb_build_object(v_item.ticket_type_id::text,
                                           coalesce((v_back->>v_item.ticket_type_id::text)::integer, 0) + v_item.n);
  END LOOP;
  UPDATE seats s SET status = 'available', sold_to = NULL
    WHERE s.id IN (SELECT x.id FROM seats x WHERE x.sold_to = p_order_id ORDER BY x.id FOR UPDATE);
  UPDATE customer_event_tickets c SET tickets = c.tickets - (SELECT count(*) FROM order_lines l WHERE l.order_id = p_order_id)
    WHERE c.customer_id = v_order.customer_id AND c.event_id = v_order.event_id;
  FOR v_item IN SELECT l.ticket_type_id, count(*)::integer AS n FROM order_lines l
                WHERE l.order_id = p_order_id GROUP BY 1 ORDER BY 1
  LOOP
    UPDATE ticket_types t SET sold = t.sold - v_item.n,
                              withheld = t.withheld + coalesce((v_back->>v_item.ticket_type_id::text)::integer, 0)
      WHERE t.id = v_item.ticket_type_id;
  END LOOP;
  UPDATE orders o SET units_claimed = false WHERE o.id = p_order_id;
END $$;

-- claim_units (0019_order_time_from_caller.sql): taking an ended hold's units again counts withheld units as taken.

CREATE OR REPLACE FUNCTION claim_units(p_order_id uuid, p_now timestamptz) RETURNS text LANGUAGE plpgsql AS $$
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
        WHERE t.id = v_item.ticket_type_id AND (t.seated OR t.capacity - t.held - t.sold - t.withheld >= v_item.n);
      IF NOT FOUND THEN RAISE EXCEPTION 'unavailable' USING ERRCODE = 'P0001'; END IF;
    END LOOP;
    UPDATE orders o SET units_claimed = true WHERE o.id = p_order_id;
    RETURN 'reclaimed';
  EXCEPTION WHEN raise_exception OR check_violation THEN
    RETURN 'unavailable';
  END;
END $$;


-- Joining a ticket type's waiting list: only a general-admission type of a published event, its list open, sold out
-- to the public (no free unit), once (one live entry per customer and type; joining again answers the same entry).
-- Outcomes: joined | already | not_found | closed | not_sold_out.
CREATE FUNCTION join_waiting_list(
  p_entry_id uuid, p_customer_id uuid, p_ticket_type_id uuid, p_offer_hours integer, p_now timestamptz
) RETURNS TABLE (outcome text, entry_id uuid) LANGUAGE plpgsql AS $$
DECLARE
  v_type ticket_types%ROWTYPE;
  v_id uuid;
BEGIN
  SELECT t.* INTO v_type FROM ticket_types t JOIN events e ON e.id = t.event_id
    WHERE t.id = p_ticket_type_id AND e.status = 'published' AND NOT t.seated;
  IF NOT FOUND THEN RETURN QUERY SELECT 'not_found'::text, NULL::uuid; RETURN; END IF;
  SELECT w.id INTO v_id FROM waiting_list_entries w
    WHERE w.ticket_type_id = p_ticket_type_id AND w.customer_id = p_customer_id AND w.status IN ('waiting', 'offered');
  IF FOUND THEN RETURN QUERY SELECT 'already'::text, v_id; RETURN; END IF;
  IF NOT v_type.waiting_list_open THEN RETURN QUERY SELECT 'closed'::text, NULL::uuid; RETURN; END IF;
  IF v_type.capacity - v_type.held - v_type.sold - v_type.withheld > 0 THEN
    RETURN QUERY SELECT 'not_sold_out'::text, NULL::uuid; RETURN;
  END IF;
  INSERT INTO waiting_list_entries (id, event_id, ticket_type_id, customer_id, status, offer_hours, joined_at)
    VALUES (p_entry_id, v_type.event_id, p_ticket_type_id, p_customer_id, 'waiting', p_offer_hours, p_now)
    ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    SELECT w.id INTO v_id FROM waiting_list_entries w
      WHERE w.ticket_type_id = p_ticket_type_id AND w.customer_id = p_customer_id AND w.status IN ('waiting', 'offered');
    RETURN QUERY SELECT 'already'::text, v_id; RETURN;
  END IF;
  -- Units freed while this customer was joining (their release saw no one waiting) are offered now, under the
  -- ticket type's lock, as the trigger would have.
  IF EXISTS (SELECT 1 FROM ticket_types t WHERE t.id = p_ticket_type_id
             AND t.capacity - t.held - t.sold - t.withheld > 0) THEN
    SELECT t.* INTO v_type FROM ticket_types t WHERE t.id = p_ticket_type_id FOR UPDATE;
    IF v_type.waiting_list_open AND v_type.capacity - v_type.held - v_type.sold - v_type.withheld > 0 THEN
      PERFORM set_config('goticket.now', p_now::text, true);
      UPDATE ticket_types t
        SET withheld = t.withheld + offer_to_waiting(t.id, t.event_id, t.capacity - t.held - t.sold - t.withheld, p_now)
        WHERE t.id = p_ticket_type_id;
      PERFORM set_config('goticket.now', '', true);
    END IF;
  END IF;
  RETURN QUERY SELECT 'joined'::text, p_entry_id;
END $$;

-- Leaving: a waiting entry just leaves; an open offer is given up too (its unit withheld no more: offered to the
-- next in line). Lock order: the offer's voucher, the entry, then the ticket type. Returns whether an entry left.
CREATE FUNCTION leave_waiting_list(p_customer_id uuid, p_ticket_type_id uuid, p_now timestamptz)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  v_voucher uuid;
  v_entry waiting_list_entries%ROWTYPE;
  v_left integer := 0;
BEGIN
  PERFORM set_config('goticket.now', p_now::text, true);
  SELECT w.voucher_id INTO v_voucher FROM waiting_list_entries w
    WHERE w.ticket_type_id = p_ticket_type_id AND w.customer_id = p_customer_id AND w.status IN ('waiting', 'offered');
  IF v_voucher IS NOT NULL THEN
    SELECT v.reserved_left INTO v_left FROM vouchers v WHERE v.id = v_voucher FOR UPDATE;
  END IF;
  UPDATE waiting_list_entries w SET status = 'left', ended_at = p_now
    WHERE w.ticket_type_id = p_ticket_type_id AND w.customer_id = p_customer_id AND w.status IN ('waiting', 'offered')
    RETURNING * INTO v_entry;
  IF NOT FOUND THEN RETURN false; END IF;
  IF v_entry.voucher_id IS NOT NULL AND v_entry.voucher_id = v_voucher AND v_left > 0 THEN
    UPDATE vouchers v SET reserved_left = 0, valid_until = least(v.valid_until, p_now) WHERE v.id = v_voucher;
    UPDATE ticket_types t SET withheld = t.withheld - v_left WHERE t.id = p_ticket_type_id;
  ELSIF v_entry.voucher_id IS NOT NULL THEN
    -- The unit is in a hold or an order now: the offer ends with it; if it comes back, the expiry job gives it up.
    UPDATE vouchers v SET valid_until = least(v.valid_until, p_now) WHERE v.id = v_entry.voucher_id;
  END IF;
  PERFORM set_config('goticket.now', '', true);
  RETURN true;
END $$;

-- Place in line: 1 for the first waiting; 0 when the customer has an open offer; NULL when not in the list.
CREATE FUNCTION waiting_list_position(p_customer_id uuid, p_ticket_type_id uuid) RETURNS TABLE (
  status text, line_position bigint, waiting bigint, offer_expires_at timestamptz
) LANGUAGE sql STABLE AS $$
  SELECT w.status,
         CASE WHEN w.status = 'waiting' THEN (SELECT count(*) FROM waiting_list_entries x
                WHERE x.ticket_type_id = w.ticket_type_id AND x.status = 'waiting' AND x.position <= w.position)
              ELSE 0 END,
         (SELECT count(*) FROM waiting_list_entries x WHERE x.ticket_type_id = w.ticket_type_id AND x.status = 'waiting'),
         w.offer_expires_at
  FROM waiting_list_entries w
  WHERE w.ticket_type_id = p_ticket_type_id AND w.customer_id = p_customer_id AND w.status IN ('waiting', 'offered')
$$;
