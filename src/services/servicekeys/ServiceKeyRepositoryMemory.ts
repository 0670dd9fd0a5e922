import { Effect, Layer, Option, Ref } from "effect"
import { ServiceKey } from "../../domain/servicekeys/ServiceKey.ts"
import { ServiceKeyRepository } from "../../domain/servicekeys/ServiceKeyRepository.ts"

interface Stored {
  readonly key: ServiceKey
  readonly hash: string
}

const updated = (key: ServiceKey, fields: Partial<ServiceKey>) => new ServiceKey({ ...key, ...fields })

/** The in-memory twin of ServiceKeyRepositoryPg. */
export const ServiceKeyRepositoryMemory = Layer.effect(
  ServiceKeyRepository,
  Effect.gen(function* () {
    const rows = yield* Ref.make<ReadonlyMap<string, Stored>>(new Map())
    const find = (matches: (stored: Stored) => boolean) =>
      Effect.map(Ref.get(rows), (all) =>
        Option.map(Option.fromNullishOr([...all.values()].find(matches)), (s) => s.key)
      )
    const change = (id: string, f: (key: ServiceKey) => ServiceKey) =>
      Ref.modify(rows, (all): [Option.Option<ServiceKey>, ReadonlyMap<string, Stored>] => {
        const stored = all.get(id)
        if (stored === undefined) return [Option.none(), all]
        const key = f(stored.key)
        return [Option.some(key), new Map(all).set(id, { ...stored, key })]
      })

    return ServiceKeyRepository.of({
      insert: (key, hash) => Ref.update(rows, (all) => new Map(all).set(key.id, { key, hash })),
      findByHash: (hash) => find((s) => s.hash === hash),
      findById: (id) => find((s) => s.key.id === id),
      list: Effect.map(Ref.get(rows), (all) =>
        [...all.values()]
          .map((s) => s.key)
          .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      ),
      revoke: (id, at) => change(id, (key) => (key.revokedAt === null ? updated(key, { revokedAt: at }) : key)),
      touch: (id, at) =>
        Effect.asVoid(
          change(id, (key) =>
            key.lastUsedAt === null || key.lastUsedAt.getTime() < at.getTime() ? updated(key, { lastUsedAt: at }) : key
          )
        )
    })
  })
)
