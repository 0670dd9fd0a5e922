import { Clock, Context, Effect, Layer, Option, Redacted, Result } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { Forbidden } from "../../domain/accounts/errors.ts"
import { AuditEntry, AuditLog, actedBy, bySystem } from "../../domain/audit/AuditLog.ts"
import { ServiceKeyNotFound, ServiceKeyRejected } from "../../domain/servicekeys/errors.ts"
import {
  type ServiceCaller,
  ServiceKey,
  type ServiceKeyGrant,
  type ServiceKeyId
} from "../../domain/servicekeys/ServiceKey.ts"
import { ServiceKeyRepository } from "../../domain/servicekeys/ServiceKeyRepository.ts"
import { callerOf, checkGrant, dueForTouch, unusable } from "../../domain/servicekeys/ServiceKeyRules.ts"
import { now } from "../../domain/shared/Now.ts"
import { displayPrefix, newServiceKey, serviceKeyHash } from "./ServiceKeyFormat.ts"

/**
 * How long an authenticated key is trusted without reading it again: a revocation takes effect at once on the
 * instance that made it, and within this long on the others.
 */
export const KEY_CACHE_MS = 5_000
const KEY_CACHE_MAX = 10_000

/** A key just created: the only moment its secret is known. */
export interface CreatedServiceKey {
  readonly key: ServiceKey
  readonly secret: Redacted.Redacted<string>
}

/**
 * Who manages keys: an admin (through the API), or the operator at the machine (`npm run service-keys`, which has
 * the database's credentials anyway), recorded on the audit trail as the system.
 */
export type KeyManager = Actor | "operator"

const adminOnly = (manager: KeyManager): Effect.Effect<void, Forbidden> =>
  manager === "operator" || manager.isAdmin
    ? Effect.void
    : Effect.fail(new Forbidden({ message: "only admins manage service keys" }))

const BEARER = /^Bearer +(\S+)$/i

/**
 * Service keys: created and revoked by admins (each change audited), and how an RPC call's key is checked. A check
 * reads the key once per KEY_CACHE_MS per instance, and writes its use down at most once a minute, in the
 * background: authenticating a call costs no database round trip in the common case.
 */
export class ServiceKeys extends Context.Service<ServiceKeys>()("goticket/ServiceKeys", {
  make: Effect.gen(function* () {
    const repository = yield* ServiceKeyRepository
    const audit = yield* AuditLog
    const scope = yield* Effect.scope
    /** Presented key → the stored key and when it was read (whatever it said: unknown keys are remembered too). */
    const cache = new Map<string, { readonly key: Option.Option<ServiceKey>; readonly readAt: number }>()
    /** Key id → the last use written down by this instance. */
    const touched = new Map<string, Date>()

    const entry = (manager: KeyManager, action: string, key: ServiceKey, summary: AuditEntry["summary"]) =>
      new AuditEntry({
        ...(manager === "operator" ? bySystem : actedBy(manager)),
        action,
        outcome: "success",
        resourceType: "service_key",
        resourceId: key.id,
        summary
      })
    const facts = (key: ServiceKey) => ({
      name: key.name,
      scopes: key.scopes,
      doorEvents: key.doorEvents,
      expiresAt: key.expiresAt?.toISOString() ?? null
    })

    /** A manager who is not an admin is refused, and the refusal is on the audit trail. */
    const allowed = (manager: KeyManager, action: string, resourceId: string | null) =>
      adminOnly(manager).pipe(
        Effect.tapError(() =>
          audit.record(
            new AuditEntry({
              ...(manager === "operator" ? bySystem : actedBy(manager)),
              action,
              outcome: "denied",
              resourceType: "service_key",
              resourceId
            })
          )
        )
      )

    const create = Effect.fn("ServiceKeys.create")(function* (actor: KeyManager, grant: ServiceKeyGrant) {
      yield* allowed(actor, "service_key.created", null)
      const at = yield* now
      const checked = checkGrant(grant, at)
      if (Result.isFailure(checked)) return yield* checked.failure
      const secret = newServiceKey()
      const key = new ServiceKey({
        id: crypto.randomUUID() as ServiceKeyId,
        name: checked.success.name,
        prefix: displayPrefix(secret),
        scopes: checked.success.scopes,
        doorEvents: checked.success.doorEvents,
        createdBy: actor === "operator" ? null : actor.userId,
        createdAt: at,
        expiresAt: checked.success.expiresAt,
        lastUsedAt: null,
        revokedAt: null
      })
      yield* audit.audited(repository.insert(key, serviceKeyHash(Redacted.value(secret)) as string), () =>
        entry(actor, "service_key.created", key, { after: facts(key) })
      )
      return { key, secret } satisfies CreatedServiceKey
    })

    const list = Effect.fn("ServiceKeys.list")(function* (actor: KeyManager) {
      yield* adminOnly(actor)
      return yield* repository.list
    })

    const revoke = Effect.fn("ServiceKeys.revoke")(function* (actor: KeyManager, id: ServiceKeyId) {
      yield* allowed(actor, "service_key.revoked", id)
      const at = yield* now
      const before = yield* repository.findById(id)
      if (Option.isNone(before)) return yield* new ServiceKeyNotFound({ message: `no service key with id ${id}` })
      if (before.value.revokedAt !== null) return before.value
      const revoked = yield* audit.audited(repository.revoke(id, at), (key) =>
        Option.isSome(key)
          ? entry(actor, "service_key.revoked", key.value, { before: { revoked: false }, after: { revoked: true } })
          : null
      )
      // Effective at once here (other instances: within KEY_CACHE_MS).
      for (const [presented, cached] of cache)
        if (Option.exists(cached.key, (k) => k.id === id)) cache.delete(presented)
      return Option.getOrElse(revoked, () => before.value)
    })

    const read = (presented: string, at: number) =>
      Effect.gen(function* () {
        const cached = cache.get(presented)
        if (cached !== undefined && at - cached.readAt < KEY_CACHE_MS) return cached.key
        const hash = serviceKeyHash(presented)
        const key = hash === undefined ? Option.none<ServiceKey>() : yield* repository.findByHash(hash)
        if (cache.size >= KEY_CACHE_MAX) cache.clear()
        if (hash !== undefined) cache.set(presented, { key, readAt: at })
        return key
      })

    /** Writes the key's use down (at most once a minute per instance), off the caller's path. */
    const noteUse = (key: ServiceKey, at: Date) => {
      const last = touched.get(key.id) ?? key.lastUsedAt
      if (!dueForTouch(last, at)) return Effect.void
      touched.set(key.id, at)
      return Effect.asVoid(Effect.forkIn(repository.touch(key.id, at), scope))
    }

    /** The caller behind an `authorization` header, or why there is none. */
    const authenticate = Effect.fn("ServiceKeys.authenticate")(function* (authorization: string | undefined) {
      const presented = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1]
      if (presented === undefined) return yield* ServiceKeyRejected.because("missing")
      const at = yield* Clock.currentTimeMillis
      const key = yield* read(presented, at)
      if (Option.isNone(key)) return yield* ServiceKeyRejected.because("unknown")
      const refused = unusable(key.value, new Date(at))
      if (refused !== undefined) return yield* ServiceKeyRejected.because(refused)
      yield* noteUse(key.value, new Date(at))
      return callerOf(key.value) satisfies ServiceCaller
    })

    return { create, list, revoke, authenticate } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
