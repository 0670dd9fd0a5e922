import { Schema } from "effect"

/** Joining a list of a ticket type that still has units for sale: buy them instead. */
export class WaitingListNotSoldOut extends Schema.TaggedError<WaitingListNotSoldOut>()("WaitingListNotSoldOut", {
  code: Schema.Literal("not_sold_out"),
  message: Schema.String,
  available: Schema.Int
}) {}

/** The organizer switched this ticket type's waiting list off. */
export class WaitingListClosed extends Schema.TaggedError<WaitingListClosed>()("WaitingListClosed", {
  code: Schema.Literal("waiting_list_closed"),
  message: Schema.String
}) {}

/** Seated ticket types have no waiting list (their units come back as seats, not as interchangeable units). */
export class WaitingListNotForSeats extends Schema.TaggedError<WaitingListNotForSeats>()("WaitingListNotForSeats", {
  code: Schema.Literal("waiting_list_not_for_seats"),
  message: Schema.String
}) {}

/** The customer is not in this ticket type's waiting list (never joined, or left, or their offer ended). */
export class NotOnWaitingList extends Schema.TaggedError<NotOnWaitingList>()("NotOnWaitingList", {
  code: Schema.Literal("not_on_waiting_list"),
  message: Schema.String
}) {}

export type JoinRefused = WaitingListNotSoldOut | WaitingListClosed | WaitingListNotForSeats

export const waitingListNotSoldOut = (available: number) =>
  new WaitingListNotSoldOut({
    code: "not_sold_out",
    available,
    message: `this ticket type is not sold out (${available} left): hold tickets instead of joining its waiting list`
  })

export const waitingListClosed = () =>
  new WaitingListClosed({
    code: "waiting_list_closed",
    message: "the organizer has switched this ticket type's waiting list off"
  })

export const waitingListNotForSeats = () =>
  new WaitingListNotForSeats({
    code: "waiting_list_not_for_seats",
    message: "seated ticket types have no waiting list"
  })

export const notOnWaitingList = () =>
  new NotOnWaitingList({ code: "not_on_waiting_list", message: "you are not in this ticket type's waiting list" })
