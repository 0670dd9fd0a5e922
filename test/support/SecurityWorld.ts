import { Effect } from "effect"
import { type Api, PAID, purchase } from "./Purchase.ts"
import { hold, holdBody, publishedSale } from "./Sale.ts"
import { eventBody } from "./TestServer.ts"

/** A signed-in account, as `client.account` makes it. */
export interface Account {
  readonly id: string
  readonly email: string
  readonly password: string
  readonly token: string
  readonly refreshToken?: string | undefined
}

/** The admin the security suites configure (ADMIN_EMAIL / ADMIN_PASSWORD of their server). */
export const ADMIN = { email: "security-admin@example.com", password: "security-admin-password" } as const

/**
 * Everything the security suites attack: the owners (an organizer with published and draft events, a customer
 * with holds, a paid order and its tickets, webhooks), the strangers (another customer, another organizer, staff of
 * another event), the event's own staff and the admin. Each resource a request may change has its own copy, so
 * the tests do not depend on each other's order.
 */
export interface SecurityWorld {
  readonly organizer: Account
  readonly customer: Account
  readonly otherCustomer: Account
  readonly otherOrganizer: Account
  /** A customer account granted staff on `sideEvent` (same organizer), never on `event`. */
  readonly otherStaff: Account
  /** A customer account granted staff on `event`. */
  readonly eventStaff: Account
  /** A customer account nobody granted anything yet (the organizer may make it staff). */
  readonly colleague: Account
  readonly admin: Account
  /** Named resource ids (see `buildWorld`). */
  readonly ids: Readonly<Record<ResourceName, string>>
  /** Signed ticket codes, by ticket resource name. */
  readonly codes: Readonly<Record<"ticket" | "ticketToScan" | "ticketToScanByStaff" | "ticketToRefund", string>>
  /** The organizer's API keys (shown once when created): read and write for all events, write for `sideEvent` only. */
  readonly apiKeys: Readonly<Record<"read" | "write" | "sideWrite" | "revoked", string>>
  /** Webhook signing secrets (shown once at registration). */
  readonly webhookSecrets: ReadonlyArray<string>
  /** Strings no stranger may ever read in an answer (ids of private resources, codes, secrets, the owners' emails). */
  readonly privateStrings: ReadonlyArray<string>
  /** Strings nobody but their owner may read (ticket codes, webhook secrets, tokens). */
  readonly credentials: ReadonlyArray<string>
}

export type ResourceName =
  | "event"
  | "ticketType"
  | "draft"
  | "draftTicketType"
  | "publishTarget"
  | "cancelTarget"
  | "cancelDraftTarget"
  | "sideEvent"
  | "otherOrganizerEvent"
  | "otherOrganizerDraft"
  | "hold"
  | "holdToRelease"
  | "holdToCheckout"
  | "otherCustomerHold"
  | "order"
  | "ticket"
  | "ticketToRefund"
  | "ticketToScan"
  | "ticketToScanByStaff"
  | "ticketToRefundByOrganizer"
  | "webhook"
  | "webhookToDelete"
  | "consumer"
  | "serviceKeyToRevoke"
  | "apiKey"
  | "apiKeyToRevoke"
  | "waitingEvent"
  | "waitingType"

const ok =
  <T extends { status: number; body: unknown }>(what: string, expected: number) =>
  (reply: T) =>
    reply.status === expected
      ? Effect.succeed(reply)
      : Effect.die(new Error(`${what}: expected ${expected}, got ${reply.status} ${JSON.stringify(reply.body)}`))

/** A draft event of `organizer` with one GA ticket type. */
export const draftWithTicketType = (api: Api, organizer: Account, title: string, capacity = 20) =>
  Effect.gen(function* () {
    const event = yield* api
      .call("POST", "/v1/events", { token: organizer.token, body: eventBody({ title }) })
      .pipe(Effect.flatMap(ok("create event", 201)))
    const type = yield* api
      .call("POST", `/v1/events/${event.body.id}/ticket-types`, {
        token: organizer.token,
        body: { name: "GA", priceMinor: 2500, currency: "EUR", capacity, maxPerOrder: 10 }
      })
      .pipe(Effect.flatMap(ok("add ticket type", 201)))
    return { eventId: event.body.id as string, ticketTypeId: type.body.id as string }
  })

