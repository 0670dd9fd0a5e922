import { Result, Schema } from "effect"
import { expiryProblem, unusableKey } from "../shared/BearerKeys.ts"
import { EventId } from "../shared/Ids.ts"
import { InvalidServiceKeyGrant, type KeyRejection, ScopeRefused } from "./errors.ts"
import {
  MAX_DOOR_EVENTS,
  SERVICE_SCOPES,
  type ServiceCaller,
  type ServiceKey,
  type ServiceKeyGrant,
  ServiceKeyName,
  type ServiceScope
} from "./ServiceKey.ts"

export { dueForTouch, LAST_USED_RESOLUTION_MS, MAX_KEY_LIFETIME_DAYS } from "../shared/BearerKeys.ts"

const isEventId = Schema.is(EventId)
const isName = Schema.is(ServiceKeyName)

const refuse = (message: string) => Result.fail(new InvalidServiceKeyGrant({ message }))

/**
 * Whether a grant may be issued: a name, at least one scope (each once), door events exactly when `door:scan` is
 * granted (at most MAX_DOOR_EVENTS, each once), and an expiry, if any, in the future and within two years.
 */
export const checkGrant = (
  grant: ServiceKeyGrant,
  now: Date
): Result.Result<ServiceKeyGrant, InvalidServiceKeyGrant> => {
  const name = grant.name.trim()
  if (!isName(name)) return refuse("the name must be 1 to 100 characters")
  if (grant.scopes.length === 0) return refuse(`grant at least one scope: ${SERVICE_SCOPES.join(", ")}`)
  const unknown = grant.scopes.filter((s) => !SERVICE_SCOPES.includes(s))
  if (unknown.length > 0) return refuse(`unknown scopes: ${unknown.join(", ")}`)
  const scopes = [...new Set(grant.scopes)]
  const doorEvents = [...new Set(grant.doorEvents)]
  if (doorEvents.some((e) => !isEventId(e))) return refuse("door events must be event ids")
  const door = scopes.includes("door:scan")
  if (door && doorEvents.length === 0) return refuse("door:scan is granted per event: name at least one event")
  if (!door && doorEvents.length > 0) return refuse("door events are only for a key with the door:scan scope")
  if (doorEvents.length > MAX_DOOR_EVENTS) return refuse(`a door key names at most ${MAX_DOOR_EVENTS} events`)
  const expiry = expiryProblem(grant.expiresAt, now)
  if (expiry !== undefined) return refuse(expiry)
  return Result.succeed({ name, scopes, doorEvents, expiresAt: grant.expiresAt })
}

/** Why a stored key cannot authenticate anything now, if it cannot. */
export const unusable = (key: ServiceKey, now: Date): KeyRejection | undefined => unusableKey(key, now)

/** What a call needs of its key: a scope, and for `door:scan` the event it scans for. */
export interface ScopeRequirement {
  readonly scope: ServiceScope
  readonly eventId?: string | undefined
}

/** Whether the caller's key allows the call: the scope, and for `door:scan` the event. */
export const authorize = (caller: ServiceCaller, needed: ScopeRequirement): Result.Result<void, ScopeRefused> => {
  if (!caller.scopes.includes(needed.scope))
    return Result.fail(
      new ScopeRefused({
        scope: needed.scope,
        eventId: null,
        message: `this key (${caller.name}) lacks the ${needed.scope} scope`
      })
    )
  if (needed.scope === "door:scan" && !caller.doorEvents.some((e) => e === needed.eventId))
    return Result.fail(
      new ScopeRefused({
        scope: needed.scope,
        eventId: needed.eventId ?? null,
        message: `this key (${caller.name}) may not scan for event ${needed.eventId ?? "(none given)"}`
      })
    )
  return Result.void
}

export const callerOf = (key: ServiceKey): ServiceCaller => ({
  keyId: key.id,
  name: key.name,
  scopes: key.scopes,
  doorEvents: key.doorEvents
})

/**
 * A scope as the operator writes it: `inventory:read`, `booking:write`, `support`, `ops`, `admin`, or `door:scan:<eventId>`
 * (one per event). Gives the grant's scopes and door events.
 */
export const parseScopeSpecs = (
  specs: ReadonlyArray<string>
): Result.Result<Pick<ServiceKeyGrant, "scopes" | "doorEvents">, InvalidServiceKeyGrant> => {
  const scopes: Array<ServiceScope> = []
  const doorEvents: Array<EventId> = []
  for (const spec of specs) {
    const door = /^door:scan:(.+)$/.exec(spec)
    if (door !== null) {
      const eventId = door[1] ?? ""
      if (!isEventId(eventId)) return refuse(`"${eventId}" is not an event id (door:scan:<eventId>)`)
      scopes.push("door:scan")
      doorEvents.push(eventId)
    } else if (spec === "door:scan") {
      return refuse("door:scan is granted per event: door:scan:<eventId>")
    } else if ((SERVICE_SCOPES as ReadonlyArray<string>).includes(spec)) {
      scopes.push(spec as ServiceScope)
    } else {
      return refuse(`unknown scope "${spec}": ${SERVICE_SCOPES.join(", ")} or door:scan:<eventId>`)
    }
  }
  return Result.succeed({ scopes: [...new Set(scopes)], doorEvents: [...new Set(doorEvents)] })
}
