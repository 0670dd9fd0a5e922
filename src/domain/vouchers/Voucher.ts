import { Schema } from "effect"
import { withDefault } from "../shared/Defaults.ts"
import { EventId, TicketTypeId, UserId, Uuid } from "../shared/Ids.ts"

export const VoucherId = Uuid.pipe(Schema.brand("VoucherId")).annotate({ description: "VoucherId (UUID)" })
export type VoucherId = typeof VoucherId.Type

/** The letters and digits of a code: upper case, without the look-alikes 0/O, 1/I/L. */
export const CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
/** Generated codes: 12 characters of a 31-letter alphabet, about 59 bits of randomness. */
export const GENERATED_CODE_LENGTH = 12
export const MIN_CODE_LENGTH = 10
export const MAX_CODE_LENGTH = 40

/** A code as a customer types it: letters, digits and dashes; compared without case and without dashes. */
export const VoucherCodeInput = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9-]{1,60}$/u, { message: "must be 1 to 60 letters, digits or dashes" })
).annotate({ description: "A voucher code (case and dashes do not matter)", examples: ["QX7P-M2KD-9RHT"] })

/** Fixed: `value` minor units off; percent: `value` percent off (1 to 100). */
export const DiscountKind = Schema.Literals(["fixed", "percent"])
export type DiscountKind = typeof DiscountKind.Type

export class Voucher extends Schema.Class<Voucher>("Voucher")({
  id: VoucherId,
  eventId: EventId,
  /** Normalised: upper case, no dashes. */
  code: Schema.String,
  kind: DiscountKind,
  value: Schema.Int,
  /** The ticket types it applies to; empty: every ticket type of the event. */
  ticketTypeIds: Schema.Array(TicketTypeId),
  validFrom: Schema.NullOr(Schema.DateFromString),
  validUntil: Schema.NullOr(Schema.DateFromString),
  maxRedemptions: Schema.Int,
  /** Holds and orders that carry it now (a hold that ends without an order gives its redemption back). */
  redeemed: Schema.Int,
  createdBy: UserId,
  createdAt: Schema.DateFromString,
  /**
   * Units of its one ticket type withheld from the public sale for it when it was made (a reserved quota, or a
   * waiting-list offer's one unit); null: none. A hold with it takes that type's units from them.
   */
  reservedUnits: withDefault(Schema.NullOr(Schema.Int), () => null),
  /** Of those, the units withheld now (not in a hold or an order); 0 once given up. */
  reservedLeft: withDefault(Schema.Int, () => 0),
  /** The only account that may use it (a waiting-list offer's); null: anyone with the code. */
  accountId: withDefault(Schema.NullOr(UserId), () => null)
}) {}
