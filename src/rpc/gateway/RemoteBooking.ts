import { Config, Context, Deferred, Duration, Effect, Layer, Option, Schedule, Sink, Stream } from "effect"
import { RpcClient } from "effect/rpc"
import type { RpcClientError } from "effect/rpc/RpcClientError"
import { AccessTokens } from "../../domain/accounts/AccessTokens.ts"
import type { Actor } from "../../domain/accounts/Actor.ts"
import type { Unauthenticated } from "../../domain/accounts/errors.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { Orders } from "../../services/orders/Orders.ts"
import { type OrderStatusEvent, OrderWatch } from "../../services/orders/OrderWatch.ts"
import { PaymentWebhooks } from "../../services/orders/PaymentWebhooks.ts"
import { takeStreamSlot } from "../../services/orders/StreamSlots.ts"
import { Reservations } from "../../services/reservations/Reservations.ts"
import { ConfirmationResend } from "../../services/support/ConfirmationResend.ts"
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

/**
 * Failures that are the deployment's, not the request's: the transport, the gateway's key refused, or an actor proof
 * the booking role could not verify (the roles do not share JWT_SECRET).
 */
type Infrastructure = RpcClientError | CallRefused | Unauthenticated
const INFRASTRUCTURE = new Set(["RpcClientError", "ServiceKeyRejected", "ScopeRefused", "Unauthenticated"])
const isInfrastructure = (e: unknown): e is Infrastructure =>
  typeof e === "object" && e !== null && INFRASTRUCTURE.has((e as { _tag?: string })._tag ?? "")

/**
 * A remote call as the service's own effect: its typed errors stay typed (a SoldOut decoded from the wire is a
 * SoldOut, answered by REST exactly as in one process); the transport failing, the gateway's key refused or its
 * actor proof rejected is an infrastructure failure, a defect (a logged 500), as a database failure is in one process.
 */
const remote = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, Exclude<E, Infrastructure>> =>
  Effect.catch(effect, (e) => (isInfrastructure(e) ? Effect.die(e) : Effect.fail(e))) as Effect.Effect<
    A,
    Exclude<E, Infrastructure>
  >

/** Tokens kept per actor: minted once, reused until half their life is gone. */
const PROOF_CACHE_SIZE = 50_000

/**
 * The proof of whom a call acts for (GatewayRpcs' `actor`): an access token for the actor the gateway authenticated,
 * signed with the deployment's JWT_SECRET, so that the booking role need not trust the key with any identity.
 */
export class ActorProofs extends Context.Service<
  ActorProofs,
  {
    /** The proof for `actor` (minted, or kept from before). */
    readonly proof: (actor: Actor) => Effect.Effect<string>
    /** Runs `call` with a proof for `actor`; its infrastructure failures become defects (see `remote`). */
    readonly acting: <A, E>(
      actor: Actor,
      call: (proof: string) => Effect.Effect<A, E>
    ) => Effect.Effect<A, Exclude<E, Infrastructure>>
  }
>()("goticket/rpc/ActorProofs") {
  static readonly layer = Layer.effect(
    ActorProofs,
    Effect.gen(function* () {
      const tokens = yield* AccessTokens
      const minted = new Map<string, { readonly token: string; readonly renewAtMs: number }>()
      const proofOf = (actor: Actor) => {
        const id = `${actor.userId}:${actor.accountType}:${actor.isAdmin}`
        const hit = minted.get(id)
        if (hit !== undefined && hit.renewAtMs > Date.now()) return Effect.succeed(hit.token)
        return Effect.map(tokens.issue(actor), ({ accessToken, expiresIn }) => {
          if (minted.size >= PROOF_CACHE_SIZE) minted.clear()
          minted.set(id, { token: accessToken, renewAtMs: Date.now() + (expiresIn * 1000) / 2 })
          return accessToken
        })
      }
      return ActorProofs.of({
        proof: proofOf,
        acting: (actor, call) => remote(Effect.flatMap(proofOf(actor), call))
      })
    })
  )
}

