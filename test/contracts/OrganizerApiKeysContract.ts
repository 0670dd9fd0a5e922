import { expect, it } from "@effect/vitest"
import { Effect, type Layer, Option } from "effect"
import { OrganizerApiKey, type OrganizerApiKeyId } from "../../src/domain/organizerkeys/OrganizerApiKey.ts"
import { OrganizerApiKeyRepository } from "../../src/domain/organizerkeys/OrganizerApiKeyRepository.ts"
import type { EventId, UserId } from "../../src/domain/shared/Ids.ts"

/* Times are the caller's: both adapters run on the same fixed instants. */
export const T0 = new Date("2027-04-01T12:00:00.000Z")
const MINUTE = 60_000
export const at = (minutes: number) => new Date(T0.getTime() + minutes * MINUTE)

let n = 0
/** A key as the service would store it, and a hash of the right shape (64 hex digits) for it. */
export const anApiKey = (fields: Partial<ConstructorParameters<typeof OrganizerApiKey>[0]> = {}) => {
  n++
  const key = new OrganizerApiKey({
    id: crypto.randomUUID() as OrganizerApiKeyId,
    organizerId: crypto.randomUUID() as UserId,
    name: `integration ${n}`,
    prefix: "gto_abcdefgh",
    access: "read",
    events: null,
    createdAt: at(n),
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    ...fields
  })
  const hash = `${crypto.randomUUID().replaceAll("-", "")}${crypto.randomUUID().replaceAll("-", "")}`
  return { key, hash }
}

/** One contract, every adapter: what any OrganizerApiKeyRepository must do. */
export const organizerApiKeysContract = (name: string, layer: Layer.Layer<OrganizerApiKeyRepository>) =>
  it.layer(layer, { timeout: "60 seconds" })(`OrganizerApiKeyRepository contract: ${name}`, (it) => {
    it.effect("finds a key by its hash, as it was stored (all events, or a list of them)", () =>
      Effect.gen(function* () {
        const keys = yield* OrganizerApiKeyRepository
        const events = [crypto.randomUUID() as EventId, crypto.randomUUID() as EventId]
        const listed = anApiKey({ access: "write", events, expiresAt: at(60 * 24) })
        const all = anApiKey()
        yield* keys.insert(listed.key, listed.hash)
        yield* keys.insert(all.key, all.hash)
        expect(Option.getOrThrow(yield* keys.findByHash(listed.hash))).toEqual(listed.key)
        expect(Option.getOrThrow(yield* keys.findByHash(all.hash))).toEqual(all.key)
        expect(Option.isNone(yield* keys.findByHash("0".repeat(64)))).toBe(true)
      })
    )

    it.effect("lists one organizer's keys only, revoked ones too, newest first", () =>
      Effect.gen(function* () {
        const keys = yield* OrganizerApiKeyRepository
        const organizerId = crypto.randomUUID() as UserId
        const older = anApiKey({ organizerId })
        const newer = anApiKey({ organizerId })
        const someoneElses = anApiKey()
        for (const k of [older, newer, someoneElses]) yield* keys.insert(k.key, k.hash)
        yield* keys.revoke(organizerId, older.key.id, at(1000))
        const listed = yield* keys.listFor(organizerId)
        expect(listed.map((k) => k.id)).toEqual([newer.key.id, older.key.id])
        expect(listed[1]?.revokedAt).toEqual(at(1000))
      })
    )

    it.effect("revokes once, and only for the key's organizer", () =>
      Effect.gen(function* () {
        const keys = yield* OrganizerApiKeyRepository
        const { key, hash } = anApiKey()
        yield* keys.insert(key, hash)
        const stranger = crypto.randomUUID() as UserId
        expect(Option.isNone(yield* keys.revoke(stranger, key.id, at(50)))).toBe(true)
        expect(Option.getOrThrow(yield* keys.findByHash(hash)).revokedAt).toBeNull()
        const first = yield* keys.revoke(key.organizerId, key.id, at(100))
        expect(Option.getOrThrow(first).revokedAt).toEqual(at(100))
        const again = yield* keys.revoke(key.organizerId, key.id, at(200))
        expect(Option.getOrThrow(again).revokedAt).toEqual(at(100))
        expect(Option.getOrThrow(yield* keys.findByHash(hash)).revokedAt).toEqual(at(100))
        const unknown = crypto.randomUUID() as OrganizerApiKeyId
        expect(Option.isNone(yield* keys.revoke(key.organizerId, unknown, at(100)))).toBe(true)
      })
    )

    it.effect("records uses: the last-used time only moves forward", () =>
      Effect.gen(function* () {
        const keys = yield* OrganizerApiKeyRepository
        const { key, hash } = anApiKey()
        yield* keys.insert(key, hash)
        yield* keys.touch(key.id, at(10))
        yield* keys.touch(key.id, at(5))
        expect(Option.getOrThrow(yield* keys.findByHash(hash)).lastUsedAt).toEqual(at(10))
        yield* keys.touch(key.id, at(20))
        expect(Option.getOrThrow(yield* keys.findByHash(hash)).lastUsedAt).toEqual(at(20))
        yield* keys.touch(crypto.randomUUID() as OrganizerApiKeyId, at(20))
      })
    )
  })
