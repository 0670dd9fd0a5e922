import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { statsUntil } from "../events/EventPipeline.scenarios.ts"
import { PAID, purchase } from "../support/Purchase.ts"
import { describeWithOwnRabbitMq } from "../support/RabbitMqServer.ts"
import { serviceOnRealServers } from "../support/RealServers.ts"
import { publishedSale } from "../support/Sale.ts"
import { SmtpSink } from "../support/SmtpSink.ts"
import { client } from "../support/TestServer.ts"

const CUSTOMERS = 12

/* Stops and starts a RabbitMQ node of the test's own (never the machine's shared broker). */
await describeWithOwnRabbitMq("broker restart in the middle of a sale", (broker) => {
  const rabbitmqctl = (command: "stop_app" | "start_app") =>
    Effect.promise(() => (command === "stop_app" ? broker.stopApp() : broker.startApp())).pipe(
      Effect.withSpan(`rabbitmqctl ${command}`)
    )
  const server = serviceOnRealServers(broker.url, "Error", {
    CONSUMER_RETRY_BASE_MS: "200",
    CHECKOUT_PAYMENT_WINDOW_SECONDS: "60"
  })

  layer(server, { excludeTestServices: true, timeout: "300 seconds" })("", (it) => {
    it.effect(
      "orders keep selling while RabbitMQ is down; afterwards every event is delivered and handled exactly once",
      () =>
        Effect.gen(function* () {
          const api = yield* client
          const sql = yield* SqlClient.SqlClient
          const sink = yield* SmtpSink
          const sale = yield* publishedSale(api, { capacity: 100 })
          const buyers = yield* Effect.forEach(Array.from({ length: CUSTOMERS }), () => api.account("customer"))

          // Every customer buys 1 or 2 tickets: the first half while the broker's app is stopped, the second half
          // while it starts again (stopping it first: rabbitmqctl takes seconds, the purchases may take less).
          const buy = (from: number) => (buyer: (typeof buyers)[number], i: number) =>
            Effect.andThen(
              Effect.sleep(`${i * 300} millis`),
              purchase(api, buyer.token, sale.eventId, sale.gaId, 1 + ((from + i) % 2), PAID)
            )
          const half = CUSTOMERS / 2
          const orders = yield* Effect.gen(function* () {
            yield* rabbitmqctl("stop_app")
            expect(yield* Effect.promise(() => broker.accepts())).toBe(false)
            const during = yield* Effect.forEach(buyers.slice(0, half), buy(0), { concurrency: "unbounded" })
            // Orders went on while the broker was away: their events wait in the outbox.
            const [waiting] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL`
            expect(waiting?.n ?? 0).toBeGreaterThan(0)
            const [after] = yield* Effect.all(
              [Effect.forEach(buyers.slice(half), buy(half), { concurrency: "unbounded" }), rabbitmqctl("start_app")],
              { concurrency: "unbounded" }
            )
            return [...during, ...after]
          }).pipe(Effect.ensuring(rabbitmqctl("start_app").pipe(Effect.ignore)))
          expect(orders.every((o) => o.status === "confirmed")).toBe(true)
          const tickets = orders.reduce((n, o) => n + o.tickets.length, 0)

          // Everything goes out once the broker is back, and the consumers catch up.
          const stats = yield* statsUntil(
            api,
            sale.organizer.token,
            sale.eventId,
            (s) => s.totals.sold === tickets,
            60_000
          )
          expect(stats.totals).toMatchObject({ sold: tickets, grossMinor: tickets * 2500, refunded: 0 })
          const mails = yield* sink.awaitMessages(CUSTOMERS, "60 seconds")
          for (let i = 0; i < 60; i++) {
            const [left] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL`
            if (left?.n === 0) break
            yield* Effect.sleep("500 millis")
          }
          // Let redeliveries (if any) arrive, then check that nothing was counted or mailed twice.
          yield* Effect.sleep("2 seconds")
          const orderIds = orders.map((o) => o.id as string)
          const [unsent] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL`
          expect(unsent?.n).toBe(0)
          const final = yield* statsUntil(api, sale.organizer.token, sale.eventId, () => true, 1_000)
          expect(final.totals.sold).toBe(tickets)
          const confirmations = (yield* sink.messages).filter((m) =>
            orderIds.some((id) => m.raw.toString("utf8").includes(id))
          )
          expect(mails.length).toBeGreaterThanOrEqual(CUSTOMERS)
          expect(confirmations.length).toBe(CUSTOMERS)
          const messageIds = confirmations.map((m) => /^Message-ID: (.*)$/im.exec(m.raw.toString("utf8"))?.[1])
          expect(new Set(messageIds).size).toBe(CUSTOMERS)
          // Each consumer handled each of its events once: one inbox row per event it receives.
          const [issued] = yield* sql<{ n: number }>`
            SELECT count(*)::int AS n FROM outbox WHERE type = 'TicketIssued' AND payload->>'eventId' = ${sale.eventId}`
          const [counted] = yield* sql<{ n: number }>`
            SELECT count(*)::int AS n FROM inbox i JOIN outbox o ON o.id = i.event_id
            WHERE i.consumer = 'sales-stats' AND o.type = 'TicketIssued' AND o.payload->>'eventId' = ${sale.eventId}`
          expect(issued?.n).toBe(tickets)
          expect(counted?.n).toBe(tickets)
        }),
      // Three rabbitmqctl runs (a few seconds each) and the catch-up after the outage.
      180_000
    )
  })
})
