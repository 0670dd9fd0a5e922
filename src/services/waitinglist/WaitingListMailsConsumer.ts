import { Effect } from "effect"
import type { Consumer } from "../events/EventConsumers.ts"
import { WaitingListMails } from "./WaitingListMails.ts"

/**
 * Mails each waiting-list offer its code, from the WaitingListOffered event the offer committed with (migrations/0027):
 * through the inbox, once per event however often it is delivered, with no database transaction open.
 */
export const waitingListMailsConsumer: Consumer<WaitingListMails> = {
  name: "waiting-list-mails",
  eventTypes: ["WaitingListOffered"],
  effects: "outside",
  handle: (event, envelope) =>
    event._tag === "WaitingListOffered"
      ? Effect.flatMap(WaitingListMails, (mails) => mails.offer(event, envelope.id))
      : Effect.void
}
