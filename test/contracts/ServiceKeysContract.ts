import { expect, it } from "@effect/vitest"
import { Effect, type Layer, Option } from "effect"
import { ServiceKey, type ServiceKeyId } from "../../src/domain/servicekeys/ServiceKey.ts"
import { ServiceKeyRepository } from "../../src/domain/servicekeys/ServiceKeyRepository.ts"
import type { EventId, UserId } from "../../src/domain/shared/Ids.ts"

/* Times are the caller's: both adapters run on the same fixed instants. */
export const T0 = new Date("2027-03-01T12:00:00.000Z")
const MINUTE = 60_000
export const at = (minutes: number) => new Date(T0.getTime() + minutes * MINUTE)

let n = 0
/** A key as the service would store it, and a hash of the right shape (64 hex digits) for it. */
export const aKey = (fields: Partial<ConstructorParameters<typeof ServiceKey>[0]> = {}) => {
  n++
  const key = new ServiceKey({
    id: crypto.randomUUID() as ServiceKeyId,
    name: `key ${n}`,
    prefix: "gtk_abcdefgh",
    scopes: ["booking:write"],
    doorEvents: [],
    createdBy: crypto.randomUUID() as UserId,
    createdAt: at(n),
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    ...fields
  })
  const hash = `${crypto.randomUUID().replaceAll("-", "")}${crypto.randomUUID().replaceAll("-", "")}`
  return { key, hash }
}

/** One contract, every adapter: what any ServiceKeyRepository must do. */
export const serviceKeysContract = (name: string, layer: Layer.Layer<ServiceKeyRepository>) =>
  it.layer(layer, { timeout: "60 seconds" })(`ServiceKeyRepository contract: ${name}`, (it) => {
    it.effect("finds a key by its hash and by its id, as it was stored", () =>
      Effect.gen(function* () {
        const keys = yield* ServiceKeyRepository
        const event = crypto.randomUUID() as EventId
        const { key, hash } = aKey({
          scopes: ["door:scan", "inventory:read"],
          doorEvents: [event],
          expiresAt: at(60 * 24)
        })
        yield* keys.insert(key, hash)
        expect(Option.getOrThrow(yield* keys.findByHash(hash))).toEqual(key)
        expect(Option.getOrThrow(yield* keys.findById(key.id))).toEqual(key)
        expect(Option.isNone(yield* keys.findByHash("0".repeat(64)))).toBe(true)
        expect(Option.isNone(yield* keys.findById(crypto.randomUUID() as ServiceKeyId))).toBe(true)
      })
    )

    it.effect("lists every key, revoked ones too, newest first", () =>
      Effect.gen(function* () {
        const keys = yield* ServiceKeyRepository
        const older = aKey()
        const newer = aKey()
        yield* keys.insert(older.key, older.hash)
        yield* keys.insert(newer.key, newer.hash)
        yield* keys.revoke(older.key.id, at(1000))
        const ids = (yield* keys.list).map((k) => k.id)
        expect(ids.indexOf(newer.key.id)).toBeGreaterThanOrEqual(0)
        expect(ids.indexOf(newer.key.id)).toBeLessThan(ids.indexOf(older.key.id))
      })
    )

    it.effect("revokes once: the first revocation stands, an unknown key is none", () =>
      Effect.gen(function* () {
        const keys = yield* ServiceKeyRepository
        const { key, hash } = aKey()
        yield* keys.insert(key, hash)
        const first = yield* keys.revoke(key.id, at(100))
        expect(Option.getOrThrow(first).revokedAt).toEqual(at(100))
        const again = yield* keys.revoke(key.id, at(200))
        expect(Option.getOrThrow(again).revokedAt).toEqual(at(100))
        expect(Option.getOrThrow(yield* keys.findByHash(hash)).revokedAt).toEqual(at(100))
        expect(Option.isNone(yield* keys.revoke(crypto.randomUUID() as ServiceKeyId, at(100)))).toBe(true)
      })
    )

    it.effect("records uses: the last-used time only moves forward", () =>
      Effect.gen(function* () {
        const keys = yield* ServiceKeyRepository
        const { key, hash } = aKey()
        yield* keys.insert(key, hash)
        yield* keys.touch(key.id, at(10))
        yield* keys.touch(key.id, at(5))
        expect(Option.getOrThrow(yield* keys.findById(key.id)).lastUsedAt).toEqual(at(10))
        yield* keys.touch(key.id, at(20))
        expect(Option.getOrThrow(yield* keys.findById(key.id)).lastUsedAt).toEqual(at(20))
        // Touching a key that does not exist changes nothing and does not fail.
        yield* keys.touch(crypto.randomUUID() as ServiceKeyId, at(20))
      })
    )
  })
