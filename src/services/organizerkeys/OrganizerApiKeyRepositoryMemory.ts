import { Effect, Layer, Option, Ref } from "effect"
import { OrganizerApiKey } from "../../domain/organizerkeys/OrganizerApiKey.ts"
import { OrganizerApiKeyRepository } from "../../domain/organizerkeys/OrganizerApiKeyRepository.ts"

interface Stored {
  readonly key: OrganizerApiKey
  readonly hash: string
}

const updated = (key: OrganizerApiKey, fields: Partial<OrganizerApiKey>) => new OrganizerApiKey({ ...key, ...fields })

/** The in-memory twin of OrganizerApiKeyRepositoryPg. */
export const OrganizerApiKeyRepositoryMemory = Layer.effect(
  OrganizerApiKeyRepository,
  Effect.gen(function* () {
    const rows = yield* Ref.make<ReadonlyMap<string, Stored>>(new Map())
    const change = (
      id: string,
      matches: (key: OrganizerApiKey) => boolean,
      f: (key: OrganizerApiKey) => OrganizerApiKey
    ) =>
      Ref.modify(rows, (all): [Option.Option<OrganizerApiKey>, ReadonlyMap<string, Stored>] => {
        const stored = all.get(id)
        if (stored === undefined || !matches(stored.key)) return [Option.none(), all]
        const key = f(stored.key)
        return [Option.some(key), new Map(all).set(id, { ...stored, key })]
      })

    return OrganizerApiKeyRepository.of({
      insert: (key, hash) => Ref.update(rows, (all) => new Map(all).set(key.id, { key, hash })),
      findByHash: (hash) =>
        Effect.map(Ref.get(rows), (all) =>
          Option.map(Option.fromNullishOr([...all.values()].find((s) => s.hash === hash)), (s) => s.key)
        ),
      listFor: (organizerId) =>
        Effect.map(Ref.get(rows), (all) =>
          [...all.values()]
            .map((s) => s.key)
            .filter((k) => k.organizerId === organizerId)
            .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
        ),
      revoke: (organizerId, id, at) =>
        change(
          id,
          (key) => key.organizerId === organizerId,
          (key) => (key.revokedAt === null ? updated(key, { revokedAt: at }) : key)
        ),
      touch: (id, at) =>
        Effect.asVoid(
          change(
            id,
            () => true,
            (key) =>
              key.lastUsedAt === null || key.lastUsedAt.getTime() < at.getTime()
                ? updated(key, { lastUsedAt: at })
                : key
          )
        )
    })
  })
)
