import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { statsUntil } from "../events/EventPipeline.scenarios.ts"
import { type Api, PAID, purchase } from "../support/Purchase.ts"
import { hold, holdBody, publishedSale } from "../support/Sale.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

/** A customer with a name and address of their own, to look for them everywhere afterwards. */
const person = (api: Api, name: string) =>
  Effect.gen(function* () {
    const email = `${name.toLowerCase().replace(/\W/g, ".")}.${crypto.randomUUID().slice(0, 8)}@example.com`
    const password = "my-own-long-password"
    const registered = yield* api.call("POST", "/v1/auth/register", {
      body: { email, password, name, accountType: "customer" }
    })
    expect(registered.status).toBe(201)
    const login = yield* api.call("POST", "/v1/auth/login", { body: { email, password } })
    expect(login.status).toBe(200)
    return { id: registered.body.id as string, email, name, password, token: login.body.accessToken as string }
  })

/** Every row of every table (ours and the workflow engine's) that contains `needle` anywhere, as `table` names. */
const rowsContaining = (needle: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const tables = yield* sql<{ name: string }>`
      SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`
    expect(tables.length).toBeGreaterThan(20)
    const found: Array<string> = []
    for (const { name } of tables) {
      const [row] = yield* sql.unsafe<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${name} AS t WHERE strpos(lower(t::text), lower($1)) > 0`,
        [needle]
      )
      if ((row?.n ?? 0) > 0) found.push(name)
    }
    return found
  })

const exportOf = (api: Api, token: string) => api.call("GET", "/v1/me/export", { token })
const erase = (api: Api, token: string, password: string) => api.call("DELETE", "/v1/me", { token, body: { password } })
const withoutTime = (doc: { generatedAt: string }) => ({ ...doc, generatedAt: undefined })

describe("privacy over REST: the caller's data export and account erasure", () => {
  layer(TestServerLive(), { timeout: "120 seconds", excludeTestServices: true })("", (it) => {
    it.effect(
      "a customer exports what is held about them (no credentials, nobody else), erases it, and the sale stays",
      () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 10 })
          const zelda = yield* person(api, "Zelda Privacyson")
          const other = yield* person(api, "Otto Otherbuyer")
          const order = yield* purchase(api, zelda.token, sale.eventId, sale.gaId, 2, PAID)
          expect(order.status).toBe("confirmed")
          const othersOrder = yield* purchase(api, other.token, sale.eventId, sale.gaId, 1, PAID)
          const codes = yield* Effect.forEach(order.tickets as Array<{ id: string }>, (t) =>
            Effect.map(api.call("GET", `/v1/tickets/${t.id}`, { token: zelda.token }), (r) => r.body.code as string)
          )
          expect(codes[0]).toMatch(/^GT1\./)

          const exported = yield* exportOf(api, zelda.token)
          expect(exported.status).toBe(200)
          expect(exported.headers.get("content-disposition")).toBe('attachment; filename="goticket-export.json"')
          expect(exported.headers.get("cache-control")).toBe("no-store")
          expect(exported.body.account).toEqual({
            id: zelda.id,
            email: zelda.email,
            name: "Zelda Privacyson",
            accountType: "customer",
            isAdmin: false,
            createdAt: expect.any(String)
          })
          expect(exported.body.orders).toHaveLength(1)
          expect(exported.body.orders[0]).toMatchObject({
            id: order.id,
            eventId: sale.eventId,
            eventTitle: "Night Concert",
            status: "confirmed",
            totalMinor: 5000,
            currency: "EUR",
            payment: { provider: "sandbox", intentId: expect.any(String) }
          })
          expect(exported.body.tickets.map((t: { id: string }) => t.id).sort()).toEqual(
            order.tickets.map((t: { id: string }) => t.id).sort()
          )
          expect(exported.body.tickets[0]).toMatchObject({ ticketTypeName: "GA", status: "valid", checkedInAt: null })
          expect(exported.body.reservations).toHaveLength(1)
          const json = JSON.stringify(exported.body)
          for (const secret of ["scrypt$", zelda.password, "passwordHash", "confirmUrl", ...codes])
            expect(json).not.toContain(secret)
          for (const foreign of [other.id, other.email, other.name, othersOrder.id, sale.organizer.email])
            expect(json).not.toContain(foreign)

          // The sale as the organizer sees it, before the erasure.
          const counted = (stats: { totals: { sold: number } }) => stats.totals.sold === 3
          const statsBefore = yield* statsUntil(api, sale.organizer.token, sale.eventId, counted, 30_000)

          // The wrong password erases nothing.
          const wrong = yield* erase(api, zelda.token, "not-my-password")
          expect(wrong.status).toBe(401)
          expect(wrong.body._tag).toBe("InvalidCredentials")
          expect(withoutTime((yield* exportOf(api, zelda.token)).body)).toEqual(withoutTime(exported.body))

          // The scan below finds what is there: before the erasure, her account row.
          expect(yield* rowsContaining(zelda.email)).toEqual(["public.users"])
          const erased = yield* erase(api, zelda.token, zelda.password)
          expect(erased.status).toBe(204)

          const login = yield* api.call("POST", "/v1/auth/login", {
            body: { email: zelda.email, password: zelda.password }
          })
          expect(login.status).toBe(401)
          const afterwards = yield* exportOf(api, zelda.token)
          expect(afterwards.status).toBe(401)
          expect(afterwards.body.message).toBe("this account no longer exists")
          expect((yield* erase(api, zelda.token, zelda.password)).status).toBe(401)

          // The order, its tickets and the sale stay for the organizer, with nothing that names the customer.
          const kept = yield* api.call("GET", `/v1/orders/${order.id}`, { token: sale.organizer.token })
          expect(kept.status).toBe(200)
          expect(kept.body).toMatchObject({ id: order.id, status: "confirmed", totalMinor: 5000 })
          expect(kept.body.tickets).toHaveLength(2)
          expect(JSON.stringify(kept.body)).not.toContain(zelda.email)
          expect(JSON.stringify(kept.body)).not.toContain("Zelda")
          const statsAfter = yield* api.call("GET", `/v1/events/${sale.eventId}/stats`, { token: sale.organizer.token })
          expect(statsAfter.body.totals).toEqual(statsBefore.totals)

          // Nothing in the whole database holds her address or name any more, nor ever any card number.
          expect(yield* rowsContaining(zelda.email)).toEqual([])
          expect(yield* rowsContaining("Zelda Privacyson")).toEqual([])
          expect(yield* rowsContaining(PAID)).toEqual([])
          // The other customer is untouched.
          expect((yield* exportOf(api, other.token)).body.account.email).toBe(other.email)
        }),
      120_000
    )

    it.effect("refuses to erase while a payment is in progress, and changes nothing", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 10 })
        const buyer = yield* api.account("customer")
        const held = yield* hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, 1))
        expect(held.status).toBe(201)
        const checkout = yield* api.call("POST", `/v1/reservations/${held.body.id}/checkout`, { token: buyer.token })
        expect(checkout.status).toBe(202)

        const refused = yield* erase(api, buyer.token, buyer.password)
        expect(refused.status).toBe(409)
        expect(refused.body).toMatchObject({ _tag: "ErasureRefused", code: "payment_in_progress" })
        expect(refused.body.message).toContain("payment")
        const still = yield* exportOf(api, buyer.token)
        expect(still.status).toBe(200)
        expect(still.body.orders[0]).toMatchObject({ id: checkout.body.orderId, status: "pending_payment" })
        expect(still.body.reservations[0]).toMatchObject({ id: held.body.id, status: "active" })
      })
    )

    it.effect("refuses an organizer with an upcoming published event; once it is cancelled, webhooks go too", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 10 })
        const organizer = sale.organizer
        const hook = yield* api.call("POST", "/v1/organizer/webhooks", {
          token: organizer.token,
          body: { url: "http://127.0.0.1:4000/hooks", eventTypes: ["OrderConfirmed"] }
        })
        expect(hook.status).toBe(201)

        const exported = yield* exportOf(api, organizer.token)
        expect(exported.body.eventsOrganized).toEqual([
          expect.objectContaining({ id: sale.eventId, title: "Night Concert", status: "published" })
        ])
        expect(exported.body.webhooks).toEqual([
          expect.objectContaining({ id: hook.body.id, url: "http://127.0.0.1:4000/hooks", active: true })
        ])
        expect(JSON.stringify(exported.body)).not.toContain(hook.body.secret)

        const refused = yield* erase(api, organizer.token, organizer.password)
        expect(refused.status).toBe(409)
        expect(refused.body).toMatchObject({ _tag: "ErasureRefused", code: "upcoming_events" })
        expect(refused.body.message).toContain("cancel")

        const cancelled = yield* api.call("POST", `/v1/events/${sale.eventId}/cancel`, { token: organizer.token })
        expect(cancelled.status).toBe(200)
        expect((yield* erase(api, organizer.token, organizer.password)).status).toBe(204)
        expect(yield* rowsContaining(hook.body.secret)).toEqual([])
        expect(yield* rowsContaining(organizer.email)).toEqual([])
        // The event stays, under its (now anonymous) organizer.
        expect((yield* api.call("GET", `/v1/events/${sale.eventId}`)).body.status).toBe("cancelled")
      })
    )

    it.effect("asks for the password as JSON, and for a token", () =>
      Effect.gen(function* () {
        const api = yield* client
        const buyer = yield* api.account("customer")
        expect((yield* api.call("DELETE", "/v1/me", { token: buyer.token })).status).toBe(400)
        const extra = yield* api.call("DELETE", "/v1/me", {
          token: buyer.token,
          body: { password: buyer.password, confirm: true }
        })
        expect(extra.status).toBe(400)
        expect((yield* api.call("DELETE", "/v1/me", { body: { password: buyer.password } })).status).toBe(401)
        expect((yield* api.call("GET", "/v1/me/export")).status).toBe(401)
        expect((yield* exportOf(api, buyer.token)).status).toBe(200)
      })
    )
  })

  const ADMIN = { email: "privacy-admin@example.com", password: "privacy-admin-password" }
  layer(TestServerLive({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password }), {
    timeout: "120 seconds",
    excludeTestServices: true
  })("sessions and the audit trail", (it) => {
    it.effect("erasure ends every session and leaves an audit record with ids only", () =>
      Effect.gen(function* () {
        const api = yield* client
        const buyer = yield* api.account("customer")
        expect((yield* exportOf(api, buyer.token)).status).toBe(200)
        const erased = yield* api.call("DELETE", "/v1/me", { token: buyer.token, body: { password: buyer.password } })
        expect(erased.status).toBe(204)
        // The refresh token from before the erasure no longer renews the session.
        const refreshed = yield* api.call("POST", "/v1/auth/refresh", { body: { refreshToken: buyer.refreshToken } })
        expect(refreshed.status).toBe(401)

        const admin = yield* api.call("POST", "/v1/auth/login", { body: ADMIN })
        const trail = yield* api.call("GET", `/v1/admin/audit?resourceType=user&resourceId=${buyer.id}`, {
          token: admin.body.accessToken
        })
        expect(trail.status).toBe(200)
        const actions = trail.body.items.map((r: { action: string }) => r.action)
        expect(actions).toEqual(["account.erased", "account.exported", "auth.login_succeeded"])
        expect(trail.body.items[0]).toMatchObject({ actorId: buyer.id, outcome: "success", ip: "127.0.0.1" })
        expect(JSON.stringify(trail.body)).not.toContain(buyer.email)
      })
    )

    it.effect("wrong passwords on erasure count like failed logins: the account is paused after five", () =>
      Effect.gen(function* () {
        const api = yield* client
        const buyer = yield* api.account("customer")
        const attempt = (password: string) => api.call("DELETE", "/v1/me", { token: buyer.token, body: { password } })
        const statuses = [] as Array<number>
        for (let i = 0; i < 5; i++) statuses.push((yield* attempt(`not-my-password-${i}`)).status)
        expect(statuses).toEqual([401, 401, 401, 401, 401])
        const paused = yield* attempt(buyer.password)
        expect(paused.status).toBe(429)
        expect(Number(paused.headers.get("retry-after"))).toBeGreaterThan(0)
        // Nothing was erased: the account still answers.
        expect((yield* api.call("GET", "/v1/me", { token: buyer.token })).status).toBe(200)
      })
    )
  })
})
