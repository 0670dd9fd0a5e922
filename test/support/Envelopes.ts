import { EventEnvelope } from "../../src/domain/events/EventEnvelope.ts"

/** A TicketCheckedIn envelope about `aggregateId` (a ticket), as the outbox would carry it. */
export const anEnvelope = (aggregateId: string = crypto.randomUUID(), occurredAt = new Date()) =>
  new EventEnvelope({
    id: crypto.randomUUID(),
    type: "TicketCheckedIn",
    version: 1,
    occurredAt,
    aggregateType: "ticket",
    aggregateId,
    payload: {
      ticketId: aggregateId,
      orderId: crypto.randomUUID(),
      eventId: crypto.randomUUID(),
      ticketTypeId: crypto.randomUUID(),
      checkedInAt: occurredAt.toISOString(),
      checkedInBy: null
    },
    traceparent: null
  })
