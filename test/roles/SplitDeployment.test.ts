import { Effect, Layer, Option } from "effect"
import { SignJWT } from "jose"
import { afterAll, beforeAll, expect, it } from "vitest"
import { rpcConnection } from "../../src/rpc/client/index.ts"
import { BookingGatewayClient } from "../../src/rpc/gateway/RemoteBooking.ts"
import { Processes } from "../support/Processes.ts"
import { type Api, DECLINED, PAID, payAt, purchase, settledOrder } from "../support/Purchase.ts"
import { describeWithRedis } from "../support/Redis.ts"
import { hold, holdBody, publishedSale } from "../support/Sale.ts"
import { type SplitTopology, startSplitTopology, stopSplitTopology } from "../support/SplitTopology.ts"
import { openSse } from "../support/SseClient.ts"
import { databaseTarget } from "../support/TestDatabase.ts"
import { clientAt } from "../support/TestServer.ts"

/*
 * The split deployment as three processes on the real PostgreSQL and Redis: ROLE=gateway (REST; holds, checkout,
 * orders, refunds, check-in and the payment webhook over RPC), ROLE=booking (the RPC server over the domain and the
 * database) and the worker (`src/worker.ts`), beside the sandbox payment provider, whose webhooks go to the gateway.
 * The REST flows that matter run over the gateway exactly as the single-process suites run them.
 */

const procs = new Processes()
let api: Api
let topology: SplitTopology | undefined

const run = <A>(effect: Effect.Effect<A>) => Effect.runPromise(effect)

const target = await Effect.runPromise(databaseTarget)
const skipReason = " [skipped: three processes need a PostgreSQL server; the embedded database is one process's]"

