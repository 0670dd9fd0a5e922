import { Effect } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import type { Order } from "../../domain/orders/Order.ts"
import { ResendThrottle } from "../../services/security/ResendThrottle.ts"
import { ConfirmationResend } from "../../services/support/ConfirmationResend.ts"
import { enforceRate } from "./rateLimits.ts"

/**
 * Sends an order the caller may see its confirmation again: a paid order takes one resend of its quota first (429
 * once spent); any other is refused by the resend itself (409), spending nothing.
 */
export const makeConfirmationResend = Effect.gen(function* () {
  const throttle = yield* ResendThrottle
  const confirmations = yield* ConfirmationResend
  return (actor: Actor, order: Order) =>
    Effect.gen(function* () {
      if (order.status === "confirmed" || order.status === "partially_refunded")
        yield* enforceRate(yield* throttle.admit(order.id))
      return yield* confirmations.resend(actor, order.id)
    })
})
