import { Console, Effect, Option, Stream } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { Email } from "../domain/accounts/User.ts"
import { OrderId, TicketId } from "../domain/shared/Ids.ts"
import { type OrderLookup, SupportClient } from "../rpc/client/index.ts"
import { callService, goticket, usageError } from "./Connection.ts"
import { money, ORDER_HEADER, orderRow, show, table } from "./Output.ts"

const orderId = Argument.String("order-id").pipe(
  Argument.withDescription("the order's id"),
  Argument.withSchema(OrderId)
)

const find = Command.make(
  "find",
  {
    email: Flag.String("email").pipe(
      Flag.withDescription("the customer's email: their newest orders"),
      Flag.withSchema(Email),
      Flag.optional
    ),
    id: Flag.String("id").pipe(Flag.withDescription("an order id"), Flag.withSchema(OrderId), Flag.optional),
    code: Flag.String("code").pipe(Flag.withDescription("a ticket's code (GT1.…)"), Flag.optional),
    limit: Flag.Int("limit").pipe(Flag.withDescription("at most this many (1 to 100)"), Flag.withDefault(20))
  },
  ({ email, id, code, limit }) =>
    Effect.gen(function* () {
      const given = [
        Option.map(email, (email): OrderLookup => ({ email })),
        Option.map(id, (orderId): OrderLookup => ({ orderId })),
        Option.map(code, (ticketCode): OrderLookup => ({ ticketCode }))
      ].filter(Option.isSome)
      const lookup = given[0]
      if (given.length !== 1 || lookup === undefined)
        return yield* usageError("give exactly one of --email, --id or --code")
      if (limit < 1 || limit > 100) return yield* usageError("--limit is 1 to 100")
      const orders = yield* callService(
        Effect.flatMap(SupportClient, (support) => support.FindOrders({ lookup: lookup.value, limit }))
      )
      yield* show(orders, () => (orders.length === 0 ? "no orders found" : table(ORDER_HEADER, orders.map(orderRow))))
    })
).pipe(
  Command.withDescription("orders by customer email, order id or ticket code (support scope)"),
  Command.withExamples([
    { command: "goticket orders find --email ada@example.com", description: "a customer's orders" }
  ])
)

const refund = Command.make(
  "refund",
  {
    orderId,
    tickets: Flag.String("ticket").pipe(
      Flag.withDescription("refund only this ticket (repeat for several; default: every valid ticket)"),
      Flag.withSchema(TicketId),
      Flag.atLeast(0)
    ),
    idempotencyKey: Flag.String("idempotency-key").pipe(
      Flag.withDescription("retrying with the same key replays the first refund (default: a new one, printed)"),
      Flag.optional
    )
  },
  ({ orderId, tickets, idempotencyKey }) =>
    Effect.gen(function* () {
      const key = Option.getOrElse(idempotencyKey, () => crypto.randomUUID())
      const record = yield* callService(
        Effect.flatMap(SupportClient, (support) =>
          support.Refund({ orderId, idempotencyKey: key, ...(tickets.length === 0 ? {} : { ticketIds: tickets }) })
        )
      )
      yield* show({ ...record, idempotencyKey: key }, () =>
        [
          `refund ${record.id} (${record.status}): ${record.ticketIds.length} ticket(s) voided`,
          `amount ${money(record.amountMinor, "")}`.trimEnd(),
          `idempotency key ${key} (retry with --idempotency-key ${key})`
        ].join("\n")
      )
    })
).pipe(Command.withDescription("voids tickets of an order and refunds them (support scope; audited under the key)"))

const follow = Command.make("follow", { orderId }, ({ orderId }) =>
  Effect.gen(function* () {
    const root = yield* goticket
    yield* callService(
      Effect.flatMap(SupportClient, (support) =>
        support
          .FollowOrder({ orderId })
          .pipe(
            Stream.runForEach((update) =>
              Console.log(
                root.json
                  ? JSON.stringify(update)
                  : `${new Date().toISOString()}  #${update.sequence}  ${update.status}${update.settled ? "  (settled)" : ""}`
              )
            )
          )
      )
    )
  })
).pipe(Command.withDescription("prints the order's status as it changes, and ends once it settles (support scope)"))

const resend = Command.make("resend-confirmation", { orderId }, ({ orderId }) =>
  callService(
    Effect.gen(function* () {
      const sent = yield* (yield* SupportClient).ResendConfirmation({ orderId })
      yield* show(sent, () => `confirmation of ${sent.orderId} sent to ${sent.sentTo} (${sent.messageId})`)
    })
  )
).pipe(Command.withDescription("mails the order's confirmation to its customer again (support scope)"))

export const orders = Command.make("orders").pipe(
  Command.withDescription("find, refund and follow orders (a key with the support scope)"),
  Command.withSubcommands([find, refund, follow, resend])
)
