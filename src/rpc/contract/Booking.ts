import { Schema } from "effect"
import { Rpc, RpcGroup } from "effect/rpc"
import { EventNotFound } from "../../domain/catalog/errors.ts"
import {
  AttendeeNamesInvalid,
  HoldNotCheckoutable,
  OrderNotFound,
  TooManyOrderStreams
} from "../../domain/orders/errors.ts"
import { Order, OrderStatus } from "../../domain/orders/Order.ts"
import { PaymentProviderUnavailable } from "../../domain/payments/PaymentGateway.ts"
import {
  EventNotOnSale,
  IdempotencyKeyReused,
  InvalidHold,
  LimitExceeded,
  ReservationNotFound,
  SalesClosed,
  SeatUnavailable,
  SoldOut
} from "../../domain/reservations/errors.ts"
import { HoldRequest } from "../../domain/reservations/HoldRequest.ts"
import { Reservation } from "../../domain/reservations/Reservation.ts"
import { OrderId, ReservationId, UserId } from "../../domain/shared/Ids.ts"
import { VoucherNotValid, VoucherUsedUp } from "../../domain/vouchers/errors.ts"
import { CustomerNotFound, IdempotencyKey, RateLimited, RequiredScope, ServiceAuth } from "./Common.ts"

/** One step of an order's life, as the REST status stream tells it (`sequence`: 1 pending_payment, 2 settled…). */
export const OrderStatusUpdate = Schema.Struct({
  sequence: Schema.Int,
  status: OrderStatus,
  settled: Schema.Boolean,
  order: Order
})
export type OrderStatusUpdate = typeof OrderStatusUpdate.Type

/** Every booking call acts for one customer, by account id, with that customer's rules and limits. */
const onBehalf = { customerId: UserId }

export const HoldPlaced = Schema.Struct({
  reservation: Reservation,
  /** True when the idempotency key had already placed this hold: the first answer, replayed. */
  replayed: Schema.Boolean
})

/**
 * `booking:write`: holds, checkout and orders for a customer (the box office, the web front's gateway). The same
 * rules, limits and idempotency as the REST API: both run the same application services.
 */
export const BookingRpcs = RpcGroup.make(
  Rpc.make("PlaceHold", {
    payload: { ...onBehalf, idempotencyKey: IdempotencyKey, request: HoldRequest },
    success: HoldPlaced,
    error: Schema.Union([
      EventNotFound,
      SoldOut,
      SeatUnavailable,
      LimitExceeded,
      SalesClosed,
      EventNotOnSale,
      InvalidHold,
      VoucherNotValid,
      VoucherUsedUp,
      IdempotencyKeyReused,
      CustomerNotFound,
      RateLimited
    ])
  }),
  Rpc.make("ReleaseHold", {
    payload: { ...onBehalf, reservationId: ReservationId },
    success: Reservation,
    error: Schema.Union([ReservationNotFound, CustomerNotFound, RateLimited])
  }),
  Rpc.make("Checkout", {
    payload: {
      ...onBehalf,
      reservationId: ReservationId,
      /** One attendee name per ticket, as REST's checkout body (AttendeeNames). */
      attendees: Schema.optionalKey(Schema.Array(Schema.NullOr(Schema.String)))
    },
    success: Order,
    error: Schema.Union([
      HoldNotCheckoutable,
      PaymentProviderUnavailable,
      AttendeeNamesInvalid,
      CustomerNotFound,
      RateLimited
    ])
  }),
  Rpc.make("GetOrder", {
    payload: { ...onBehalf, orderId: OrderId },
    success: Order,
    error: Schema.Union([OrderNotFound, CustomerNotFound])
  }),
  /**
   * The order's status until it settles: its current status first (unless `after` says the caller saw it), then
   * each newer one; the stream ends after the first settled status. No polling: woken by the order's own changes.
   */
  Rpc.make("OrderStatus", {
    payload: { ...onBehalf, orderId: OrderId, after: Schema.optionalKey(Schema.Int) },
    success: OrderStatusUpdate,
    error: Schema.Union([OrderNotFound, TooManyOrderStreams, CustomerNotFound]),
    stream: true
  })
)
  .middleware(ServiceAuth)
  .annotateRpcs(RequiredScope, { scope: "booking:write" })
