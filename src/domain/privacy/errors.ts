import { Schema } from "effect"

/** The account cannot be erased yet; `code` says why, `message` what to do about it. */
export class ErasureRefused extends Schema.TaggedError<ErasureRefused>()("ErasureRefused", {
  code: Schema.Literals(["payment_in_progress", "upcoming_events"]),
  message: Schema.String
}) {
  static readonly paymentInProgress = () =>
    new ErasureRefused({
      code: "payment_in_progress",
      message: "an order of this account is waiting for its payment; try again once it is paid or cancelled"
    })

  static readonly upcomingEvents = () =>
    new ErasureRefused({
      code: "upcoming_events",
      message: "this account organizes published events that are still to come; cancel them first"
    })
}
