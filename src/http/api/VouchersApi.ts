import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { EventRuleViolation } from "../../domain/catalog/errors.ts"
import { EventId, TicketTypeId } from "../../domain/shared/Ids.ts"
import { Instant } from "../../domain/shared/Text.ts"
import { InvalidVoucher } from "../../domain/vouchers/errors.ts"
import { DiscountKind, MAX_CODE_LENGTH, MIN_CODE_LENGTH, VoucherId } from "../../domain/vouchers/Voucher.ts"
import { MAX_REDEMPTIONS, MAX_RESERVED_UNITS, MAX_VOUCHERS_PER_BATCH } from "../../domain/vouchers/VoucherRules.ts"
import { Authentication } from "./Authentication.ts"
import { EventNotFound404, eventIdParam } from "./EventsApi.ts"
import { Forbidden403 } from "./errors.ts"
import { payload } from "./payload.ts"

export const CreateVouchersRequest = payload(
  Schema.Struct({
    kind: DiscountKind.annotate({ description: "fixed: `value` minor units off; percent: `value` percent off" }),
    value: Schema.Int.check(
      Schema.isBetween({ minimum: 1, maximum: 100_000_000_00 }, { message: "must be a positive whole number" })
    ).annotate({ description: "Minor units off (fixed) or percent off, 1 to 100 (percent)" }),
    ticketTypeIds: Schema.optionalKey(Schema.Array(TicketTypeId).check(Schema.isMaxLength(100))).annotate({
      description: "The ticket types it applies to (default: all of the event's)"
    }),
    validFrom: Schema.optionalKey(Instant).annotate({ description: "Usable from this instant (default: at once)" }),
    validUntil: Schema.optionalKey(Instant).annotate({ description: "Usable until this instant (default: no end)" }),
    maxRedemptions: Schema.optionalKey(
      Schema.Int.check(
        Schema.isBetween(
          { minimum: 1, maximum: MAX_REDEMPTIONS },
          { message: `must be a whole number from 1 to ${MAX_REDEMPTIONS}` }
        )
      )
    ).annotate({ description: "How many holds each voucher may be used on (default 1: single use)" }),
    count: Schema.optionalKey(
      Schema.Int.check(
        Schema.isBetween(
          { minimum: 1, maximum: MAX_VOUCHERS_PER_BATCH },
          { message: `must be a whole number from 1 to ${MAX_VOUCHERS_PER_BATCH}` }
        )
      )
    ).annotate({
      description: `How many vouchers, each with its own random code (default 1, at most ${MAX_VOUCHERS_PER_BATCH})`
    }),
    reservedUnits: Schema.optionalKey(
      Schema.Int.check(
        Schema.isBetween(
          { minimum: 1, maximum: MAX_RESERVED_UNITS },
          { message: `must be a whole number from 1 to ${MAX_RESERVED_UNITS}` }
        )
      )
    ).annotate({
      description:
        "A reserved quota: units of its one ticket type (ticketTypeIds must name exactly one general-admission type) each voucher withholds from the public sale; holds with the code take them from there, and give them back to it when they end unsold"
    }),
    code: Schema.optionalKey(
      Schema.String.check(
        Schema.isPattern(/^[A-Za-z0-9-]{1,60}$/u, { message: "must be 1 to 60 letters, digits or dashes" })
      )
    ).annotate({
      description: `A chosen code for one voucher instead of a random one: ${MIN_CODE_LENGTH} to ${MAX_CODE_LENGTH} letters and digits (dashes and case are ignored)`
    })
  }),
  "CreateVouchersRequest"
)

export const VoucherView = Schema.Struct({
  id: VoucherId,
  eventId: EventId,
  code: Schema.String.annotate({ description: "Upper-case letters and digits; customers may type it with dashes" }),
  kind: DiscountKind,
  value: Schema.Int,
  ticketTypeIds: Schema.Array(TicketTypeId).annotate({ description: "Empty: every ticket type of the event" }),
  validFrom: Schema.NullOr(Schema.Date),
  validUntil: Schema.NullOr(Schema.Date),
  maxRedemptions: Schema.Int,
  redeemed: Schema.Int.annotate({
    description: "Redemptions taken now: live holds and orders that carry it (an ended hold gives its redemption back)"
  }),
  createdAt: Schema.Date,
  reservedUnits: Schema.NullOr(Schema.Int).annotate({
    description: "Units withheld for it when it was made (a reserved quota); null: none"
  }),
  reservedLeft: Schema.Int.annotate({ description: "Of those, the units withheld now (not in a hold or an order)" })
}).annotate({ identifier: "Voucher" })

export const CreatedVouchersView = Schema.Struct({
  count: Schema.Int,
  vouchers: Schema.Array(VoucherView)
}).annotate({ identifier: "CreatedVouchers" })

const voucherErrors = [EventNotFound404, EventRuleViolation.pipe(HttpApiSchema.status(422)), Forbidden403] as const

/** An event's vouchers, for its organizer or an admin. Someone else's event is 403 (or 404 for drafts). */
export class VouchersApi extends HttpApiGroup.make("vouchers")
  .add(
    HttpApiEndpoint.post("create", "/v1/events/:eventId/vouchers", {
      params: eventIdParam,
      payload: CreateVouchersRequest,
      success: CreatedVouchersView.pipe(HttpApiSchema.status(201)),
      error: [...voucherErrors, InvalidVoucher.pipe(HttpApiSchema.status(422))]
    })
      .annotate(OpenApi.Summary, "Create vouchers (discount codes) for an event")
      .annotate(
        OpenApi.Description,
        `One voucher with a chosen \`code\`, or \`count\` vouchers (up to ${MAX_VOUCHERS_PER_BATCH}) with random codes of 12 letters and digits that cannot be confused (no 0/O, 1/I/L). Each takes \`value\` minor units (fixed) or \`value\` percent (percent, rounded down to a whole minor unit) off the price of the tickets of a hold it applies to (never more than their price), once per hold, on at most \`maxRedemptions\` holds, between \`validFrom\` and \`validUntil\`. A customer gives the code as \`voucherCode\` when holding tickets (POST /v1/reservations). Rules the request breaks are 422 InvalidVoucher.`
      )
  )
  .add(
    HttpApiEndpoint.get("list", "/v1/events/:eventId/vouchers", {
      params: eventIdParam,
      success: Schema.Array(VoucherView),
      error: voucherErrors
    })
      .annotate(OpenApi.Summary, "The event's vouchers with their redemptions")
      .annotate(OpenApi.Description, "Every voucher of the event, oldest first, with how many redemptions it has now.")
  )
  .add(
    HttpApiEndpoint.get("export", "/v1/events/:eventId/vouchers.csv", {
      params: eventIdParam,
      success: Schema.String.pipe(HttpApiSchema.asText({ contentType: "text/csv; charset=utf-8" })),
      error: voucherErrors
    })
      .annotate(OpenApi.Summary, "The event's vouchers as CSV")
      .annotate(
        OpenApi.Description,
        "One line per voucher (CRLF line ends, a header line first): code, kind, value, ticketTypeIds (space-separated), validFrom, validUntil, maxRedemptions, redeemed, createdAt. For mail merges and printing."
      )
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Vouchers") {}