/** A published event of `organizer` with one GA ticket type. */
export const publishedEvent = (api: Api, organizer: Account, title: string, capacity = 20) =>
  Effect.gen(function* () {
    const draft = yield* draftWithTicketType(api, organizer, title, capacity)
    yield* api
      .call("POST", `/v1/events/${draft.eventId}/publish`, { token: organizer.token })
      .pipe(Effect.flatMap(ok("publish", 200)))
    return draft
  })

export const grantStaff = (api: Api, organizer: Account, eventId: string, staff: Account) =>
  api
    .call("POST", `/v1/events/${eventId}/staff`, { token: organizer.token, body: { email: staff.email } })
    .pipe(Effect.flatMap(ok("grant staff", 201)), Effect.asVoid)

export const logIn = (api: Api, email: string, password: string) =>
  api
    .call("POST", "/v1/auth/login", { body: { email, password } })
    .pipe(Effect.flatMap(ok("log in", 200)))
    .pipe(Effect.map((reply) => reply.body.accessToken as string))

/** Builds the world on a running server whose admin is `ADMIN`. Takes a few seconds (one paid checkout). */
export const buildWorld = (api: Api) =>
  Effect.gen(function* () {
    // Names optional: a checkout without them goes through, and a ticket's name can be changed by its buyer.
    const sale = yield* publishedSale(api, { capacity: 200, attendeeNames: "optional" })
    const organizer: Account = sale.organizer
    const [customer, otherCustomer, otherOrganizer, otherStaff, eventStaff, colleague] = yield* Effect.all([
      api.account("customer", "owner-customer"),
      api.account("customer", "other-customer"),
      api.account("organizer", "other-organizer"),
      api.account("customer", "other-staff"),
      api.account("customer", "event-staff"),
      api.account("customer", "colleague")
    ])
    const adminToken = yield* logIn(api, ADMIN.email, ADMIN.password)
    const me = yield* api.call("GET", "/v1/me", { token: adminToken })
    const admin: Account = { id: me.body.id, email: ADMIN.email, password: ADMIN.password, token: adminToken }

    // Webhooks first, so that the organizer's later events are queued for delivery to them.
    const registerWebhook = () =>
      api
        .call("POST", "/v1/organizer/webhooks", {
          token: organizer.token,
          body: { url: "http://127.0.0.1:9/goticket-hooks", eventTypes: ["EventPublished", "OrderConfirmed"] }
        })
        .pipe(Effect.flatMap(ok("register webhook", 201)))
    const webhook = yield* registerWebhook()
    const webhookToDelete = yield* registerWebhook()
    const serviceKey = yield* api
      .call("POST", "/v1/admin/service-keys", {
        token: admin.token,
        body: { name: "box office", scopes: ["inventory:read", "booking:write"] }
      })
      .pipe(Effect.flatMap(ok("create service key", 201)))

    const draft = yield* draftWithTicketType(api, organizer, "Private rehearsal", 0)
    const sideEvent = yield* publishedEvent(api, organizer, "Side stage")
    const makeKey = (name: string, access: "read" | "write", events?: ReadonlyArray<string>) =>
      api
        .call("POST", "/v1/organizer/api-keys", {
          token: organizer.token,
          body: { name, access, ...(events === undefined ? {} : { events }) }
        })
        .pipe(
          Effect.flatMap(ok("create API key", 201)),
          Effect.map((reply) => ({ id: reply.body.id as string, secret: reply.body.secret as string }))
        )
    const readKey = yield* makeKey("reader", "read")
    const writeKey = yield* makeKey("writer", "write")
    const sideWriteKey = yield* makeKey("side stage", "write", [sideEvent.eventId])
    const apiKeyToRevoke = yield* makeKey("to revoke", "read")
    const revokedKey = yield* makeKey("revoked", "write")
    yield* api
      .call("DELETE", `/v1/organizer/api-keys/${revokedKey.id}`, { token: organizer.token })
      .pipe(Effect.flatMap(ok("revoke API key", 200)))
    const publishTarget = yield* draftWithTicketType(api, organizer, "To be published")
    const cancelTarget = yield* publishedEvent(api, organizer, "To be cancelled")
    const cancelDraftTarget = yield* draftWithTicketType(api, organizer, "Draft to be cancelled")
    const otherOrganizerEvent = yield* publishedEvent(api, otherOrganizer, "Elsewhere")
    const otherOrganizerDraft = yield* draftWithTicketType(api, otherOrganizer, "Elsewhere, draft")
    yield* grantStaff(api, organizer, sideEvent.eventId, otherStaff)
    yield* grantStaff(api, organizer, sale.eventId, eventStaff)

    const holdOne = (account: Account) =>
      hold(api, account.token, holdBody(sale.eventId, sale.gaId, 1)).pipe(Effect.flatMap(ok("hold", 201)))
    const order = yield* purchase(api, customer.token, sale.eventId, sale.gaId, 5, PAID)
    if (order.status !== "confirmed")
      return yield* Effect.die(new Error(`order not confirmed: ${JSON.stringify(order)}`))
    const heldOne = yield* holdOne(customer)
    const holdToRelease = yield* holdOne(customer)
    const holdToCheckout = yield* holdOne(customer)
    const otherCustomerHold = yield* holdOne(otherCustomer)

    // A sold-out show (its one ticket held by another customer) whose waiting list the owner customer has joined.
    const waiting = yield* publishedEvent(api, organizer, "Sold out", 1)
    yield* hold(api, otherCustomer.token, holdBody(waiting.eventId, waiting.ticketTypeId, 1)).pipe(
      Effect.flatMap(ok("hold the sold-out show's ticket", 201))
    )
    yield* api
      .call("POST", `/v1/events/${waiting.eventId}/waiting-lists/${waiting.ticketTypeId}/entry`, {
        token: customer.token
      })
      .pipe(Effect.flatMap(ok("join the waiting list", 200)))

    const [ticket, ticketToRefund, ticketToScan, ticketToScanByStaff, ticketToRefundByOrganizer] = order.tickets.map(
      (t: { id: string }) => t.id
    ) as [string, string, string, string, string]
    const codeOf = (ticketId: string) =>
      api.call("GET", `/v1/tickets/${ticketId}`, { token: customer.token }).pipe(
        Effect.flatMap(ok("ticket", 200)),
        Effect.map((reply) => reply.body.code as string)
      )

    const ids: Record<ResourceName, string> = {
      event: sale.eventId,
      ticketType: sale.gaId,
      draft: draft.eventId,
      draftTicketType: draft.ticketTypeId,
      publishTarget: publishTarget.eventId,
      cancelTarget: cancelTarget.eventId,
      cancelDraftTarget: cancelDraftTarget.eventId,
      sideEvent: sideEvent.eventId,
      otherOrganizerEvent: otherOrganizerEvent.eventId,
      otherOrganizerDraft: otherOrganizerDraft.eventId,
      hold: heldOne.body.id,
      holdToRelease: holdToRelease.body.id,
      holdToCheckout: holdToCheckout.body.id,
      otherCustomerHold: otherCustomerHold.body.id,
      order: order.id,
      ticket,
      ticketToRefund,
      ticketToScan,
      ticketToScanByStaff,
      ticketToRefundByOrganizer,
      webhook: webhook.body.id,
      webhookToDelete: webhookToDelete.body.id,
      consumer: "notifications",
      serviceKeyToRevoke: serviceKey.body.key.id,
      apiKey: readKey.id,
      apiKeyToRevoke: apiKeyToRevoke.id,
      waitingEvent: waiting.eventId,
      waitingType: waiting.ticketTypeId
    }
    const apiKeys = {
      read: readKey.secret,
      write: writeKey.secret,
      sideWrite: sideWriteKey.secret,
      revoked: revokedKey.secret
    }
    const codes = {
      ticket: yield* codeOf(ticket),
      ticketToRefund: yield* codeOf(ticketToRefund),
      ticketToScan: yield* codeOf(ticketToScan),
      ticketToScanByStaff: yield* codeOf(ticketToScanByStaff)
    }
    const webhookSecrets = [webhook.body.secret as string, webhookToDelete.body.secret as string]
    const credentials = [
      ...Object.values(codes),
      ...webhookSecrets,
      serviceKey.body.secret as string,
      ...Object.values(apiKeys),
      organizer.token,
      customer.token,
      admin.token,
      organizer.password,
      customer.password,
      ...[organizer.refreshToken, customer.refreshToken].filter((t): t is string => typeof t === "string")
    ]
    const privateStrings = [
      ...credentials,
      ids.draft,
      ids.draftTicketType,
      ids.cancelDraftTarget,
      ids.hold,
      ids.holdToRelease,
      ids.holdToCheckout,
      ids.order,
      ticket,
      ticketToRefund,
      ticketToScan,
      ticketToScanByStaff,
      ticketToRefundByOrganizer,
      ids.webhook,
      ids.webhookToDelete,
      customer.email,
      organizer.email
    ]
    return {
      organizer,
      customer,
      otherCustomer,
      otherOrganizer,
      otherStaff,
      eventStaff,
      colleague,
      admin,
      ids,
      codes,
      apiKeys,
      webhookSecrets,
      privateStrings,
      credentials
    } satisfies SecurityWorld
  })

