\set n random(1, 4)
WITH u AS (UPDATE bench_ticket_types SET held = held + :n WHERE id = 1 AND capacity - held - sold >= :n RETURNING id) INSERT INTO bench_holds (ticket_type_id, quantity) SELECT id, :n FROM u;
