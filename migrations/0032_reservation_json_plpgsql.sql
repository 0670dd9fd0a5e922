-- reservation_json (0003_reservations.sql) in PL/pgSQL, same answer.
--
-- A LANGUAGE sql function whose body cannot be inlined (it reads tables) is parsed and planned again at every call
-- from another statement: place_hold calls it for every hold of seats, the replay of a hold and findById for every
-- read. In the seated flash sale that was about a quarter of PostgreSQL's CPU (`perf` over its backends: 27 % of
-- the samples under fmgr_sql). PL/pgSQL keeps the plan of its query for the session.
CREATE OR REPLACE FUNCTION reservation_json(p_id uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT jsonb_build_object(
      'id', r.id, 'customerId', r.customer_id, 'eventId', r.event_id, 'status', r.status, 'tickets', r.tickets,
      'totalMinor', r.total_minor, 'currency', r.currency, 'expiresAt', r.expires_at, 'createdAt', r.created_at,
      'endedAt', r.ended_at,
      'items', coalesce((SELECT jsonb_agg(jsonb_build_object('ticketTypeId', i.ticket_type_id, 'quantity', i.quantity,
                           'unitPriceMinor', i.unit_price_minor) ORDER BY i.ticket_type_id)
                         FROM reservation_items i WHERE i.reservation_id = r.id), '[]'::jsonb),
      'seats', coalesce((SELECT jsonb_agg(jsonb_build_object('seatId', rs.seat_id, 'ticketTypeId', rs.ticket_type_id,
                           'unitPriceMinor', rs.unit_price_minor, 'section', c.name, 'row', st.row_label, 'label', st.label)
                           ORDER BY c.position, st.row_position, st.position)
                         FROM reservation_seats rs JOIN seats st ON st.id = rs.seat_id JOIN sections c ON c.id = st.section_id
                         WHERE rs.reservation_id = r.id), '[]'::jsonb))
    FROM reservations r WHERE r.id = p_id
  );
END $$;
