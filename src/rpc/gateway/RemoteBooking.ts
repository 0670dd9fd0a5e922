import { Config, Context, Deferred, Duration, Effect, Layer, Option, Schedule, Sink, Stream } from "effect"
import { RpcClient } from "effect/rpc"
import type { RpcClientError } from "effect/rpc/RpcClientError"
import type { Actor } from "../../domain/accounts/Actor.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { Orders } from "../../services/orders/Orders.ts"
import { type OrderStatusEvent, OrderWatch } from "../../services/orders/OrderWatch.ts"
import { PaymentWebhooks } from "../../services/orders/PaymentWebhooks.ts"
import { Reservations } from "../../services/reservations/Reservations.ts"
import { rpcConnection } from "../client/index.ts"
import type { CallRefused } from "../contract/Common.ts"
import { GatewayRpcs } from "../contract/Gateway.ts"

/**
 * Where a gateway finds the booking role: BOOKING_RPC_URL (its RPC listener, `http://host:port`), the gateway's
 * service key BOOKING_SERVICE_KEY (scope `booking:write`), BOOKING_RPC_PROTOCOL `websocket` (default: one
 * connection carries every call and stream) or `http` (a request per call).
 */
export const BookingRpcConfig = Config.all({
  url: Config.String("BOOKING_RPC_URL"),
  key: Config.Redacted("BOOKING_SERVICE_KEY"),
  protocol: Config.Literals(["websocket", "http"], "BOOKING_RPC_PROTOCOL").pipe(Config.withDefault("websocket"))
})

/** The typed client of the booking role's GatewayRpcs, shared by the remote services below. */
export class BookingGatewayClient extends Context.Service<
  BookingGatewayClient,
  RpcClient.FromGroup<typeof GatewayRpcs, RpcClientError>
>()("goticket/rpc/BookingGatewayClient") {
  static readonly layer = Layer.effect(BookingGatewayClient, RpcClient.make(GatewayRpcs))
}

/** The client over the configured connection (MessagePack). */
export const BookingGatewayClientLive = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* BookingRpcConfig
    return BookingGatewayClient.layer.pipe(
      Layer.provide(rpcConnection({ url: config.url, key: config.key, protocol: config.protocol }))
    )
  })
)

type Infrastructure = RpcClientError | CallRefused
const INFRASTRUCTURE = new Set(["RpcClientError", "ServiceKeyRejected", "ScopeRefused"])
const isInfrastructure = (e: unknown): e is Infrastructure =>
  typeof e === "object" && e !== null && INFRASTRUCTURE.has((e as { _tag?: string })._tag ?? "")

/**
 * A remote call as the service's own effect: its typed errors stay typed (a SoldOut decoded from the wire is a
 * SoldOut, answered by REST exactly as in one process); the transport failing, or the gateway's key refused, is an
 * infrastructure failure, a defect (a logged 500), as a database failure is in one process.
 */
const remote = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, Exclude<E, Infrastructure>> =>
  Effect.catch(effect, (e) => (isInfrastructure(e) ? Effect.die(e) : Effect.fail(e))) as Effect.Effect<
    A,
    Exclude<E, Infrastructure>
  >

/** `Reservations` over RPC: the hold, its reading and its release run on the booking role. */
export const RemoteReservations = Layer.effect(
  Reservations,
  Effect.gen(function* () {
    const client = yield* BookingGatewayClient
    return Reservations.of({
      hold: (actor, request, idempotencyKey) => remote(client.GatewayHold({ actor, request, idempotencyKey })),
      get: (actor, reservationId) => remote(client.GatewayGetHold({ actor, reservationId })),
      release: (actor, reservationId) => remote(client.GatewayReleaseHold({ actor, reservationId })),
      // The expiry job belongs to the worker role, never to a gateway.
      expireDue: () => Effect.die(new Error("the gateway does not expire holds: the worker role does"))
    })
  })
)

/** `Orders` over RPC: checkout, orders, tickets, refunds and check-in run on the booking role. */
export const RemoteOrders = Layer.effect(
  Orders,
  Effect.gen(function* () {
    const client = yield* BookingGatewayClient
    return Orders.of({
      checkout: (actor, reservationId) => remote(client.GatewayCheckout({ actor, reservationId })),
      get: (actor, orderId) => remote(client.GatewayGetOrder({ actor, orderId })),
      list: (actor, page) =>
        remote(
          client.GatewayListOrders({
            actor,
            limit: page.limit,
            ...(page.before === undefined ? {} : { before: page.before })
          })
        ),
      ticket: (actor, ticketId) => remote(client.GatewayTicket({ actor, ticketId })),
      ticketCode: (actor, ticketId) => remote(client.GatewayTicketCode({ actor, ticketId })),
      ownerCodes: (actor, order) => Effect.map(remote(client.GatewayOwnerCodes({ actor, order })), (c) => new Map(c)),
      refund: (actor, orderId, ticketIds, idempotencyKey) =>
        remote(
          client.GatewayRefund({
            actor,
            orderId,
            ...(ticketIds === undefined ? {} : { ticketIds }),
            ...(idempotencyKey === undefined ? {} : { idempotencyKey })
          })
        ),
      refundCancelledEvent: (actor, eventId) => remote(client.GatewayRefundCancelledEvent({ actor, eventId })),
      checkIn: (actor, eventId, code) => remote(client.GatewayCheckIn({ actor, eventId, code }))
    })
  })
)

