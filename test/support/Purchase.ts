import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { hold, holdBody } from "./Sale.ts"
import type { client } from "./TestServer.ts"

export type Api = Effect.Success<typeof client>

export const PAID = "4242424242424242"
export const DECLINED = "4000000000000002"

/** The customer's client confirms the payment at the provider (client-side confirmation). */
export const payAt = (confirmUrl: string, card: string) =>
  Effect.promise(async () => {
    const response = await fetch(confirmUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ card }),
      signal: AbortSignal.timeout(10_000)
    })
    return { status: response.status, body: await response.json() }
  })

/** Polls the order until it leaves pending_payment. */
export const settledOrder = (api: Api, token: string, orderId: string) =>
  Effect.gen(function* () {
    for (let i = 0; i < 300; i++) {
      const reply = yield* api.call("GET", `/v1/orders/${orderId}`, { token })
      if (reply.body.status !== "pending_payment") return reply.body
      yield* Effect.sleep("50 millis")
    }
    return yield* Effect.die(new Error(`order ${orderId} is still pending`))
  })

/** Hold `quantity` GA tickets, check out and pay with `card`; the order once settled. */
export const purchase = (
  api: Api,
  token: string,
  eventId: string,
  ticketTypeId: string,
  quantity: number,
  card: string
) =>
  Effect.gen(function* () {
    const held = yield* hold(api, token, holdBody(eventId, ticketTypeId, quantity))
    expect(held.status).toBe(201)
    const checkout = yield* api.call("POST", `/v1/reservations/${held.body.id}/checkout`, { token })
    expect(checkout.status).toBe(202)
    expect(checkout.body).toMatchObject({ status: "pending_payment", payment: { provider: "sandbox" } })
    const paid = yield* payAt(checkout.body.payment.confirmUrl, card)
    expect(paid.status).toBe(200)
    return yield* settledOrder(api, token, checkout.body.orderId)
  })
