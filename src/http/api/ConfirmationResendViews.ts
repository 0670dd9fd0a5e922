import { Schema } from "effect"
import { HttpApiSchema } from "effect/http-api"
import { MailNotSent } from "../../domain/notifications/Mailer.ts"
import { OrderId } from "../../domain/shared/Ids.ts"
import { ConfirmationUnavailable } from "../../domain/support/errors.ts"

export const ConfirmationSentView = Schema.Struct({
  orderId: OrderId,
  sentTo: Schema.String.annotate({ description: "The buyer's address it went to, masked (a***@example.com)" }),
  messageId: Schema.String.annotate({ description: "The Message-ID of the mail sent" })
}).annotate({ identifier: "ConfirmationSent" })

export const ConfirmationUnavailable409 = ConfirmationUnavailable.pipe(HttpApiSchema.status(409))
export const MailNotSent503 = MailNotSent.pipe(HttpApiSchema.status(503))

export const RESEND_RULES =
  "The confirmation mail of a paid order (confirmed or partly refunded), composed anew with its tickets as they are now (codes and QR images of the valid ones), sent again to the buyer's address. Any other status is 409 ConfirmationUnavailable. An order's confirmation is sent again at most CONFIRMATION_RESENDS_PER_HOUR times an hour (default 3), whoever asks: then 429 with Retry-After. 503 MailNotSent when the mail server does not take it (retry later). Audited (order.confirmation_resent)."
