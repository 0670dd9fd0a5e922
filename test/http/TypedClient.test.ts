import { describe, expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { FetchHttpClient, HttpServer } from "effect/http"
import { Email } from "../../src/domain/accounts/User.ts"
import { Currency } from "../../src/domain/shared/Money.ts"
import { makeGoTicketClient } from "../../src/http/client/index.ts"
import { PAID, payAt } from "../support/Purchase.ts"
import { TestServerLive } from "../support/TestServer.ts"

const DAY = 24 * 3600 * 1000

/** A client of the server under test, calling as the owner of `accessToken` (anonymous without one). */
const clientOf = (accessToken?: string) =>
  Effect.flatMap(HttpServer.HttpServer, (server) =>
    makeGoTicketClient({ baseUrl: HttpServer.formatAddress(server.address), accessToken })
  )

/** Registers an account and logs it in through the typed client; the access token. */
const signUp = (accountType: "customer" | "organizer") =>
  Effect.gen(function* () {
    const anonymous = yield* clientOf()
    const email = Schema.decodeSync(Email)(`${accountType}-${crypto.randomUUID().slice(0, 8)}@example.com`)
    const password = "correct-horse-battery"
    yield* anonymous.auth.register({ payload: { email, password, name: `A ${accountType}`, accountType } })
    const login = yield* anonymous.auth.login({ payload: { email, password } })
    if (!("accessToken" in login)) throw new Error("no two-factor authentication was enrolled, yet it was asked")
    return login.accessToken
  })

describe("the typed client (src/http/client) against the server", () => {
  layer(TestServerLive(), { excludeTestServices: true })("", (it) => {
    it.effect("runs the purchase: an organizer publishes, a customer holds, checks out, pays and gets tickets", () =>
      Effect.gen(function* () {
        const organizer = yield* clientOf(yield* signUp("organizer"))
        const startsAt = new Date(Math.floor(Date.now() / DAY + 30) * DAY + 19 * 3600 * 1000)
        const event = yield* organizer.organizer.createEvent({
          payload: {
            title: "Typed Night",
            venue: { name: "Grand Hall", timezone: "Europe/Paris" },
            startsAt,
            endsAt: new Date(startsAt.getTime() + 3 * 3600 * 1000)
          }
        })
        const ga = yield* organizer.organizer.addTicketType({
          params: { eventId: event.id },
          payload: {
            name: "GA",
            priceMinor: 2500,
            currency: Schema.decodeSync(Currency)("EUR"),
            capacity: 10,
            maxPerOrder: 4
          }
        })
        yield* organizer.organizer.publish({ params: { eventId: event.id } })

        const customer = yield* clientOf(yield* signUp("customer"))
        const held = yield* customer.reservations.hold({
          headers: { "idempotency-key": crypto.randomUUID() },
          payload: { eventId: event.id, items: [{ ticketTypeId: ga.id, quantity: 2 }] }
        })
        expect(held.status).toBe("active")
        const checkout = yield* customer.orders.checkout({
          params: { reservationId: held.id },
          headers: {},
          payload: undefined
        })
        expect(checkout.status).toBe("pending_payment")
        const paid = yield* payAt(checkout.payment?.confirmUrl ?? "", PAID)
        expect(paid.status).toBe(200)
        const order = yield* customer.orders.get({
          params: { orderId: checkout.orderId },
          query: { waitFor: "settled", timeoutMs: 10_000 }
        })
        expect(order.status).toBe("confirmed")
        expect(order.tickets).toHaveLength(2)
        expect(order.totalMinor).toBe(5000)
      }).pipe(Effect.provide(FetchHttpClient.layer))
    )

    it.effect("delivers the documented refusals as typed failures", () =>
      Effect.gen(function* () {
        const customer = yield* clientOf(yield* signUp("customer"))
        const missing = yield* customer.events
          .get({ params: { eventId: crypto.randomUUID() as never } })
          .pipe(Effect.flip)
        expect(missing._tag).toBe("EventNotFound")
        const anonymous = yield* clientOf()
        const refused = yield* anonymous.me.me().pipe(Effect.flip)
        expect(refused._tag).toBe("Unauthenticated")
      }).pipe(Effect.provide(FetchHttpClient.layer))
    )
  })
})
