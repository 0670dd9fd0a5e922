import { Clock, Context, Effect, Layer, Option, Redacted, Result } from "effect"
import { Actor } from "../../domain/accounts/Actor.ts"
import { Forbidden, Unauthenticated } from "../../domain/accounts/errors.ts"
import { AuditEntry, AuditLog, actedBy } from "../../domain/audit/AuditLog.ts"
import { EventRepository } from "../../domain/catalog/EventRepository.ts"
import { ApiKeyNotFound, InvalidApiKeyGrant } from "../../domain/organizerkeys/errors.ts"
import {
  OrganizerApiKey,
  type OrganizerApiKeyGrant,
  type OrganizerApiKeyId
} from "../../domain/organizerkeys/OrganizerApiKey.ts"
import { OrganizerApiKeyRepository } from "../../domain/organizerkeys/OrganizerApiKeyRepository.ts"
import { callerOfKey, checkKeyGrant } from "../../domain/organizerkeys/OrganizerApiKeyRules.ts"
import { dueForTouch, unusableKey } from "../../domain/shared/BearerKeys.ts"
import { now } from "../../domain/shared/Now.ts"
import { displayPrefix, newSecretKey, secretKeyHash } from "../crypto/SecretKeys.ts"

/** Marks organizer API keys (service keys are `gtk_`), so that secret scanners (and people) recognise a leaked one. */
export const ORGANIZER_KEY_PREFIX = "gto_"

/**
 * How long an authenticated key is trusted without reading it again: a revocation takes effect at once on the
 * instance that made it, and within this long on the others.
 */
export const ORGANIZER_KEY_CACHE_MS = 5_000
const KEY_CACHE_MAX = 10_000

/** A key just created: the only moment its secret is known. */
export interface CreatedApiKey {
  readonly key: OrganizerApiKey
  readonly secret: Redacted.Redacted<string>
}

/** Keys are made and managed by a person signed in as an organizer: never by a key, never by a customer. */
const organizerInPerson = (actor: Actor) =>
  actor.apiKey !== undefined
    ? Effect.fail(new Forbidden({ message: "an API key cannot manage API keys: sign in as the organizer" }))
    : actor.isOrganizer
      ? Effect.void
      : Effect.fail(new Forbidden({ message: "only organizers have API keys" }))

const rejected = (message: string) => new Unauthenticated({ message })

/**
 * Organizers' API keys: created, listed and revoked by the organizer (each change audited), and how a presented key
 * is checked. A check reads the key once per ORGANIZER_KEY_CACHE_MS per instance and writes its use down at most once a
 * minute, in the background.
 */
