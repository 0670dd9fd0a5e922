import { createHash } from "node:crypto"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { serviceKeysContract } from "../../../test/contracts/ServiceKeysContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { ServiceKeyRepository } from "../../domain/servicekeys/ServiceKeyRepository.ts"
import { serviceKeyHash } from "./ServiceKeyFormat.ts"
import { ServiceKeyRepositoryMemory } from "./ServiceKeyRepositoryMemory.ts"
import { ServiceKeyRepositoryPg } from "./ServiceKeyRepositoryPg.ts"

serviceKeysContract("in-memory", ServiceKeyRepositoryMemory)
serviceKeysContract("PostgreSQL", ServiceKeyRepositoryPg.pipe(Layer.provide(TestDatabaseLive)))

layer(ServiceKeyRepositoryPg.pipe(Layer.provideMerge(TestDatabaseLive)), {
  timeout: "60 seconds",
  excludeTestServices: true
})("ServiceKeyRepository on PostgreSQL: storage", (it) => {
  it.effect("the table refuses a door key without events and scopes it does not know", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const insert = (scopes: string, events: string) =>
        sql`INSERT INTO service_keys (id, name, prefix, key_hash, scopes, door_events, created_at)
            VALUES (${crypto.randomUUID()}, 'k', 'gtk_', ${"a".repeat(64)}, ${scopes}::text[], ${events}::uuid[], now())`.pipe(
          Effect.as("stored"),
          Effect.catch(() => Effect.succeed("refused"))
        )
      expect(yield* insert("{door:scan}", "{}")).toBe("refused")
      expect(yield* insert("{root}", "{}")).toBe("refused")
      expect(yield* insert("{}", "{}")).toBe("refused")
    })
  )

  it.effect("keeps only the SHA-256 of a key", () =>
    Effect.gen(function* () {
      yield* ServiceKeyRepository
      const secret = Redacted.make(`gtk_${"A".repeat(43)}`)
      expect(serviceKeyHash(Redacted.value(secret))).toBe(
        createHash("sha256").update(Redacted.value(secret)).digest("hex")
      )
      expect(serviceKeyHash("gtk_short")).toBeUndefined()
      expect(serviceKeyHash(`gtr_${"A".repeat(43)}`)).toBeUndefined()
    })
  )
})
