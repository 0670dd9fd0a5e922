import { createHash } from "node:crypto"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { aStoredUser, refreshTokensContract, times } from "../../../test/contracts/RefreshTokensContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { RefreshTokens } from "../../domain/accounts/RefreshTokens.ts"
import { RefreshTokensMemory } from "./RefreshTokensMemory.ts"
import { RefreshTokensPg } from "./RefreshTokensPg.ts"
import { UserRepositoryMemory } from "./UserRepositoryMemory.ts"
import { UserRepositoryPg } from "./UserRepositoryPg.ts"

refreshTokensContract("in-memory", Layer.mergeAll(RefreshTokensMemory, UserRepositoryMemory))

const RepositoriesPg = Layer.mergeAll(RefreshTokensPg, UserRepositoryPg)

refreshTokensContract("PostgreSQL", RepositoriesPg.pipe(Layer.provide(TestDatabaseLive)))

layer(RepositoriesPg.pipe(Layer.provideMerge(TestDatabaseLive)), { timeout: "60 seconds", excludeTestServices: true })(
  "RefreshTokens on PostgreSQL: storage",
  (it) => {
    it.effect("keeps only the SHA-256 of each token, never the token", () =>
      Effect.gen(function* () {
        const tokens = yield* RefreshTokens
        const sql = yield* SqlClient.SqlClient
        const userId = yield* aStoredUser
        const issued = yield* tokens.issue(userId, times())
        const next = yield* tokens.rotate(issued.token, times(1))
        const rows = yield* sql<Record<string, unknown>>`SELECT * FROM refresh_tokens WHERE user_id = ${userId}`
        const sha256 = (token: Redacted.Redacted<string>) =>
          createHash("sha256").update(Redacted.value(token)).digest("hex")
        expect(rows.map((row) => row.tokenHash).sort()).toEqual([sha256(issued.token), sha256(next.token)].sort())
        const stored = JSON.stringify(rows)
        expect(stored).not.toContain(Redacted.value(issued.token).slice(4))
        expect(stored).not.toContain(Redacted.value(next.token).slice(4))
      }).pipe(Effect.orDie)
    )
  }
)
