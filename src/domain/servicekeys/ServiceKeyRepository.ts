import { Context, type Effect, type Option } from "effect"
import type { ServiceKey, ServiceKeyId } from "./ServiceKey.ts"

/**
 * Port: the service keys. Only a key's hash is stored (the adapter is given it; the key itself never reaches
 * storage); `findByHash` is how a presented key is recognised.
 */
export interface ServiceKeyRepositoryShape {
  /** Stores a new key under its hash (hashes are unique). */
  readonly insert: (key: ServiceKey, hash: string) => Effect.Effect<void>
  readonly findByHash: (hash: string) => Effect.Effect<Option.Option<ServiceKey>>
  readonly findById: (id: ServiceKeyId) => Effect.Effect<Option.Option<ServiceKey>>
  /** Every key, revoked ones included, newest first. */
  readonly list: Effect.Effect<ReadonlyArray<ServiceKey>>
  /** Revokes the key; the first revocation stands (revoking again changes nothing). None: no such key. */
  readonly revoke: (id: ServiceKeyId, at: Date) => Effect.Effect<Option.Option<ServiceKey>>
  /** Records a use: `lastUsedAt` only ever moves forward. */
  readonly touch: (id: ServiceKeyId, at: Date) => Effect.Effect<void>
}

export class ServiceKeyRepository extends Context.Service<ServiceKeyRepository, ServiceKeyRepositoryShape>()(
  "goticket/ServiceKeyRepository"
) {}
