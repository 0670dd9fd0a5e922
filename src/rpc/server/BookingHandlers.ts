import { Effect, Option, Stream } from "effect"
import { Actor } from "../../domain/accounts/Actor.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { isErasedEmail } from "../../domain/privacy/Erasure.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { Orders } from "../../services/orders/Orders.ts"
import { OrderWatch } from "../../services/orders/OrderWatch.ts"
import { Reservations } from "../../services/reservations/Reservations.ts"
import { retryAfterSeconds } from "../../services/security/TrafficClasses.ts"
import { TrafficControl } from "../../services/security/TrafficControl.ts"
import { BookingRpcs } from "../contract/Booking.ts"
import { CustomerNotFound, RateLimited } from "../contract/Common.ts"

/**
 * Booking over RPC: the calls of POST/DELETE /v1/reservations, POST …/checkout and GET /v1/orders/{id}(/events),
 * run by the same services with the customer as the actor (their limits, their idempotency keys, their orders).
 */
export const BookingHandlersLive = BookingRpcs.toLayer(
  Effect.gen(function* () {
    const users = yield* UserRepository
    const reservations = yield* Reservations
    const orders = yield* Orders
    const watch = yield* OrderWatch
    const traffic = yield* TrafficControl

    /** The customer a call is for, as the actor their own REST calls would have. */
    const customer = (customerId: UserId) =>
      Effect.flatMap(users.findById(customerId), (found) =>
        Option.isSome(found) && !isErasedEmail(found.value.email)
          ? Effect.succeed(new Actor({ userId: found.value.id, accountType: found.value.accountType, isAdmin: false }))
          : Effect.fail(new CustomerNotFound({ customerId, message: "no customer account with this id" }))
      )

    return BookingRpcs.of({
      PlaceHold: ({ customerId, idempotencyKey, request }) =>
        Effect.gen(function* () {
          const actor = yield* customer(customerId)
          const rated = yield* traffic.admitHold(actor.userId, request.eventId)
          if (rated !== undefined && !rated.decision.allowed) {
            const seconds = retryAfterSeconds(rated.decision)
            return yield* new RateLimited({
              message: `too many holds; retry in ${seconds} s`,
              retryAfterSeconds: seconds
            })
          }
          return yield* reservations.hold(actor, request, idempotencyKey)
        }),
      ReleaseHold: ({ customerId, reservationId }) =>
        Effect.flatMap(customer(customerId), (actor) => reservations.release(actor, reservationId)),
      Checkout: ({ customerId, reservationId, attendees }) =>
        Effect.flatMap(customer(customerId), (actor) => orders.checkout(actor, reservationId, attendees)),
      GetOrder: ({ customerId, orderId }) =>
        Effect.flatMap(customer(customerId), (actor) => orders.get(actor, orderId)),
      OrderStatus: ({ customerId, orderId, after }) =>
        Stream.unwrap(
          Effect.gen(function* () {
            const actor = yield* customer(customerId)
            const feed = yield* watch.feed(actor, orderId, after === undefined ? undefined : String(after))
            return Option.match(feed, {
              onNone: () => Stream.empty,
              onSome: (events) =>
                Stream.map(events, (e) => ({
                  sequence: e.sequence,
                  status: e.order.status,
                  settled: e.settled,
                  order: e.order
                }))
            })
          })
        )
    })
  })
)