await describeWithRedis("split deployment: gateway + booking + worker as three processes", (redisUrl) => {
  beforeAll(async () => {
    if (target !== "server") return
    topology = await startSplitTopology(procs, redisUrl, {
      // One status stream per customer: the limit's 429 and the slot given back are visible through the gateway.
      booking: { ORDER_STREAMS_PER_CUSTOMER: "1" }
    })
    api = clientAt(topology.gatewayBase)
  }, 180_000)

  afterAll(async () => {
    await stopSplitTopology(procs, topology)
  }, 60_000)

  const split = (name: string, body: () => Promise<void>, timeout = 90_000) =>
    it.skipIf(target !== "server")(
      `${name}${target === "server" ? "" : skipReason}`,
      async () => {
        try {
          await body()
        } catch (error) {
          console.error(procs.logs(200))
          throw error
        }
      },
      timeout
    )

  split("a purchase over the gateway: hold, checkout, payment, confirmed with tickets and their codes", async () => {
    const sale = await run(publishedSale(api, { capacity: 10 }))
    const buyer = await run(api.account("customer", "buyer"))
    const order = await run(purchase(api, buyer.token, sale.eventId, sale.gaId, 2, PAID))
    expect(order.status).toBe("confirmed")
    expect(order.tickets).toHaveLength(2)
    for (const ticket of order.tickets) expect(ticket.code).toMatch(/^GT1\./)
    const listed = await run(api.call("GET", "/v1/orders", { token: buyer.token }))
    expect(listed.body.items.map((o: { id: string }) => o.id)).toEqual([order.id])
    const ticket = await run(api.call("GET", `/v1/tickets/${order.tickets[0].id}`, { token: buyer.token }))
    expect(ticket.body.code).toBe(order.tickets[0].code)
    // The organizer sees the order and its tickets, never their codes.
    const seen = await run(api.call("GET", `/v1/orders/${order.id}`, { token: sale.organizer.token }))
    expect(seen.status).toBe(200)
    expect(seen.body.tickets.map((t: { code: string | null }) => t.code)).toEqual([null, null])

    // The status stream and the long-poll, relayed from the booking role: a settled order says so and ends.
    const stream = await run(
      openSse(`${api.base}/v1/orders/${order.id}/events`, { authorization: `Bearer ${buyer.token}` })
    )
    expect(stream.status).toBe(200)
    const events = await run(stream.rest("10 seconds"))
    expect(events.map((e) => [e.id, e.data.status])).toEqual([["2", "confirmed"]])
    const resumed = await run(
      openSse(`${api.base}/v1/orders/${order.id}/events`, {
        authorization: `Bearer ${buyer.token}`,
        "last-event-id": "2"
      })
    )
    expect(resumed.status).toBe(204)
    const waited = await run(
      api.call("GET", `/v1/orders/${order.id}?waitFor=settled&timeoutMs=1000`, { token: buyer.token })
    )
    expect(waited.body.status).toBe("confirmed")
  })

  split("a declined card cancels the order; a sold-out hold is the same 409 as in one process", async () => {
    const sale = await run(publishedSale(api, { capacity: 2 }))
    const buyer = await run(api.account("customer", "declined"))
    const declined = await run(purchase(api, buyer.token, sale.eventId, sale.gaId, 2, DECLINED))
    expect(declined).toMatchObject({ status: "cancelled", cancelReason: "payment_declined", tickets: [] })
    const first = await run(hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, 2)))
    expect(first.status).toBe(201)
    const other = await run(api.account("customer", "late"))
    const soldOut = await run(hold(api, other.token, holdBody(sale.eventId, sale.gaId, 1)))
    expect(soldOut.status).toBe(409)
    expect(soldOut.body).toEqual({
      _tag: "SoldOut",
      code: "sold_out",
      ticketTypeId: sale.gaId,
      message: expect.any(String)
    })
    // Released at once: the units come back and the late customer gets them.
    const released = await run(api.call("DELETE", `/v1/reservations/${first.body.id}`, { token: buyer.token }))
    expect(released.body.status).toBe("released")
    expect((await run(hold(api, other.token, holdBody(sale.eventId, sale.gaId, 2)))).status).toBe(201)
  })

  split(
    "a pending order's status stream over the gateway: settles live, one per customer, slot back on hang-up",
    async () => {
      const sale = await run(publishedSale(api, { capacity: 10 }))
      const buyer = await run(api.account("customer", "watcher"))
      const pending = async () => {
        const held = await run(hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, 1)))
        const checkout = await run(
          api.call("POST", `/v1/reservations/${held.body.id}/checkout`, { token: buyer.token })
        )
        expect(checkout.status).toBe(202)
        return checkout.body as { orderId: string; payment: { confirmUrl: string } }
      }
      const auth = { authorization: `Bearer ${buyer.token}` }
      const streamOf = (orderId: string) => run(openSse(`${api.base}/v1/orders/${orderId}/events`, auth))

      const first = await pending()
      const stream = await streamOf(first.orderId)
      expect(Option.getOrThrow(await run(stream.next("10 seconds"))).data.status).toBe("pending_payment")
      const refused = await streamOf(first.orderId)
      expect(refused.status).toBe(429)
      expect(refused.body).toMatchObject({ _tag: "TooManyOrderStreams", limit: 1 })
      await run(payAt(first.payment.confirmUrl, PAID))
      expect((await run(stream.rest("30 seconds"))).map((e) => [e.id, e.data.status])).toEqual([["2", "confirmed"]])

      // A client that hangs up gives its slot back on the booking role (the RPC stream is interrupted).
      const second = await pending()
      let hungUp = await streamOf(second.orderId)
      for (let i = 0; hungUp.status === 429 && i < 50; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        hungUp = await streamOf(second.orderId)
      }
      expect(hungUp.status).toBe(200)
      await run(hungUp.close)
      let again = await streamOf(second.orderId)
      for (let i = 0; again.status === 429 && i < 50; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        again = await streamOf(second.orderId)
      }
      expect(again.status).toBe(200)
      await run(again.close)
    }
  )

  split("refund and check-in over the gateway", async () => {
    const sale = await run(publishedSale(api, { capacity: 10 }))
    const buyer = await run(api.account("customer", "door"))
    const order = await run(purchase(api, buyer.token, sale.eventId, sale.gaId, 3, PAID))
    const scan = (code: string) =>
      run(api.call("POST", "/v1/check-ins", { token: sale.organizer.token, body: { eventId: sale.eventId, code } }))
    const admitted = await scan(order.tickets[0].code)
    expect(admitted.status).toBe(200)
    expect(admitted.body.checkedInAt).not.toBeNull()
    const again = await scan(order.tickets[0].code)
    expect(again.status).toBe(409)
    expect(again.body).toMatchObject({ code: "already_checked_in", firstCheckedInAt: admitted.body.checkedInAt })
    expect((await scan(`${order.tickets[1].code.slice(0, -3)}abc`)).body.code).toBe("forged_code")
    const byCustomer = await run(
      api.call("POST", "/v1/check-ins", {
        token: buyer.token,
        body: { eventId: sale.eventId, code: order.tickets[1].code }
      })
    )
    expect(byCustomer.status).toBe(403)

    const usedRefund = await run(
      api.call("POST", `/v1/orders/${order.id}/refund`, {
        token: buyer.token,
        body: { ticketIds: [order.tickets[0].id] }
      })
    )
    expect(usedRefund.status).toBe(409)
    expect(usedRefund.body.code).toBe("ticket_not_refundable")
    const refund = await run(
      api.call("POST", `/v1/orders/${order.id}/refund`, {
        token: buyer.token,
        headers: { "idempotency-key": "split-refund" },
        body: { ticketIds: [order.tickets[1].id] }
      })
    )
    expect(refund.status).toBe(202)
    expect(refund.body).toMatchObject({ amountMinor: 2500, status: "pending" })
    const replay = await run(
      api.call("POST", `/v1/orders/${order.id}/refund`, {
        token: buyer.token,
        headers: { "idempotency-key": "split-refund" },
        body: { ticketIds: [order.tickets[1].id] }
      })
    )
    expect(replay.body.id).toBe(refund.body.id)
    const after = await run(api.call("GET", `/v1/orders/${order.id}`, { token: buyer.token }))
    expect(after.body).toMatchObject({ status: "partially_refunded", refundedMinor: 2500 })
    const voided = await scan(order.tickets[1].code)
    expect(voided.status).toBe(422)
    expect(voided.body.code).toBe("ticket_voided")
  })

  split("access control over the gateway: strangers get 404, the anonymous 401", async () => {
    const sale = await run(publishedSale(api, { capacity: 10 }))
    const buyer = await run(api.account("customer", "owner"))
    const stranger = await run(api.account("customer", "stranger"))
    const order = await run(purchase(api, buyer.token, sale.eventId, sale.gaId, 1, PAID))
    const held = await run(hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, 1)))
    const as = (token: string | undefined) => (method: string, path: string, body?: unknown) =>
      run(api.call(method, path, { token, ...(body === undefined ? {} : { body }) }))
    for (const [method, path, body] of [
      ["GET", `/v1/orders/${order.id}`],
      ["GET", `/v1/orders/${order.id}/events`],
      ["POST", `/v1/orders/${order.id}/refund`, {}],
      ["GET", `/v1/tickets/${order.tickets[0].id}`],
      ["GET", `/v1/reservations/${held.body.id}`],
      ["DELETE", `/v1/reservations/${held.body.id}`],
      ["POST", `/v1/reservations/${held.body.id}/checkout`]
    ] as const) {
      const refused = await as(stranger.token)(method, path, body)
      expect([`${method} ${path}`, refused.status]).toEqual([
        `${method} ${path}`,
        path.endsWith("/checkout") ? 409 : 404
      ])
      expect((await as(undefined)(method, path, body)).status).toBe(401)
    }
    // Nothing a stranger did changed anything.
    expect((await run(settledOrder(api, buyer.token, order.id))).status).toBe("confirmed")
    expect((await as(buyer.token)("GET", `/v1/reservations/${held.body.id}`)).body.status).toBe("active")
  })

  split(
    "the gateway's key alone cannot act for anyone: a forged actor proof is refused as Unauthenticated",
    async () => {
      const sale = await run(publishedSale(api, { capacity: 10 }))
      const buyer = await run(api.account("customer", "victim"))
      const order = await run(purchase(api, buyer.token, sale.eventId, sale.gaId, 1, PAID))
      const connection = topology?.bookingRpc ?? { url: "", key: "" }
      const forgedAdmin = await new SignJWT({ typ: "organizer", adm: true })
        .setProtectedHeader({ alg: "HS256", kid: "forged" })
        .setSubject(crypto.randomUUID())
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode("not-the-deployment-secret-not-the-deployment-secret"))
      const refusal = (proof: string) =>
        run(
          Effect.flatMap(BookingGatewayClient, (client) =>
            Effect.flip(client.GatewayGetOrder({ actor: proof, orderId: order.id }))
          ).pipe(
            Effect.provide(
              BookingGatewayClient.layer.pipe(
                Layer.provide(rpcConnection({ url: connection.url, key: connection.key, protocol: "http" }))
              )
            ),
            Effect.scoped,
            Effect.orDie
          )
        )
      expect((await refusal(forgedAdmin))._tag).toBe("Unauthenticated")
      expect((await refusal("not-a-token"))._tag).toBe("Unauthenticated")
    }
  )
})
