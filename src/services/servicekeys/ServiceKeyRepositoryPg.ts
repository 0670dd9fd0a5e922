import { Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { ServiceKey, type ServiceKeyId, type ServiceScope } from "../../domain/servicekeys/ServiceKey.ts"
import { ServiceKeyRepository } from "../../domain/servicekeys/ServiceKeyRepository.ts"
import type { EventId, UserId } from "../../domain/shared/Ids.ts"

interface KeyRow {
  readonly id: string
  readonly name: string
  readonly prefix: string
  readonly scopes: ReadonlyArray<string>
  readonly doorEvents: ReadonlyArray<string>
  readonly createdBy: string | null
  readonly createdAt: Date
  readonly expiresAt: Date | null
  readonly lastUsedAt: Date | null
  readonly revokedAt: Date | null
}

const keyOf = (row: KeyRow) =>
  new ServiceKey(
    {
      id: row.id as ServiceKeyId,
      name: row.name,
      prefix: row.prefix,
      scopes: row.scopes as ReadonlyArray<ServiceScope>,
      doorEvents: row.doorEvents as ReadonlyArray<EventId>,
      createdBy: row.createdBy as UserId | null,
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
      lastUsedAt: row.lastUsedAt,
      revokedAt: row.revokedAt
    },
    { disableChecks: true }
  )

/** PostgreSQL array literals of values that need no quoting (scope names, UUIDs). */
const arrayLiteral = (items: ReadonlyArray<string>) => `{${items.join(",")}}`

/** The service keys in `service_keys` (migrations/0015_service_keys.sql). */
export const ServiceKeyRepositoryPg = Layer.effect(
  ServiceKeyRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columns = sql`id, name, prefix, scopes, door_events, created_by, created_at, expires_at, last_used_at,
      revoked_at`
    const one = (rows: ReadonlyArray<KeyRow>) => Option.map(Option.fromNullishOr(rows[0]), keyOf)

    return ServiceKeyRepository.of({
      insert: (key, hash) =>
        sql`INSERT INTO service_keys (id, name, prefix, key_hash, scopes, door_events, created_by, created_at,
              expires_at)
            VALUES (${key.id}, ${key.name}, ${key.prefix}, ${hash}, ${arrayLiteral(key.scopes)}::text[],
              ${arrayLiteral(key.doorEvents)}::uuid[], ${key.createdBy}, ${key.createdAt}, ${key.expiresAt})`.pipe(
          Effect.asVoid,
          Effect.orDie,
          Effect.withSpan("ServiceKeyRepository.insert")
        ),
      findByHash: (hash) =>
        sql<KeyRow>`SELECT ${columns} FROM service_keys WHERE key_hash = ${hash}`.pipe(
          Effect.map(one),
          Effect.orDie,
          Effect.withSpan("ServiceKeyRepository.findByHash")
        ),
      findById: (id) =>
        sql<KeyRow>`SELECT ${columns} FROM service_keys WHERE id = ${id}`.pipe(
          Effect.map(one),
          Effect.orDie,
          Effect.withSpan("ServiceKeyRepository.findById")
        ),
      list: sql<KeyRow>`SELECT ${columns} FROM service_keys ORDER BY created_at DESC, id DESC`.pipe(
        Effect.map((rows) => rows.map(keyOf)),
        Effect.orDie,
        Effect.withSpan("ServiceKeyRepository.list")
      ),
      revoke: (id, at) =>
        sql<KeyRow>`UPDATE service_keys SET revoked_at = coalesce(revoked_at, ${at}) WHERE id = ${id}
            RETURNING ${columns}`.pipe(Effect.map(one), Effect.orDie, Effect.withSpan("ServiceKeyRepository.revoke")),
      touch: (id, at) =>
        sql`UPDATE service_keys SET last_used_at = ${at}
            WHERE id = ${id} AND (last_used_at IS NULL OR last_used_at < ${at})`.pipe(
          Effect.asVoid,
          Effect.orDie,
          Effect.withSpan("ServiceKeyRepository.touch")
        )
    })
  })
)
