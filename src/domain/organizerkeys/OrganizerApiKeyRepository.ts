import { Context, type Effect, type Option } from "effect"
import type { UserId } from "../shared/Ids.ts"
import type { OrganizerApiKey, OrganizerApiKeyId } from "./OrganizerApiKey.ts"

/**
 * Port: organizers' API keys. Only a key's hash is stored (the adapter is given it; the key itself never reaches
 * storage); `findByHash` is how a presented key is recognised. Every change names the organizer, so that nobody
 * reaches another organizer's key by its id.
 */
export interface OrganizerApiKeyRepositoryShape {
  /** Stores a new key under its hash (hashes are unique). */
  readonly insert: (key: OrganizerApiKey, hash: string) => Effect.Effect<void>
  readonly findByHash: (hash: string) => Effect.Effect<Option.Option<OrganizerApiKey>>
  /** The organizer's keys, revoked ones included, newest first. */
  readonly listFor: (organizerId: UserId) => Effect.Effect<ReadonlyArray<OrganizerApiKey>>
  /**
   * Revokes the organizer's key; the first revocation stands (revoking again changes nothing). None: the organizer
   * has no key with this id.
   */
  readonly revoke: (
    organizerId: UserId,
    id: OrganizerApiKeyId,
    at: Date
  ) => Effect.Effect<Option.Option<OrganizerApiKey>>
  /** Records a use: `lastUsedAt` only ever moves forward. */
  readonly touch: (id: OrganizerApiKeyId, at: Date) => Effect.Effect<void>
}

export class OrganizerApiKeyRepository extends Context.Service<
  OrganizerApiKeyRepository,
  OrganizerApiKeyRepositoryShape
>()("goticket/OrganizerApiKeyRepository") {}
