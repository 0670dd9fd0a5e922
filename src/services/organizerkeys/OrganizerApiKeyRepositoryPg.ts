import { Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import {
  OrganizerApiKey,
  type OrganizerApiKeyId,
  type OrganizerKeyAccess
} from "../../domain/organizerkeys/OrganizerApiKey.ts"
import { OrganizerApiKeyRepository } from "../../domain/organizerkeys/OrganizerApiKeyRepository.ts"
import type { EventId, UserId } from "../../domain/shared/Ids.ts"

interface KeyRow {
  readonly id: string
  readonly organizerId: string
  readonly name: string
  readonly prefix: string
  readonly access: string
  readonly events: ReadonlyArray<string> | null
  readonly createdAt: Date
  readonly expiresAt: Date | null
  readonly lastUsedAt: Date | null
  readonly revokedAt: Date | null
}

const keyOf = (row: KeyRow) =>
  new OrganizerApiKey(
    {
      id: row.id as OrganizerApiKeyId,
      organizerId: row.organizerId as UserId,
      name: row.name,
      prefix: row.prefix,
      access: row.access as OrganizerKeyAccess,
      events: row.events as ReadonlyArray<EventId> | null,
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
      lastUsedAt: row.lastUsedAt,
      revokedAt: row.revokedAt
    },
    { disableChecks: true }
  )

/** PostgreSQL array literal of UUIDs (no quoting needed), or null. */
const uuidArray = (items: ReadonlyArray<string> | null) => (items === null ? null : `{${items.join(",")}}`)

/** Organizers' API keys in `organizer_api_keys` (migrations/0021_organizer_api_keys.sql). */
export const OrganizerApiKeyRepositoryPg = Layer.effect(
  OrganizerApiKeyRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columns = sql`id, organizer_id, name, prefix, access, events, created_at, expires_at, last_used_at,
      revoked_at`
    const one = (rows: ReadonlyArray<KeyRow>) => Option.map(Option.fromNullishOr(rows[0]), keyOf)

    return OrganizerApiKeyRepository.of({
      insert: (key, hash) =>
        sql`INSERT INTO organizer_api_keys (id, organizer_id, name, prefix, key_hash, access, events, created_at,
              expires_at)
            VALUES (${key.id}, ${key.organizerId}, ${key.name}, ${key.prefix}, ${hash}, ${key.access},
              ${uuidArray(key.events)}::uuid[], ${key.createdAt}, ${key.expiresAt})`.pipe(
          Effect.asVoid,
          Effect.orDie,
          Effect.withSpan("OrganizerApiKeyRepository.insert")
        ),
      findByHash: (hash) =>
        sql<KeyRow>`SELECT ${columns} FROM organizer_api_keys WHERE key_hash = ${hash}`.pipe(
          Effect.map(one),
          Effect.orDie,
          Effect.withSpan("OrganizerApiKeyRepository.findByHash")
        ),
      listFor: (organizerId) =>
        sql<KeyRow>`SELECT ${columns} FROM organizer_api_keys WHERE organizer_id = ${organizerId}
            ORDER BY created_at DESC, id DESC`.pipe(
          Effect.map((rows) => rows.map(keyOf)),
          Effect.orDie,
          Effect.withSpan("OrganizerApiKeyRepository.listFor")
        ),
      revoke: (organizerId, id, at) =>
        sql<KeyRow>`UPDATE organizer_api_keys SET revoked_at = coalesce(revoked_at, ${at})
            WHERE id = ${id} AND organizer_id = ${organizerId}
            RETURNING ${columns}`.pipe(
          Effect.map(one),
          Effect.orDie,
          Effect.withSpan("OrganizerApiKeyRepository.revoke")
        ),
      touch: (id, at) =>
        sql`UPDATE organizer_api_keys SET last_used_at = ${at}
            WHERE id = ${id} AND (last_used_at IS NULL OR last_used_at < ${at})`.pipe(
          Effect.asVoid,
          Effect.orDie,
          Effect.withSpan("OrganizerApiKeyRepository.touch")
        )
    })
  })
)
