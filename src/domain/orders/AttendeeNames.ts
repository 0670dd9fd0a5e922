import { Result, Schema } from "effect"

/*
 * Attendee names: the organizer asks for them per ticket type (`attendeeNames`), the buyer gives one per ticket at
 * checkout (stored with the order as it opens, copied onto the tickets they are issued) and may change a ticket's
 * name until the cut-off before the event starts. The rules here are the one home of those decisions; the
 * repositories only store what they decide.
 */

/**
 * Whether a ticket type asks for attendee names: `off` (none taken), `optional` (one per ticket may be given) or
 * `required` (one per ticket must be given at checkout, and it can be changed but never blanked).
 */
export const AttendeeNamesPolicy = Schema.Literals(["off", "optional", "required"]).annotate({
  description:
    "Whether checkout asks for one attendee name per ticket of this type: off (never), optional, required (default off)"
})
export type AttendeeNamesPolicy = typeof AttendeeNamesPolicy.Type

/** The longest attendee name, in characters (the database checks the same bound). */
export const MAX_ATTENDEE_NAME_LENGTH = 100

/** What a name problem is, in the words of the request's issues (`path` is filled in by the caller). */
export interface NameIssue {
  readonly code: "missing" | "too_long" | "invalid_value" | "unexpected" | "too_short"
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

// C0/C1 control characters other than tabs and line breaks (white space, made one space): a name is one line.
const CONTROL = /\p{Cc}/u

/**
 * A name as stored: spaces around it removed and runs of white space inside it made one space; null when nothing
 * is left (a blank name is no name).
 */
export const normalizeAttendeeName = (input: string | null | undefined): string | null => {
  if (input === null || input === undefined) return null
  const name = input.replace(/\s+/gu, " ").trim()
  return name.length === 0 ? null : name
}

/** The problem with one name as given (before normalising), if any: too long, or a control character. */
export const nameProblem = (input: string): Omit<NameIssue, "path"> | undefined => {
  if (CONTROL.test(input.replace(/[\t\n\r]/gu, " ")))
    return { code: "invalid_value", message: "must be one line of text without control characters" }
  const name = normalizeAttendeeName(input)
  if (name !== null && [...name].length > MAX_ATTENDEE_NAME_LENGTH)
    return { code: "too_long", message: `must be at most ${MAX_ATTENDEE_NAME_LENGTH} characters` }
  return undefined
}

/**
 * The names of an order's tickets, one per line in line order, from what the buyer sent (`attendees`, aligned to the
 * lines; absent when none were sent) and each line's ticket type policy. Refused with every problem at once: a list
 * of another length than the tickets, a name too long or not one line, a required name missing or blank. A name
 * for a ticket whose type does not take names is an `unexpected` issue (it would be silently lost otherwise).
 */
export const attendeeNamesOf = (
  policies: ReadonlyArray<AttendeeNamesPolicy>,
  attendees: ReadonlyArray<string | null> | undefined
): Result.Result<ReadonlyArray<string | null>, ReadonlyArray<NameIssue>> => {
  const issues: Array<NameIssue> = []
  if (attendees !== undefined && attendees.length !== policies.length) {
    const code = attendees.length < policies.length ? "too_short" : "too_long"
    issues.push({ code, path: ["attendees"], message: `must have one entry per ticket (${policies.length})` })
    return Result.fail(issues)
  }
  const names = policies.map((policy, i) => {
    const given = attendees?.[i] ?? null
    const problem = given === null ? undefined : nameProblem(given)
    if (problem !== undefined) {
      issues.push({ ...problem, path: ["attendees", i] })
      return null
    }
    const name = normalizeAttendeeName(given)
    if (policy === "off" && name !== null)
      issues.push({ code: "unexpected", path: ["attendees", i], message: "this ticket type does not take names" })
    if (policy === "required" && name === null)
      issues.push({
        code: "missing",
        path: ["attendees", i],
        message: "this ticket type requires the attendee's name"
      })
    return policy === "off" ? null : name
  })
  return issues.length > 0 ? Result.fail(issues) : Result.succeed(names)
}

/**
 * The instant after which a ticket's name can no longer be changed: `cutoffHours` before the event starts (door
 * lists are settled by then). Not the end of sales: sales may run until the doors open.
 */
export const renameCutoff = (startsAt: Date, cutoffHours: number): Date =>
  new Date(startsAt.getTime() - cutoffHours * 3_600_000)

/** Why a ticket's name cannot be changed now, or the name it takes. */
export type RenameDecision =
  | { readonly _tag: "Rename"; readonly name: string | null }
  | { readonly _tag: "Refused"; readonly code: "names_not_taken" | "name_cutoff_passed" | "ticket_not_valid" }
  | { readonly _tag: "Invalid"; readonly issue: Omit<NameIssue, "path"> }

/**
 * Whether the buyer may change a ticket's name to `input` at `now`: only a valid ticket not yet checked in, of a
 * type that takes names, before the cut-off; a required name may be changed but not blanked.
 */
export const decideRename = (input: {
  readonly ticket: { readonly status: "valid" | "voided"; readonly checkedInAt: Date | null }
  readonly policy: AttendeeNamesPolicy
  readonly startsAt: Date
  readonly cutoffHours: number
  readonly now: Date
  readonly name: string | null
}): RenameDecision => {
  if (input.policy === "off") return { _tag: "Refused", code: "names_not_taken" }
  if (input.ticket.status !== "valid" || input.ticket.checkedInAt !== null)
    return { _tag: "Refused", code: "ticket_not_valid" }
  if (input.now.getTime() >= renameCutoff(input.startsAt, input.cutoffHours).getTime())
    return { _tag: "Refused", code: "name_cutoff_passed" }
  const problem = input.name === null ? undefined : nameProblem(input.name)
  if (problem !== undefined) return { _tag: "Invalid", issue: problem }
  const name = normalizeAttendeeName(input.name)
  if (name === null && input.policy === "required")
    return { _tag: "Invalid", issue: { code: "missing", message: "this ticket type requires the attendee's name" } }
  return { _tag: "Rename", name }
}

/** The ticket type of each line of a hold, in line order (OrderLines.linesOfHold: units by type id, then seats). */
export const lineTypesOfHold = (hold: {
  readonly items: ReadonlyArray<{ readonly ticketTypeId: string; readonly quantity: number }>
  readonly seats: ReadonlyArray<{ readonly ticketTypeId: string }>
}): ReadonlyArray<string> => [
  ...[...hold.items]
    .sort((a, b) => (a.ticketTypeId < b.ticketTypeId ? -1 : a.ticketTypeId > b.ticketTypeId ? 1 : 0))
    .flatMap((i) => Array.from({ length: i.quantity }, () => i.ticketTypeId)),
  ...hold.seats.map((s) => s.ticketTypeId)
]
