import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { organizerApiKeysContract } from "../../../test/contracts/OrganizerApiKeysContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { OrganizerApiKeyRepositoryMemory } from "./OrganizerApiKeyRepositoryMemory.ts"
import { OrganizerApiKeyRepositoryPg } from "./OrganizerApiKeyRepositoryPg.ts"

organizerApiKeysContract("in-memory", OrganizerApiKeyRepositoryMemory)
organizerApiKeysContract("PostgreSQL", OrganizerApiKeyRepositoryPg.pipe(Layer.provide(TestDatabaseLive)))

layer(TestDatabaseLive, { timeout: "60 seconds", excludeTestServices: true })(
  "OrganizerApiKeyRepository on PostgreSQL: storage",
  (it) => {
    it.effect("the table refuses an access it does not know, an empty event list and a hash of the wrong shape", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const insert = (access: string, events: string | null, hash: string) =>
          sql`INSERT INTO organizer_api_keys (id, organizer_id, name, prefix, key_hash, access, events, created_at)
              VALUES (${crypto.randomUUID()}, ${crypto.randomUUID()}, 'k', 'gto_', ${hash}, ${access},
                ${events}::uuid[], now())`.pipe(
            Effect.as("stored"),
            Effect.catch(() => Effect.succeed("refused"))
          )
        const hash = () => crypto.randomUUID().replaceAll("-", "").repeat(2)
        expect(yield* insert("read", null, hash())).toBe("stored")
        expect(yield* insert("write", `{${crypto.randomUUID()}}`, hash())).toBe("stored")
        expect(yield* insert("admin", null, hash())).toBe("refused")
        expect(yield* insert("read", "{}", hash())).toBe("refused")
        expect(yield* insert("read", null, "not-a-hash")).toBe("refused")
      })
    )
  }
)
