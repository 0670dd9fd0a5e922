-- Order updates: a signal on the channel `goticket_orders`, with the order's id as payload, whenever an order is
-- opened or its status changes, whatever changed it (a request, a saga step in another process, manual SQL).
-- NOTIFY is transactional: listeners hear it when the transaction commits, never if it rolls back. The signal says
-- only "read this order again" (src/services/orders/OrderUpdatesPg.ts): the listeners read the order for the truth.
CREATE FUNCTION orders_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('goticket_orders', NEW.id::text);
  RETURN NULL;
END $$;

CREATE TRIGGER orders_notify_insert AFTER INSERT ON orders
  FOR EACH ROW EXECUTE FUNCTION orders_notify();

CREATE TRIGGER orders_notify_status AFTER UPDATE OF status ON orders
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION orders_notify();
