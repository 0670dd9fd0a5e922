import type { AttendeeLine, OrderSummary } from "../../domain/orders/EventOrders.ts"
import type { AttendeeView, OrderSummaryView } from "../api/OrganizerOrderViews.ts"

export const orderSummaryView = (o: OrderSummary): typeof OrderSummaryView.Type => ({
  id: o.id,
  status: o.status,
  customerId: o.customerId,
  buyerEmail: o.buyerEmail,
  buyerName: o.buyerName,
  tickets: o.tickets,
  validTickets: o.validTickets,
  totalMinor: o.totalMinor,
  refundedMinor: o.refundedMinor,
  currency: o.currency,
  createdAt: o.createdAt,
  confirmedAt: o.confirmedAt,
  cancelledAt: o.cancelledAt
})

export const attendeeView = (a: AttendeeLine): typeof AttendeeView.Type => ({
  ticketId: a.ticketId,
  orderId: a.orderId,
  eventId: a.eventId,
  ticketTypeId: a.ticketTypeId,
  ticketType: a.ticketTypeName,
  seatLabel: a.seatLabel,
  buyerEmail: a.buyerEmail,
  buyerName: a.buyerName,
  attendeeName: a.attendeeName,
  checkedIn: a.checkedInAt !== null,
  checkedInAt: a.checkedInAt,
  issuedAt: a.issuedAt
})
