import { Schema } from "effect"
import { OrderStatus } from "../orders/Order.ts"

/** Only a confirmed order (or one partly refunded) with a valid ticket has a confirmation to send again. */
export class ConfirmationUnavailable extends Schema.TaggedError<ConfirmationUnavailable>()("ConfirmationUnavailable", {
  status: OrderStatus,
  message: Schema.String
}) {}
