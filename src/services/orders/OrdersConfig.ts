import { Config, Duration } from "effect"
import { bounded } from "../config/bounded.ts"

/** Knobs of checkout, refunds and the workflow engine; README.md lists them. */
export const OrdersConfig = Config.all({
  paymentWindow: bounded("CHECKOUT_PAYMENT_WINDOW_SECONDS", 300, 5, 86_400, "seconds").pipe(
    Config.map(Duration.seconds)
  ),
  /**
   * How often the workflow engine looks for due clocks and for executions whose runner died (a saga woken in this
   * process runs at once whatever this is).
   */
  enginePollInterval: bounded("WORKFLOW_POLL_INTERVAL_MS", 1_000, 20, 60_000, "milliseconds").pipe(
    Config.map(Duration.millis)
  ),
  /** How often the payment reconciliation compares orders with their intents at the provider. */
  reconciliationInterval: bounded("PAYMENT_RECONCILIATION_INTERVAL_MS", 60_000, 1_000, 3_600_000, "milliseconds").pipe(
    Config.map(Duration.millis)
  ),
  /**
   * An order is reconciled once it has been pending, or settled, this long (before that it is its saga's: the
   * payment window, a compensation still under way).
   */
  reconciliationDelay: bounded("PAYMENT_RECONCILIATION_DELAY_MS", 120_000, 0, 86_400_000, "milliseconds").pipe(
    Config.map(Duration.millis)
  ),
  /** Customers may refund their own tickets until this many hours before the event starts (organizers any time). */
  customerRefundCutoffHours: bounded("CUSTOMER_REFUND_CUTOFF_HOURS", 24, 0, 8_760, "hours"),
  /** Buyers may change a ticket's attendee name until this many hours before the event starts (AttendeeNames). */
  attendeeNameCutoffHours: bounded("ATTENDEE_NAME_CUTOFF_HOURS", 24, 0, 8_760, "hours")
})
export type OrdersConfig = Config.Success<typeof OrdersConfig>