/**
 * `OrderWatch` over RPC: the booking role waits on the order (its LISTEN, its stream slots per customer); the
 * gateway relays. A feed's refusal (OrderNotFound, TooManyOrderStreams) arrives before its first status, so REST
 * answers 404/429 before it starts the event stream, as in one process. On the gateway's shutdown its streams end
 * and its long-polls answer with the order as it is, as OrderWatch does.
 */
export const RemoteOrderWatch = Layer.effect(
  OrderWatch,
  Effect.gen(function* () {
    const client = yield* BookingGatewayClient
    const closing = yield* Deferred.make<void>()
    const openStreams = new Map<UserId, number>()
    let inProgress = 0
    const tracked = Effect.acquireRelease(
      Effect.sync(() => {
        inProgress++
      }),
      () =>
        Effect.sync(() => {
          inProgress--
        })
    )
    /** Counts the caller's open feeds on this gateway (diagnostics); the limit is the booking role's. */
    const slot = (userId: UserId) =>
      Effect.gen(function* () {
        openStreams.set(userId, (openStreams.get(userId) ?? 0) + 1)
        let held = true
        const release = Effect.sync(() => {
          if (!held) return
          held = false
          const left = (openStreams.get(userId) ?? 1) - 1
          if (left <= 0) openStreams.delete(userId)
          else openStreams.set(userId, left)
        })
        yield* Effect.addFinalizer(() => release)
        return release
      })

    const feed = (actor: Actor, orderId: OrderStatusEvent["order"]["id"], lastEventId?: string) =>
      Effect.gen(function* () {
        yield* tracked
        const items = client
          .GatewayOrderFeed({ actor, orderId, ...(lastEventId === undefined ? {} : { lastEventId }) })
          .pipe(Stream.catch((e) => (isInfrastructure(e) ? Stream.die(e) : Stream.fail(e))))
        const [first, rest] = yield* Stream.peel(items, Sink.head())
        if (Option.isNone(first)) return Option.none<Stream.Stream<OrderStatusEvent>>()
        const release = yield* slot(actor.userId)
        const events = rest.pipe(
          Stream.filter((item) => item._tag === "FeedStatus"),
          Stream.map(
            (item): OrderStatusEvent => ({ sequence: item.sequence, settled: item.settled, order: item.order })
          ),
          Stream.orDie,
          Stream.interruptWhen(Deferred.await(closing)),
          Stream.ensuring(release)
        )
        return Option.some(events)
      })

    const waitFor: OrderWatch["Service"]["waitFor"] = (actor, orderId, target, timeout) =>
      Effect.scoped(
        Effect.gen(function* () {
          yield* tracked
          return yield* Effect.raceFirst(
            remote(client.GatewayWaitForOrder({ actor, orderId, target, timeoutMs: Duration.toMillis(timeout) })),
            Deferred.await(closing).pipe(Effect.andThen(remote(client.GatewayGetOrder({ actor, orderId }))))
          )
        })
      )

    const endAllWaits = Deferred.succeed(closing, undefined).pipe(
      Effect.andThen(
        Effect.sync(() => inProgress).pipe(
          Effect.repeat({ until: (n) => n === 0, schedule: Schedule.spaced("10 millis") }),
          Effect.timeoutOption("1 second")
        )
      ),
      Effect.asVoid
    )

    return OrderWatch.of({
      feed,
      waitFor,
      endAllWaits,
      openStreamsOf: (userId) => Effect.sync(() => openStreams.get(userId) ?? 0)
    })
  })
)

/** `PaymentWebhooks` over RPC: the provider's webhook completes the payment where the sagas run. */
export const RemotePaymentWebhooks = Layer.effect(
  PaymentWebhooks,
  Effect.gen(function* () {
    const client = yield* BookingGatewayClient
    return PaymentWebhooks.of({
      receive: (body, signature) =>
        remote(client.GatewayPaymentWebhook({ body, ...(signature === undefined ? {} : { signature }) }))
    })
  })
)

/** Every booking service a gateway's REST handlers use, over one client of the booking role. */
export const RemoteBookingLive = Layer.mergeAll(
  RemoteReservations,
  RemoteOrders,
  RemoteOrderWatch,
  RemotePaymentWebhooks
).pipe(Layer.provide(BookingGatewayClientLive))