export class OrganizerApiKeys extends Context.Service<OrganizerApiKeys>()("goticket/OrganizerApiKeys", {
  make: Effect.gen(function* () {
    const repository = yield* OrganizerApiKeyRepository
    const events = yield* EventRepository
    const audit = yield* AuditLog
    const scope = yield* Effect.scope
    const cache = new Map<string, { readonly key: Option.Option<OrganizerApiKey>; readonly readAt: number }>()
    const touched = new Map<string, Date>()

    const entry = (actor: Actor, action: string, key: OrganizerApiKey, summary: AuditEntry["summary"]) =>
      new AuditEntry({
        ...actedBy(actor),
        action,
        outcome: "success",
        resourceType: "organizer_api_key",
        resourceId: key.id,
        summary
      })

    /** Every listed event must be the organizer's (an admin's key reaches only the admin's own events too). */
    const ownEvents = (actor: Actor, listed: ReadonlyArray<string> | null) =>
      Effect.forEach(listed ?? [], (eventId) =>
        Effect.flatMap(events.findById(eventId as never), (event) =>
          Option.isSome(event) && event.value.organizerId === actor.userId
            ? Effect.void
            : Effect.fail(new InvalidApiKeyGrant({ message: `${eventId} is not one of your events` }))
        )
      )

    const create = Effect.fn("OrganizerApiKeys.create")(function* (actor: Actor, grant: OrganizerApiKeyGrant) {
      yield* organizerInPerson(actor)
      const at = yield* now
      const checked = checkKeyGrant(grant, at)
      if (Result.isFailure(checked)) return yield* checked.failure
      yield* ownEvents(actor, checked.success.events)
      const secret = newSecretKey(ORGANIZER_KEY_PREFIX)
      const key = new OrganizerApiKey({
        id: crypto.randomUUID() as OrganizerApiKeyId,
        organizerId: actor.userId,
        name: checked.success.name,
        prefix: displayPrefix(secret),
        access: checked.success.access,
        events: checked.success.events,
        createdAt: at,
        expiresAt: checked.success.expiresAt,
        lastUsedAt: null,
        revokedAt: null
      })
      const hash = secretKeyHash(ORGANIZER_KEY_PREFIX, Redacted.value(secret)) as string
      yield* audit.audited(repository.insert(key, hash), () =>
        entry(actor, "organizer_api_key.created", key, {
          after: { access: key.access, events: key.events ?? "all", expiresAt: key.expiresAt?.toISOString() ?? null }
        })
      )
      return { key, secret } satisfies CreatedApiKey
    })

    const list = Effect.fn("OrganizerApiKeys.list")(function* (actor: Actor) {
      yield* organizerInPerson(actor)
      return yield* repository.listFor(actor.userId)
    })

    const revoke = Effect.fn("OrganizerApiKeys.revoke")(function* (actor: Actor, id: OrganizerApiKeyId) {
      yield* organizerInPerson(actor)
      const at = yield* now
      const mine = (yield* repository.listFor(actor.userId)).find((k) => k.id === id)
      if (mine === undefined) return yield* new ApiKeyNotFound({ message: `you have no API key with id ${id}` })
      if (mine.revokedAt !== null) return mine
      const revoked = yield* audit.audited(repository.revoke(actor.userId, id, at), (key) =>
        Option.isSome(key)
          ? entry(actor, "organizer_api_key.revoked", key.value, {
              before: { revoked: false },
              after: { revoked: true }
            })
          : null
      )
      // Effective at once here (other instances: within ORGANIZER_KEY_CACHE_MS).
      for (const [presented, cached] of cache)
        if (Option.exists(cached.key, (k) => k.id === id)) cache.delete(presented)
      return Option.getOrElse(revoked, () => mine)
    })

    const read = (presented: string, at: number) =>
      Effect.gen(function* () {
        const cached = cache.get(presented)
        if (cached !== undefined && at - cached.readAt < ORGANIZER_KEY_CACHE_MS) return cached.key
        const hash = secretKeyHash(ORGANIZER_KEY_PREFIX, presented)
        const key = hash === undefined ? Option.none<OrganizerApiKey>() : yield* repository.findByHash(hash)
        if (cache.size >= KEY_CACHE_MAX) cache.clear()
        if (hash !== undefined) cache.set(presented, { key, readAt: at })
        return key
      })

    const noteUse = (key: OrganizerApiKey, at: Date) => {
      const last = touched.get(key.id) ?? key.lastUsedAt
      if (!dueForTouch(last, at)) return Effect.void
      touched.set(key.id, at)
      return Effect.asVoid(Effect.forkIn(repository.touch(key.id, at), scope))
    }

    /**
     * The actor a presented key acts as: its organizer, as an organizer (never an admin), carrying what the key
     * allows. A key that is unknown, revoked or expired is 401.
     */
    const authenticate = Effect.fn("OrganizerApiKeys.authenticate")(function* (presented: string) {
      const at = yield* Clock.currentTimeMillis
      const key = yield* read(presented, at)
      if (Option.isNone(key)) return yield* rejected("this is not an API key of this installation")
      const refused = unusableKey(key.value, new Date(at))
      if (refused !== undefined)
        return yield* rejected(`this API key is ${refused}: create a new one (POST /v1/organizer/api-keys)`)
      yield* noteUse(key.value, new Date(at))
      return new Actor({
        userId: key.value.organizerId,
        accountType: "organizer",
        isAdmin: false,
        apiKey: callerOfKey(key.value)
      })
    })

    return { create, list, revoke, authenticate } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

/** Whether a bearer credential is an organizer API key (rather than an access token). */
export const isOrganizerKey = (credential: string): boolean => credential.startsWith(ORGANIZER_KEY_PREFIX)