/** `Reservations` over RPC: the hold, its reading and its release run on the booking role. */
export const RemoteReservations = Layer.effect(
  Reservations,
  Effect.gen(function* () {
    const client = yield* BookingGatewayClient
    const { acting } = yield* ActorProofs
    return Reservations.of({
      hold: (actor, request, idempotencyKey) =>
        acting(actor, (proof) => client.GatewayHold({ actor: proof, request, idempotencyKey })),
      get: (actor, reservationId) => acting(actor, (proof) => client.GatewayGetHold({ actor: proof, reservationId })),
      release: (actor, reservationId) =>
        acting(actor, (proof) => client.GatewayReleaseHold({ actor: proof, reservationId })),
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
    const { acting } = yield* ActorProofs
    return Orders.of({
      checkout: (actor, reservationId, attendees) =>
        acting(actor, (proof) =>
          client.GatewayCheckout({
            actor: proof,
            reservationId,
            ...(attendees === undefined ? {} : { attendees })
          })
        ),
      renameTicket: (actor, ticketId, name) =>
        acting(actor, (proof) => client.GatewayRenameTicket({ actor: proof, ticketId, name })),
      get: (actor, orderId) => acting(actor, (proof) => client.GatewayGetOrder({ actor: proof, orderId })),
      list: (actor, page) =>
        acting(actor, (proof) =>
          client.GatewayListOrders({
            actor: proof,
            limit: page.limit,
            ...(page.before === undefined ? {} : { before: page.before })
          })
        ),
      ticket: (actor, ticketId) => acting(actor, (proof) => client.GatewayTicket({ actor: proof, ticketId })),
      ticketCode: (actor, ticketId) => acting(actor, (proof) => client.GatewayTicketCode({ actor: proof, ticketId })),
      ownerCodes: (actor, order) =>
        Effect.map(
          acting(actor, (proof) => client.GatewayOwnerCodes({ actor: proof, order })),
          (c) => new Map(c)
        ),
      refund: (actor, orderId, ticketIds, idempotencyKey) =>
        acting(actor, (proof) =>
          client.GatewayRefund({
            actor: proof,
            orderId,
            ...(ticketIds === undefined ? {} : { ticketIds }),
            ...(idempotencyKey === undefined ? {} : { idempotencyKey })
          })
        ),
      refundCancelledEvent: (actor, eventId) =>
        acting(actor, (proof) => client.GatewayRefundCancelledEvent({ actor: proof, eventId })),
      checkIn: (actor, eventId, code) =>
        acting(actor, (proof) => client.GatewayCheckIn({ actor: proof, eventId, code }))
    })
  })
)

/** `ConfirmationResend` over RPC: the mail is composed and sent by the booking role, which holds the orders. */
export const RemoteConfirmationResend = Layer.effect(
  ConfirmationResend,
  Effect.gen(function* () {
    const client = yield* BookingGatewayClient
    const { acting } = yield* ActorProofs
    return ConfirmationResend.of({
      resend: (actor, orderId) => acting(actor, (proof) => client.GatewayResendConfirmation({ actor: proof, orderId }))
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
    const proofs = yield* ActorProofs
    const { acting } = proofs
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
    const slot = (userId: UserId) => takeStreamSlot(openStreams, userId)

    const feed = (actor: Actor, orderId: OrderStatusEvent["order"]["id"], lastEventId?: string) =>
      Effect.gen(function* () {
        yield* tracked
        const proof = yield* proofs.proof(actor)
        const items = client
          .GatewayOrderFeed({ actor: proof, orderId, ...(lastEventId === undefined ? {} : { lastEventId }) })
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
            acting(actor, (proof) =>
              client.GatewayWaitForOrder({ actor: proof, orderId, target, timeoutMs: Duration.toMillis(timeout) })
            ),
            Deferred.await(closing).pipe(
              Effect.andThen(acting(actor, (proof) => client.GatewayGetOrder({ actor: proof, orderId })))
            )
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
  RemoteConfirmationResend,
  RemoteOrderWatch,
  RemotePaymentWebhooks
).pipe(Layer.provide(Layer.merge(BookingGatewayClientLive, ActorProofs.layer)))