const withoutAvailability = (body: unknown): unknown => {
  if (typeof body !== "object" || body === null) return body
  const { ticketTypes, ...rest } = body as { ticketTypes?: ReadonlyArray<Record<string, unknown>> }
  return ticketTypes === undefined ? rest : { ...rest, ticketTypes: ticketTypes.map(({ available: _, ...t }) => t) }
}

/**
 * What the owners see of their resources, as the API shows it to them: events (drafts too, without the available
 * counts, which other people's holds move), the draft's seats, staff lists, webhooks, the customer's holds, orders and
 * tickets. Equal before and after a refused request when that request changed nothing.
 */
export const ownerView = (api: Api, w: SecurityWorld) =>
  Effect.gen(function* () {
    const asOrganizer = (path: string) =>
      Effect.map(api.call("GET", path, { token: w.organizer.token }), (r) => ({ status: r.status, body: r.body }))
    const asCustomer = (path: string) =>
      Effect.map(api.call("GET", path, { token: w.customer.token }), (r) => ({ status: r.status, body: r.body }))
    const eventIds = [
      w.ids.event,
      w.ids.draft,
      w.ids.publishTarget,
      w.ids.cancelTarget,
      w.ids.cancelDraftTarget,
      w.ids.sideEvent
    ]
    return yield* Effect.all(
      {
        events: Effect.forEach(eventIds, (id) =>
          Effect.map(asOrganizer(`/v1/events/${id}`), (r) => ({ ...r, body: withoutAvailability(r.body) }))
        ),
        draftSeats: asOrganizer(`/v1/events/${w.ids.draft}/seats`),
        staff: Effect.forEach([w.ids.event, w.ids.sideEvent, w.ids.draft], (id) =>
          asOrganizer(`/v1/events/${id}/staff`)
        ),
        mine: asOrganizer("/v1/organizer/events?limit=100"),
        webhooks: asOrganizer("/v1/organizer/webhooks"),
        // Without the last-use times, which the keys' own calls move.
        apiKeys: Effect.map(asOrganizer("/v1/organizer/api-keys"), (r) => ({
          ...r,
          body: (r.body as ReadonlyArray<Record<string, unknown>>).map(({ lastUsedAt: _, ...k }) => k)
        })),
        holds: Effect.forEach([w.ids.hold, w.ids.holdToRelease, w.ids.holdToCheckout], (id) =>
          asCustomer(`/v1/reservations/${id}`)
        ),
        otherCustomerHold: Effect.map(
          api.call("GET", `/v1/reservations/${w.ids.otherCustomerHold}`, { token: w.otherCustomer.token }),
          (r) => r.body
        ),
        orders: asCustomer("/v1/orders?limit=100"),
        // Without their last use, which the keys' own calls move (the split deployment's gateway key).
        serviceKeys: Effect.map(api.call("GET", "/v1/admin/service-keys", { token: w.admin.token }), (r) => ({
          status: r.status,
          body: Array.isArray(r.body)
            ? r.body.map(({ lastUsedAt: _, ...key }: Record<string, unknown>) => key)
            : (r.body as unknown)
        })),
        tickets: Effect.forEach(
          [w.ids.ticket, w.ids.ticketToRefund, w.ids.ticketToScan, w.ids.ticketToScanByStaff],
          (id) => asCustomer(`/v1/tickets/${id}`)
        )
      },
      { concurrency: 4 }
    )
  })

/**
 * The owner view once background work started by a request (sagas, refunds) has settled: read until two reads a
 * moment apart agree.
 */
export const settledOwnerView = (api: Api, w: SecurityWorld) =>
  Effect.gen(function* () {
    let previous = JSON.stringify(yield* ownerView(api, w))
    for (let i = 0; i < 40; i++) {
      yield* Effect.sleep("250 millis")
      const current = JSON.stringify(yield* ownerView(api, w))
      if (current === previous) return JSON.parse(current) as unknown
      previous = current
    }
    return yield* Effect.die(new Error("the owners' view never settled"))
  })
