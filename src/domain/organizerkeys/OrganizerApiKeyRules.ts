import { Result, Schema } from "effect"
import { expiryProblem } from "../shared/BearerKeys.ts"
import { EventId } from "../shared/Ids.ts"
import { InvalidApiKeyGrant } from "./errors.ts"
import {
  type ApiKeyCaller,
  MAX_KEY_EVENTS,
  type OrganizerApiKey,
  type OrganizerApiKeyGrant,
  OrganizerApiKeyName
} from "./OrganizerApiKey.ts"

const isEventId = Schema.is(EventId)
const isName = Schema.is(OrganizerApiKeyName)
const refuse = (message: string) => Result.fail(new InvalidApiKeyGrant({ message }))

/**
 * Whether a grant may be issued: a name, `read` or `write`, either every event (null) or 1 to MAX_KEY_EVENTS events
 * (each once), and an expiry, if any, in the future and within two years. That the events are the organizer's is
 * checked by the service, which can read them.
 */
export const checkKeyGrant = (
  grant: OrganizerApiKeyGrant,
  now: Date
): Result.Result<OrganizerApiKeyGrant, InvalidApiKeyGrant> => {
  const name = grant.name.trim()
  if (!isName(name)) return refuse("the name must be 1 to 100 characters")
  if (grant.access !== "read" && grant.access !== "write") return refuse("access must be read or write")
  const events = grant.events === null ? null : [...new Set(grant.events)]
  if (events !== null) {
    if (events.length === 0) return refuse("name at least one event, or leave events out for all your events")
    if (events.length > MAX_KEY_EVENTS) return refuse(`a key names at most ${MAX_KEY_EVENTS} events`)
    if (events.some((e) => !isEventId(e))) return refuse("events must be event ids")
  }
  const expiry = expiryProblem(grant.expiresAt, now)
  if (expiry !== undefined) return refuse(expiry)
  return Result.succeed({ name, access: grant.access, events, expiresAt: grant.expiresAt })
}

/** What a call made with a key asks for: to change something or only to read, and the event it is about, if any. */
export interface KeyedCall {
  readonly writes: boolean
  readonly eventId: string | undefined
}

/**
 * Why the key does not allow the call, if it does not: a read key never changes anything; a key that names events
 * reaches only those, and no call that is about no particular event (creating an event).
 */
export const keyRefusal = (key: ApiKeyCaller, call: KeyedCall): string | undefined => {
  if (call.writes && key.access !== "write") return "this API key may only read: its access is read"
  if (key.events === null) return undefined
  if (call.eventId === undefined) return call.writes ? "only a key for all your events may do this" : undefined
  return key.events.includes(call.eventId as EventId) ? undefined : "this API key does not give access to this event"
}

/** Whether a listing made with a key shows this event (a key that names events sees only those). */
export const keySees = (key: ApiKeyCaller | undefined, eventId: EventId): boolean =>
  key === undefined || key.events === null || key.events.includes(eventId)

export const callerOfKey = (key: OrganizerApiKey): ApiKeyCaller => ({
  keyId: key.id,
  access: key.access,
  events: key.events
})
