-- The payment reconciliation (src/services/orders/PaymentReconciliation.ts, rules in
-- src/domain/orders/Reconciliation.ts) checks every settled order's payment at the provider once: a cancelled order
-- keeps no money (its intent voided, or refunded), a confirmed one was captured. It records when it did, and what
-- came of it: consistent, voided, refunded, or needs_attention (a state the saga never leaves, logged for a person;
-- `SELECT id FROM orders WHERE payment_reconciliation = 'needs_attention'` is the list).
ALTER TABLE orders ADD COLUMN payment_reconciled_at timestamptz;
ALTER TABLE orders ADD COLUMN payment_reconciliation text
  CHECK (payment_reconciliation IN ('consistent', 'voided', 'refunded', 'needs_attention'));
ALTER TABLE orders ADD CONSTRAINT orders_reconciliation_recorded_whole
  CHECK ((payment_reconciled_at IS NULL) = (payment_reconciliation IS NULL));
ALTER TABLE orders ADD CONSTRAINT orders_reconciled_once_settled
  CHECK (payment_reconciled_at IS NULL OR status <> 'pending_payment');

-- What a pass reads: the settled orders not checked yet, the longest settled first.
CREATE INDEX orders_unreconciled_idx ON orders ((coalesce(confirmed_at, cancelled_at)), id)
  WHERE payment_reconciled_at IS NULL AND status <> 'pending_payment';
