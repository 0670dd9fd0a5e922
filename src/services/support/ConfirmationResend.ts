import { Context, Effect, Layer } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import type { MailNotSent } from "../../domain/notifications/Mailer.ts"
import type { OrderNotFound } from "../../domain/orders/errors.ts"
import type { OrderId } from "../../domain/shared/Ids.ts"
import type { ConfirmationUnavailable } from "../../domain/support/errors.ts"
import { Support } from "./Support.ts"

/** What a resend answers: where the mail went (masked) and its Message-ID. */
export interface ConfirmationSent {
  readonly orderId: OrderId
  readonly sentTo: string
  readonly messageId: string
}

/**
 * An order's confirmation mail sent again, for whoever may see the order (its buyer, the event's organizer or
 * their keys, support): Support.resendConfirmation in the process that holds the orders, over RPC from a gateway.
 */
export class ConfirmationResend extends Context.Service<
  ConfirmationResend,
  {
    readonly resend: (
      actor: Actor,
      orderId: OrderId
    ) => Effect.Effect<ConfirmationSent, OrderNotFound | ConfirmationUnavailable | MailNotSent>
  }
>()("goticket/ConfirmationResend") {
  static readonly local = Layer.effect(
    this,
    Effect.map(Support, (support) => ({ resend: support.resendConfirmation }))
  ).pipe(Layer.provide(Support.layer))
}
