import { expect, type Vitest } from "@effect/vitest"
import { Context, Effect, Layer, Redacted } from "effect"
import { SecurityTokens } from "../../src/domain/accounts/SecurityTokens.ts"
import { TwoFactorRepository } from "../../src/domain/accounts/TwoFactorRepository.ts"
import { type Email, User } from "../../src/domain/accounts/User.ts"
import { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import type { UserId } from "../../src/domain/shared/Ids.ts"
import { makeEmailVerificationTokens } from "../../src/services/accounts/EmailVerificationTokens.ts"
import { totpCodeAt } from "../../src/services/accounts/Totp.ts"
import { signatureHeader } from "../../src/services/payments/sandbox/Signature.ts"
import type { Api } from "./Purchase.ts"
import { holdBody } from "./Sale.ts"
import {
  type Account,
  buildWorld,
  grantStaff,
  ownerView,
  publishedEvent,
  type ResourceName,
  type SecurityWorld,
  settledOwnerView
} from "./SecurityWorld.ts"
import type { Reply } from "./TestServer.ts"

/**
 * Access control of every endpoint, as a table (run by test/security/AccessControl.test.ts on one process and by
 * test/roles/SplitAccessControl.test.ts on the split deployment): each row is one endpoint called by an anonymous caller, another
 * customer, another organizer, staff of another event and the owner, with the exact status each must get. The
 * strangers go first; what the owners see must be the same after them (a refused request changes nothing), no
 * stranger may read a private id, code or secret in any answer, and then the owner's own call must succeed, so that
 * every refusal in the table is about who is calling, not about a broken request.
 */

const STRANGERS = ["anonymous", "otherCustomer", "otherOrganizer", "otherStaff"] as const
type Stranger = (typeof STRANGERS)[number]
type Role = Stranger | "owner"
/** Further callers some rows check: the event's organizer and staff (for a customer's resources), the admin. */
type Extra = "eventOrganizer" | "eventStaff" | "admin"
/** Who owns the row's resource: the caller whose request must succeed. */
type Owner = "anyone" | "customer" | "organizer" | "admin" | "eventStaff" | "provider"

interface CallContext {
  readonly w: SecurityWorld
  readonly role: Role | Extra
  /** The account making the call (none when anonymous or the payment provider). */
  readonly caller: Account | undefined
  readonly webhookSecret: string
  /** The deployment's JWT_SECRET, which also keys e-mail verification tokens. */
  readonly jwtSecret: string
}

interface Request {
  /** A query string made for this caller (without `?`), in place of the row's. */
  readonly query?: string
  readonly body?: unknown
  readonly rawBody?: string
  readonly headers?: Record<string, string>
}

export interface Row {
  /** `METHOD /path/{param}` exactly as the OpenAPI document writes it. */
  readonly route: string
  readonly owner: Owner
  /** Expected statuses: anonymous, another customer, another organizer, staff of another event, the owner. */
  readonly expected: readonly [number, number, number, number, number]
  /** Which resource fills each path parameter (default: `defaultParams`). */
  readonly params?: Partial<Record<string, ResourceName>>
  readonly request?: (ctx: CallContext) => Request
  readonly also?: Partial<Record<Extra, number>>
  /** Fresh strangers and owner for this row (for requests that spend the caller: log out, delete the account). */
  readonly fresh?: boolean
  /** Names the variant when one route has several rows (e.g. "draft"). */
  readonly on?: string
  /** A query string for the call (without `?`). */
  readonly query?: string
}

const row = (
  route: string,
  owner: Owner,
  expected: Row["expected"],
  options: Omit<Row, "route" | "owner" | "expected"> = {}
): Row => ({
  route,
  owner,
  expected,
  ...options
})

const defaultParams: Record<string, ResourceName> = {
  eventId: "event",
  ticketTypeId: "ticketType",
  reservationId: "hold",
  orderId: "order",
  ticketId: "ticket",
  webhookId: "webhook",
  consumer: "consumer",
  serviceKeyId: "serviceKeyToRevoke"
}

const json = (body: unknown): Request => ({ body })
/** A refresh token of the right shape that nobody was given. */
const guessedRefreshToken = () => `gtr_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`
/** The owner sends its own refresh token; strangers can only guess one. */
const ownRefreshToken = ({ role, caller }: CallContext): Request =>
  json({ refreshToken: role === "owner" ? caller?.refreshToken : guessedRefreshToken() })
const freshEmail = () => `sec-${crypto.randomUUID().slice(0, 12)}@example.com`

/** The owner presents the token its verification mail would carry; strangers, that token with its MAC altered. */
const verificationToken = ({ role, w, jwtSecret }: CallContext): Request => {
  const { token } = makeEmailVerificationTokens(Redacted.make(jwtSecret), 24).issue(
    w.customer.id as UserId,
    w.customer.email as Email,
    new Date()
  )
  return json({
    token: role === "owner" ? token : `${token.slice(0, -6)}${token.endsWith("AAAAAA") ? "BBBBBB" : "AAAAAA"}`
  })
}

/**
 * One-time tokens of throwaway accounts, issued when the world is built (ACCOUNT_TOKENS): the owner presents a live
 * one, strangers a made-up one of the right shape.
 */
const ACCOUNT_TOKENS = { reset: [] as Array<string>, emailChange: [] as Array<string>, challenge: [] as Array<string> }
const TOTP_SECRET = Redacted.make("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
const madeUpToken = () => `gts_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`
const ownToken = (pool: Array<string>, role: Role | Extra) => (role === "owner" ? (pool.shift() ?? "") : madeUpToken())
/** The code of the world's 2FA account: the app's next one (the enrolment used step 0 only). */
const currentCode = () => totpCodeAt(TOTP_SECRET, new Date())

/** A provider webhook about nothing we know: signed for the provider, unsigned for everyone else. */
const paymentWebhook = ({ role, webhookSecret }: CallContext): Request => {
  const payload = JSON.stringify({
    id: `evt_${crypto.randomUUID()}`,
    type: "payment_intent.processing",
    createdAt: new Date().toISOString(),
    data: { intentId: `pi_${crypto.randomUUID()}`, reference: crypto.randomUUID(), amountMinor: 100, declineCode: null }
  })
  return role === "owner"
    ? {
        rawBody: payload,
        headers: { "sandbox-signature": signatureHeader(webhookSecret, payload, Math.floor(Date.now() / 1000)) }
      }
    : { rawBody: payload }
}

/** A seat map of one row of two seats of `ticketTypeId`, as a request. */
export const seatingOf = (ticketTypeId: string) =>
  json({
    sections: [
      {
        name: "Stalls",
        rows: [
          {
            label: "A",
            seats: [
              { label: "1", ticketTypeId },
              { label: "2", ticketTypeId }
            ]
          }
        ]
      }
    ]
  })

// One row per endpoint, and per resource state that answers differently (e.g. drafts). Statuses are, in order:
// anonymous, another customer, another organizer, staff of another event, the owner. A new endpoint is one row:
//   row("GET /v1/things/{thingId}", "customer", [401, 404, 404, 404, 200]),
// with `params` naming which world resource fills a path parameter the defaults (`defaultParams`) do not know.
export const TABLE: ReadonlyArray<Row> = [
  row("GET /health/live", "anyone", [200, 200, 200, 200, 200]),
  row("GET /health/ready", "anyone", [200, 200, 200, 200, 200]),
  row("GET /metrics", "anyone", [200, 200, 200, 200, 200]),
  row("POST /v1/auth/register", "anyone", [201, 201, 201, 201, 201], {
    request: () => json({ email: freshEmail(), password: "a-long-password", name: "New", accountType: "customer" })
  }),
  row("POST /v1/auth/login", "anyone", [200, 200, 200, 200, 200], {
    request: ({ w, caller }) => json({ email: (caller ?? w.customer).email, password: (caller ?? w.customer).password })
  }),
  row("POST /v1/auth/verify-email", "anyone", [400, 400, 400, 400, 200], { fresh: true, request: verificationToken }),
  // The mailed link itself, as an API client opens it (JSON asked for).
  row("GET /verify-email", "anyone", [400, 400, 400, 400, 200], {
    fresh: true,
    request: (ctx) => ({
      query: `token=${encodeURIComponent((verificationToken(ctx).body as { token: string }).token)}`,
      headers: { accept: "application/json" }
    })
  }),
  row("POST /v1/auth/resend-verification", "anyone", [202, 202, 202, 202, 202], {
    request: ({ w, caller }) => json({ email: (caller ?? w.customer).email })
  }),
  row("POST /v1/auth/refresh", "anyone", [401, 401, 401, 401, 200], { fresh: true, request: ownRefreshToken }),
  row("POST /v1/auth/logout", "anyone", [204, 204, 204, 204, 204], { fresh: true, request: ownRefreshToken }),
  row("POST /v1/auth/password-reset", "anyone", [202, 202, 202, 202, 202], {
    request: ({ w, caller }) => json({ email: (caller ?? w.customer).email })
  }),
  row("POST /v1/auth/password-reset/confirm", "anyone", [400, 400, 400, 400, 204], {
    request: ({ role }) => json({ token: ownToken(ACCOUNT_TOKENS.reset, role), newPassword: "a-new-long-password" })
  }),
  row("POST /v1/auth/email-change/confirm", "anyone", [400, 400, 400, 400, 200], {
    request: ({ role }) => json({ token: ownToken(ACCOUNT_TOKENS.emailChange, role) })
  }),
  row("POST /v1/auth/login/two-factor", "anyone", [400, 400, 400, 400, 200], {
    request: ({ role }) => json({ challengeToken: ownToken(ACCOUNT_TOKENS.challenge, role), code: currentCode() })
  }),
  // Each signed-in caller acts on their own account (there is no id to aim elsewhere).
  row("POST /v1/me/password", "anyone", [401, 200, 200, 200, 200], {
    fresh: true,
    request: ({ caller }) =>
      json({ currentPassword: caller?.password ?? "correct-horse-battery", newPassword: "another-long-password" })
  }),
  row("POST /v1/me/email", "anyone", [401, 202, 202, 202, 202], {
    request: ({ caller }) => json({ newEmail: freshEmail(), password: caller?.password ?? "correct-horse-battery" })
  }),
  row("GET /v1/me/two-factor", "anyone", [401, 200, 200, 200, 200]),
  // Organizers and admins only; fresh callers, so that the world's organizer keeps the enrolment made for it.
  row("POST /v1/me/two-factor/enrolment", "organizer", [401, 403, 201, 403, 201], {
    fresh: true,
    request: ({ caller }) => json({ password: caller?.password ?? "correct-horse-battery" })
  }),
  // The world's organizer has an enrolment waiting (TOTP_SECRET); nobody else has one.
  row("POST /v1/me/two-factor/enrolment/confirm", "organizer", [401, 409, 409, 409, 200], {
    request: () => json({ code: currentCode() })
  }),
  row("DELETE /v1/me/two-factor", "organizer", [401, 409, 409, 409, 204], {
    request: ({ caller }) =>
      json({
        password: caller?.password ?? "correct-horse-battery",
        code: totpCodeAt(TOTP_SECRET, new Date(Date.now() + 30_000))
      })
  }),
  row("GET /v1/me", "anyone", [401, 200, 200, 200, 200]),
  row("GET /v1/me/export", "anyone", [401, 200, 200, 200, 200]),
  // Each caller erases their own account (there is no id to aim elsewhere), proving it with their password.
  row("DELETE /v1/me", "anyone", [401, 204, 204, 204, 204], {
    fresh: true,
    request: ({ caller }) => json({ password: caller?.password ?? "correct-horse-battery" })
  }),
  row("GET /v1/events", "anyone", [200, 200, 200, 200, 200]),
  row("GET /v1/events/{eventId}", "anyone", [200, 200, 200, 200, 200], { also: { admin: 200 } }),
  row("GET /v1/events/{eventId}", "organizer", [404, 404, 404, 404, 200], {
    on: "draft",
    params: { eventId: "draft" },
    also: { admin: 200, eventStaff: 404 }
  }),
  row("GET /v1/events/{eventId}/seats", "anyone", [200, 200, 200, 200, 200]),
  row("GET /v1/events/{eventId}/seats", "organizer", [404, 404, 404, 404, 200], {
    on: "draft",
    params: { eventId: "draft" },
    also: { admin: 200 }
  }),
  row("POST /v1/events", "organizer", [401, 403, 201, 403, 201], {
    request: () =>
      json({
        title: "Mine",
        venue: { name: "Hall", timezone: "UTC" },
        startsAt: new Date(Date.now() + 9 * 86_400_000).toISOString()
      })
  }),
  row("PATCH /v1/events/{eventId}", "organizer", [401, 403, 403, 403, 200], {
    request: () => json({ description: "Doors at seven" }),
    also: { eventStaff: 403 }
  }),
  row("PATCH /v1/events/{eventId}", "organizer", [401, 404, 404, 404, 200], {
    on: "draft",
    params: { eventId: "draft" },
    request: () => json({ description: "Still private" })
  }),
  row("POST /v1/events/{eventId}/ticket-types", "organizer", [401, 403, 403, 403, 201], {
    request: () => json({ name: "VIP", priceMinor: 9000, currency: "EUR", capacity: 5 }),
    also: { eventStaff: 403 }
  }),
  row("POST /v1/events/{eventId}/ticket-types", "organizer", [401, 404, 404, 404, 201], {
    on: "draft",
    params: { eventId: "draft" },
    request: () => json({ name: "Balcony", priceMinor: 1000, currency: "EUR", capacity: 0 })
  }),
  row("PATCH /v1/events/{eventId}/ticket-types/{ticketTypeId}", "organizer", [401, 403, 403, 403, 200], {
    request: () => json({ maxPerOrder: 9 }),
    also: { eventStaff: 403 }
  }),
  row("PATCH /v1/events/{eventId}/ticket-types/{ticketTypeId}", "organizer", [401, 404, 404, 404, 200], {
    on: "draft",
    params: { eventId: "draft", ticketTypeId: "draftTicketType" },
    request: () => json({ name: "Stalls" })
  }),
  row("POST /v1/events/{eventId}/seating", "organizer", [401, 404, 404, 404, 200], {
    on: "draft",
    params: { eventId: "draft" },
    request: ({ w }) => seatingOf(w.ids.draftTicketType)
  }),
  row("POST /v1/events/{eventId}/publish", "organizer", [401, 404, 404, 404, 200], {
    on: "draft",
    params: { eventId: "publishTarget" }
  }),
  row("POST /v1/events/{eventId}/cancel", "organizer", [401, 403, 403, 403, 200], {
    params: { eventId: "cancelTarget" }
  }),
  row("POST /v1/events/{eventId}/cancel", "organizer", [401, 404, 404, 404, 200], {
    on: "draft",
    params: { eventId: "cancelDraftTarget" }
  }),
  // Strangers try to make themselves staff; the owner grants a colleague.
  row("POST /v1/events/{eventId}/staff", "organizer", [401, 403, 403, 403, 201], {
    request: ({ w, role, caller }) =>
      json({ email: role === "owner" ? w.colleague.email : (caller ?? w.otherCustomer).email }),
    also: { eventStaff: 403 }
  }),
  row("POST /v1/events/{eventId}/staff", "organizer", [401, 404, 404, 404, 201], {
    on: "draft",
    params: { eventId: "draft" },
    request: ({ w, role, caller }) =>
      json({ email: role === "owner" ? w.eventStaff.email : (caller ?? w.otherCustomer).email })
  }),
  row("GET /v1/events/{eventId}/staff", "organizer", [401, 403, 403, 403, 200], {
    also: { eventStaff: 403, admin: 200 }
  }),
  row("GET /v1/events/{eventId}/staff", "organizer", [401, 404, 404, 404, 200], {
    on: "draft",
    params: { eventId: "draft" }
  }),
  row("GET /v1/events/{eventId}/stats", "organizer", [401, 403, 403, 403, 200], {
    also: { eventStaff: 403, admin: 200 }
  }),
  row("GET /v1/events/{eventId}/stats", "organizer", [401, 404, 404, 404, 200], {
    on: "draft",
    params: { eventId: "draft" }
  }),
  row("POST /v1/events/{eventId}/vouchers", "organizer", [401, 403, 403, 403, 201], {
    request: () => json({ kind: "percent", value: 10 }),
    also: { eventStaff: 403, admin: 201 }
  }),
  row("GET /v1/events/{eventId}/vouchers", "organizer", [401, 403, 403, 403, 200], {
    also: { eventStaff: 403, admin: 200 }
  }),
  row("GET /v1/events/{eventId}/vouchers.csv", "organizer", [401, 403, 403, 403, 200], {
    also: { eventStaff: 403, admin: 200 }
  }),
  row("GET /v1/events/{eventId}/vouchers", "organizer", [401, 404, 404, 404, 200], {
    on: "draft",
    params: { eventId: "draft" }
  }),
  // Waiting lists: a customer's place is theirs alone (strangers are not in the list: 404); joining is open to
  // every account (the world's owner joined already: again answers its place); organizers see and switch the lists.
  row("GET /v1/events/{eventId}/waiting-lists/{ticketTypeId}/entry", "customer", [401, 404, 404, 404, 200], {
    params: { eventId: "waitingEvent", ticketTypeId: "waitingType" }
  }),
  row("DELETE /v1/events/{eventId}/waiting-lists/{ticketTypeId}/entry", "customer", [401, 404, 404, 404, 204], {
    params: { eventId: "waitingEvent", ticketTypeId: "waitingType" }
  }),
  row("POST /v1/events/{eventId}/waiting-lists/{ticketTypeId}/entry", "customer", [401, 200, 200, 200, 200], {
    params: { eventId: "waitingEvent", ticketTypeId: "waitingType" }
  }),
  row("GET /v1/events/{eventId}/waiting-lists", "organizer", [401, 403, 403, 403, 200], {
    params: { eventId: "waitingEvent" },
    also: { eventStaff: 403, admin: 200 }
  }),
  row("PATCH /v1/events/{eventId}/waiting-lists/{ticketTypeId}", "organizer", [401, 403, 403, 403, 200], {
    params: { eventId: "waitingEvent", ticketTypeId: "waitingType" },
    request: () => json({ open: true }),
    also: { eventStaff: 403, admin: 200 }
  }),
  row("GET /v1/events/{eventId}/audit", "organizer", [401, 403, 403, 403, 200], {
    also: { eventStaff: 403, admin: 200 }
  }),
  row("GET /v1/events/{eventId}/audit", "organizer", [401, 404, 404, 404, 200], {
    on: "draft",
    params: { eventId: "draft" }
  }),
  row("GET /v1/organizer/events", "organizer", [401, 403, 200, 403, 200]),
  row("POST /v1/reservations", "customer", [401, 201, 201, 201, 201], {
    request: ({ w }) => ({
      body: holdBody(w.ids.event, w.ids.ticketType, 1),
      headers: { "idempotency-key": crypto.randomUUID() }
    })
  }),
  row("GET /v1/reservations/{reservationId}", "customer", [401, 404, 404, 404, 200], {
    also: { eventOrganizer: 404, eventStaff: 404, admin: 200 }
  }),
  row("DELETE /v1/reservations/{reservationId}", "customer", [401, 404, 404, 404, 200], {
    params: { reservationId: "holdToRelease" },
    also: { eventOrganizer: 404 }
  }),
  row("POST /v1/reservations/{reservationId}/checkout", "customer", [401, 409, 409, 409, 202], {
    params: { reservationId: "holdToCheckout" },
    also: { eventOrganizer: 409 }
  }),
  row("GET /v1/orders", "customer", [401, 200, 200, 200, 200]),
  row("GET /v1/orders/{orderId}", "customer", [401, 404, 404, 404, 200], {
    also: { eventOrganizer: 200, eventStaff: 404, admin: 200 }
  }),
  // A long-poll: the order is settled, so the owner's answer comes at once; strangers are refused before any wait.
  row("GET /v1/orders/{orderId}", "customer", [401, 404, 404, 404, 200], {
    on: "long-poll",
    query: "waitFor=settled&timeoutMs=30000",
    also: { eventOrganizer: 200, eventStaff: 404, admin: 200 }
  }),
  // The status stream of a settled order: its one event, then the end.
  row("GET /v1/orders/{orderId}/events", "customer", [401, 404, 404, 404, 200], {
    also: { eventOrganizer: 200, eventStaff: 404, admin: 200 }
  }),
  row("POST /v1/orders/{orderId}/refund", "customer", [401, 404, 404, 404, 202], {
    request: ({ w }) => json({ ticketIds: [w.ids.ticketToRefund] }),
    also: { eventStaff: 404 }
  }),
  // The event's organizer manages its orders; another event's organizer, or a customer, is refused the event.
  row("GET /v1/events/{eventId}/orders/{orderId}", "organizer", [401, 403, 403, 403, 200], {
    also: { eventStaff: 403, admin: 200 }
  }),
  row("GET /v1/events/{eventId}/orders", "organizer", [401, 403, 403, 403, 200], {
    also: { eventStaff: 403, admin: 200 }
  }),
  row("GET /v1/events/{eventId}/orders", "organizer", [401, 404, 404, 404, 200], {
    on: "draft",
    params: { eventId: "draft" }
  }),
  row("GET /v1/events/{eventId}/orders.csv", "organizer", [401, 403, 403, 403, 200], {
    also: { eventStaff: 403, admin: 200 }
  }),
  row("GET /v1/events/{eventId}/orders.csv", "organizer", [401, 404, 404, 404, 200], {
    on: "draft",
    params: { eventId: "draft" }
  }),
  row("GET /v1/events/{eventId}/attendees", "organizer", [401, 403, 403, 403, 200], {
    also: { eventStaff: 403, admin: 200 }
  }),
  row("GET /v1/events/{eventId}/attendees", "organizer", [401, 404, 404, 404, 200], {
    on: "draft",
    params: { eventId: "draft" }
  }),
  row("GET /v1/events/{eventId}/attendees.csv", "organizer", [401, 403, 403, 403, 200], {
    also: { eventStaff: 403, admin: 200 }
  }),
  row("GET /v1/events/{eventId}/attendees.csv", "organizer", [401, 404, 404, 404, 200], {
    on: "draft",
    params: { eventId: "draft" }
  }),
  // The buyer's confirmation mail sent again, by the organizer (a write) or by the buyer.
  row("POST /v1/events/{eventId}/orders/{orderId}/confirmation", "organizer", [401, 403, 403, 403, 200], {
    also: { eventStaff: 403, admin: 200 }
  }),
  row("POST /v1/orders/{orderId}/confirmation", "customer", [401, 404, 404, 404, 200], {
    also: { eventOrganizer: 200, eventStaff: 404, admin: 200 }
  }),
  row("POST /v1/events/{eventId}/orders/{orderId}/refund", "organizer", [401, 403, 403, 403, 202], {
    request: ({ w }) => json({ ticketIds: [w.ids.ticketToRefundByOrganizer] }),
    also: { eventStaff: 403 }
  }),
  row("GET /v1/tickets/{ticketId}", "customer", [401, 404, 404, 404, 200], {
    also: { eventOrganizer: 200, eventStaff: 404, admin: 200 }
  }),
  row("GET /v1/tickets/{ticketId}/qr.svg", "customer", [401, 404, 404, 404, 200], {
    also: { eventOrganizer: 404, eventStaff: 404, admin: 404 }
  }),
  // Only the buyer names their tickets: the event's organizer, its staff and an admin see the ticket, never rename it.
  row("PUT /v1/tickets/{ticketId}/attendee-name", "customer", [401, 404, 404, 404, 200], {
    request: () => json({ name: "Ada Lovelace" }),
    also: { eventOrganizer: 404, eventStaff: 404, admin: 404 }
  }),
  row("POST /v1/check-ins", "organizer", [401, 403, 403, 403, 200], {
    request: ({ w }) => json({ eventId: w.ids.event, code: w.codes.ticketToScan })
  }),
  row("POST /v1/check-ins", "eventStaff", [401, 403, 403, 403, 200], {
    on: "by the event's staff",
    request: ({ w }) => json({ eventId: w.ids.event, code: w.codes.ticketToScanByStaff })
  }),
  row("POST /v1/payments/webhook", "provider", [400, 400, 400, 400, 200], { request: paymentWebhook }),
  row("POST /v1/organizer/webhooks", "organizer", [401, 403, 201, 403, 201], {
    request: () => json({ url: "http://127.0.0.1:9/elsewhere", eventTypes: ["OrderConfirmed"] })
  }),
  row("GET /v1/organizer/webhooks", "organizer", [401, 403, 200, 403, 200]),
  row("DELETE /v1/organizer/webhooks/{webhookId}", "organizer", [401, 403, 404, 403, 204], {
    params: { webhookId: "webhookToDelete" }
  }),
  row("GET /v1/organizer/webhooks/{webhookId}/deliveries", "organizer", [401, 403, 404, 403, 200], {
    also: { admin: 200 }
  }),
  row("POST /v1/organizer/api-keys", "organizer", [401, 403, 201, 403, 201], {
    request: () => json({ name: "Integration", access: "read" })
  }),
  row("GET /v1/organizer/api-keys", "organizer", [401, 403, 200, 403, 200]),
  row("DELETE /v1/organizer/api-keys/{keyId}", "organizer", [401, 403, 404, 403, 200], {
    params: { keyId: "apiKeyToRevoke" }
  }),
  row("GET /v1/admin/audit", "admin", [401, 403, 403, 403, 200], { also: { eventOrganizer: 403 } }),
  row("GET /v1/admin/dead-letters/{consumer}", "admin", [401, 403, 403, 403, 200], { also: { eventOrganizer: 403 } }),
  row("POST /v1/admin/dead-letters/{consumer}/replay", "admin", [401, 403, 403, 403, 200], {
    request: () => json({}),
    also: { eventOrganizer: 403 }
  }),
  row("GET /v1/admin/service-keys", "admin", [401, 403, 403, 403, 200], { also: { eventOrganizer: 403 } }),
  row("POST /v1/admin/service-keys", "admin", [401, 403, 403, 403, 201], {
    request: () => json({ name: "gate 3", scopes: ["inventory:read"] }),
    also: { eventOrganizer: 403 }
  }),
  row("DELETE /v1/admin/service-keys/{serviceKeyId}", "admin", [401, 403, 403, 403, 200], {
    also: { eventOrganizer: 403 }
  })
]

/**
 * The deployment under test: a REST client of its public edge, the payment provider's webhook secret and the
 * deployment's JWT_SECRET.
 */
export class AccessTarget extends Context.Service<
  AccessTarget,
  { readonly api: Api; readonly webhookSecret: string; readonly jwtSecret: string }
>()("security/AccessTarget") {}

export class World extends Context.Service<World, SecurityWorld>()("security/World") {}

/** A throwaway account straight in the repository (its password never used). */
const throwaway = (accountType: "customer" | "organizer") =>
  Effect.gen(function* () {
    const user = new User({
      id: crypto.randomUUID() as UserId,
      email: freshEmail() as Email,
      name: "Throwaway",
      accountType,
      isAdmin: false,
      createdAt: new Date()
    })
    yield* (yield* UserRepository).insert(user, "unused")
    return user.id
  })

/**
 * The world, and what the account-security rows need: live one-time tokens of throwaway accounts, a throwaway
 * account with two-factor on, and an enrolment of the world's organizer waiting for its code.
 */
export const WorldLive = Layer.effect(
  World,
  Effect.gen(function* () {
    const w = yield* buildWorld((yield* AccessTarget).api)
    const tokens = yield* SecurityTokens
    const twoFactor = yield* TwoFactorRepository
    const now = new Date()
    const times = { now, expiresAt: new Date(now.getTime() + 3_600_000) }
    const issue = (purpose: "password_reset" | "email_change" | "login_challenge", userId: UserId, email?: Email) =>
      Effect.map(tokens.issue(purpose, userId, times, email), (issued) => Redacted.value(issued.token))
    ACCOUNT_TOKENS.reset.push(yield* issue("password_reset", yield* throwaway("customer")))
    ACCOUNT_TOKENS.emailChange.push(yield* issue("email_change", yield* throwaway("customer"), freshEmail() as Email))
    const secured = yield* throwaway("organizer")
    yield* twoFactor.begin(secured, TOTP_SECRET, now)
    yield* twoFactor.enable(secured, 0, [], now)
    ACCOUNT_TOKENS.challenge.push(yield* issue("login_challenge", secured))
    yield* twoFactor.begin(w.organizer.id as UserId, TOTP_SECRET, now)
    return w
  })
)

export const [methodOf, templateOf] = [
  (r: Row) => r.route.split(" ")[0] as string,
  (r: Row) => r.route.split(" ")[1] as string
]

export const pathOf = (r: Row, w: SecurityWorld) =>
  templateOf(r).replace(/\{(\w+)\}/g, (_, name: string) => {
    const resource = r.params?.[name] ?? defaultParams[name]
    if (resource === undefined) throw new Error(`${r.route}: no resource for {${name}}`)
    return encodeURIComponent(w.ids[resource])
  }) + (r.query === undefined ? "" : `?${r.query}`)

/** The callers of a row: the world's, or new accounts of the same kinds for rows that spend them. */
const callersOf = (api: Api, r: Row, w: SecurityWorld) =>
  Effect.gen(function* () {
    if (!r.fresh) return w
    const [otherCustomer, otherOrganizer, otherStaff, customer, organizer] = yield* Effect.all([
      api.account("customer", "fresh-customer"),
      api.account("organizer", "fresh-organizer"),
      api.account("customer", "fresh-staff"),
      api.account("customer", "fresh-owner"),
      api.account("organizer", "fresh-owner-organizer")
    ])
    // Staff of an event of their own, so that what they do to their own account leaves the owners' view alone.
    const stage = yield* publishedEvent(api, w.organizer, "Fresh side stage")
    yield* grantStaff(api, w.organizer, stage.eventId, otherStaff)
    return { ...w, otherCustomer, otherOrganizer, otherStaff, customer, organizer }
  })

const accountOf = (w: SecurityWorld, r: Row, role: Role | Extra): Account | undefined => {
  switch (role) {
    case "anonymous":
      return undefined
    case "otherCustomer":
    case "otherOrganizer":
    case "otherStaff":
    case "eventStaff":
    case "admin":
      return w[role]
    case "eventOrganizer":
      return w.organizer
    case "owner":
      return r.owner === "anyone" || r.owner === "customer"
        ? w.customer
        : r.owner === "organizer"
          ? w.organizer
          : r.owner === "admin"
            ? w.admin
            : r.owner === "eventStaff"
              ? w.eventStaff
              : undefined
  }
}

export const titleOf = (r: Row) => `${r.route}${r.on ? ` (${r.on})` : ""}: owner is ${r.owner}`

/** Every refusal is JSON with a _tag and a message. */
const expectErrorShape = (label: string, reply: Reply) => {
  if (reply.status < 400) return
  expect(reply.body, `${label}: error body`).toMatchObject({ _tag: expect.any(String), message: expect.any(String) })
}

/** The table's tests: the coverage of the OpenAPI document, then one test per row. */
export const accessControlTable = (it: Vitest.MethodsNonLive<AccessTarget | World>) => {
  it.effect("covers every endpoint of the OpenAPI document, and lists no endpoint that does not exist", () =>
    Effect.gen(function* () {
      const { api } = yield* AccessTarget
      const spec = yield* api.call("GET", "/openapi.json")
      expect(spec.status).toBe(200)
      const documented = new Set<string>()
      for (const [path, item] of Object.entries(spec.body.paths as Record<string, Record<string, unknown>>))
        for (const method of Object.keys(item))
          if (["get", "put", "post", "patch", "delete", "head", "options"].includes(method))
            documented.add(`${method.toUpperCase()} ${path}`)
      const tabled = new Set(TABLE.map((r) => r.route))
      expect(
        [...documented].filter((route) => !tabled.has(route)),
        "endpoints missing from the table"
      ).toEqual([])
      expect(
        [...tabled].filter((route) => !documented.has(route)),
        "rows for undocumented endpoints"
      ).toEqual([])
    })
  )

  for (const r of TABLE)
    it.effect(
      titleOf(r),
      () =>
        Effect.gen(function* () {
          const { api, webhookSecret, jwtSecret } = yield* AccessTarget
          const world = yield* World
          const w = yield* callersOf(api, r, world)
          const call = (role: Role | Extra) => {
            const caller = accountOf(w, r, role)
            const request = r.request?.({ w, role, caller, webhookSecret, jwtSecret }) ?? {}
            const path = pathOf(request.query === undefined ? r : { ...r, query: request.query }, w)
            return Effect.map(api.call(methodOf(r), path, { token: caller?.token, ...request }), (reply) => ({
              reply,
              sent: `${path} ${JSON.stringify(request)}`
            }))
          }
          const mutating = methodOf(r) !== "GET"
          const before = mutating ? yield* ownerView(api, world) : undefined

          const replies: Partial<Record<Role | Extra, Reply>> = {}
          for (const role of STRANGERS) {
            const { reply, sent } = yield* call(role)
            replies[role] = reply
            expectErrorShape(`${r.route} as ${role}`, reply)
            // Nothing private in any answer to a stranger, unless the stranger sent it.
            const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body)
            const leaked = w.privateStrings.filter((s) => text.includes(s) && !sent.includes(s))
            expect(leaked, `${r.route} as ${role} reveals private values in ${text.slice(0, 600)}`).toEqual([])
          }
          if (mutating)
            expect(yield* ownerView(api, world), "what the owners see after the strangers' calls").toEqual(before)

          for (const extra of Object.keys(r.also ?? {}) as Array<Extra>) {
            const { reply, sent } = yield* call(extra)
            replies[extra] = reply
            expectErrorShape(`${r.route} as ${extra}`, reply)
            const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body)
            const credentials = w.credentials.filter((s) => s !== accountOf(w, r, extra)?.token)
            expect(
              credentials.filter((s) => text.includes(s) && !sent.includes(s)),
              `${r.route} as ${extra}`
            ).toEqual([])
          }
          const owner = yield* call("owner")
          replies.owner = owner.reply
          if (mutating) yield* settledOwnerView(api, world)

          const statuses = Object.fromEntries(Object.entries(replies).map(([role, reply]) => [role, reply.status]))
          const expected = {
            anonymous: r.expected[0],
            otherCustomer: r.expected[1],
            otherOrganizer: r.expected[2],
            otherStaff: r.expected[3],
            owner: r.expected[4],
            ...r.also
          }
          expect(statuses, `${titleOf(r)}; owner answered ${JSON.stringify(owner.reply.body).slice(0, 300)}`).toEqual(
            expected
          )
          expect(owner.reply.status, "the owner's call succeeds").toBeLessThan(300)
        }),
      60_000
    )
}
