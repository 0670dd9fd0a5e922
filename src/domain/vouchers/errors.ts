import { Schema } from "effect"

/**
 * A code that cannot be used for this hold: unknown, of another event, not yet or no longer valid, or for other
 * ticket types. One answer for all of them, so that a guesser learns nothing about which codes exist.
 */
export class VoucherNotValid extends Schema.TaggedError<VoucherNotValid>()("VoucherNotValid", {
  code: Schema.Literal("voucher_not_valid"),
  message: Schema.String
}) {}

/** A valid code whose redemptions are all taken. */
export class VoucherUsedUp extends Schema.TaggedError<VoucherUsedUp>()("VoucherUsedUp", {
  code: Schema.Literal("voucher_used_up"),
  message: Schema.String
}) {}

/** Vouchers an organizer asked for that the rules refuse (a window that ends before it starts, a 120 % discount…). */
export class InvalidVoucher extends Schema.TaggedError<InvalidVoucher>()("InvalidVoucher", {
  code: Schema.Literal("invalid_voucher"),
  message: Schema.String
}) {}

export const voucherNotValid = () =>
  new VoucherNotValid({
    code: "voucher_not_valid",
    message: "this voucher code is not valid for this hold (unknown, expired, or for other tickets)"
  })

export const voucherUsedUp = () =>
  new VoucherUsedUp({
    code: "voucher_used_up",
    message: "this voucher has been used up: all its redemptions are taken"
  })

export const invalidVoucher = (message: string) => new InvalidVoucher({ code: "invalid_voucher", message })
