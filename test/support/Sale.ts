import { Effect } from "effect"
import type { client } from "./TestServer.ts"
import { eventBody } from "./TestServer.ts"

type Api = Effect.Success<typeof client>

/** A published event with one GA ticket type (and optionally a seated one with `rows` × `seatsPerRow` seats). */
export const publishedSale = (
  api: Api,
  options: {
    readonly capacity: number
    readonly maxPerOrder?: number
    readonly rows?: number
    readonly seatsPerRow?: number
    readonly attendeeNames?: "off" | "optional" | "required"
  }
) =>
  Effect.gen(function* () {
    const organizer = yield* api.account("organizer")
    const event = (yield* api.call("POST", "/v1/events", { token: organizer.token, body: eventBody() })).body
    const ga = (yield* api.call("POST", `/v1/events/${event.id}/ticket-types`, {
      token: organizer.token,
      body: {
        name: "GA",
        priceMinor: 2500,
        currency: "EUR",
        capacity: options.capacity,
        maxPerOrder: options.maxPerOrder ?? 10,
        ...(options.attendeeNames === undefined ? {} : { attendeeNames: options.attendeeNames })
      }
    })).body
    let seated: { id: string } | undefined
    if (options.rows && options.seatsPerRow) {
      seated = (yield* api.call("POST", `/v1/events/${event.id}/ticket-types`, {
        token: organizer.token,
        body: { name: "Seated", priceMinor: 4000, currency: "EUR", capacity: 0, maxPerOrder: options.maxPerOrder ?? 10 }
      })).body
      const plan = yield* api.call("POST", `/v1/events/${event.id}/seating`, {
        token: organizer.token,
        body: {
          sections: [
            {
              name: "Main",
              rows: Array.from({ length: options.rows }, (_, r) => ({
                label: String.fromCharCode(65 + r),
                seats: Array.from({ length: options.seatsPerRow ?? 0 }, (_, i) => ({
                  label: String(i + 1),
                  ticketTypeId: seated?.id
                }))
              }))
            }
          ]
        }
      })
      if (plan.status !== 200) throw new Error(`seating failed: ${JSON.stringify(plan.body)}`)
    }
    const published = yield* api.call("POST", `/v1/events/${event.id}/publish`, { token: organizer.token })
    if (published.status !== 200) throw new Error(`publish failed: ${JSON.stringify(published.body)}`)
    return { organizer, eventId: event.id as string, gaId: ga.id as string, seatedId: seated?.id }
  })

export const holdBody = (eventId: string, ticketTypeId: string, quantity: number) => ({
  eventId,
  items: [{ ticketTypeId, quantity }]
})

/** POST /v1/reservations as `token`, with a fresh Idempotency-Key. */
export const hold = (api: Api, token: string | undefined, body: unknown) =>
  api.call("POST", "/v1/reservations", { token, headers: { "idempotency-key": crypto.randomUUID() }, body })
