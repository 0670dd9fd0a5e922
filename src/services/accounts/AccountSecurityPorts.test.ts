import { createHash } from "node:crypto"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { aStoredUser, times } from "../../../test/contracts/RefreshTokensContract.ts"
import { securityTokensContract } from "../../../test/contracts/SecurityTokensContract.ts"
import { twoFactorRepositoryContract } from "../../../test/contracts/TwoFactorRepositoryContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { SecurityTokens } from "../../domain/accounts/SecurityTokens.ts"
import { TwoFactorRepository } from "../../domain/accounts/TwoFactorRepository.ts"
import { SecurityTokensMemory } from "./SecurityTokensMemory.ts"
import { SecurityTokensPg } from "./SecurityTokensPg.ts"
import { TwoFactorRepositoryMemory } from "./TwoFactorRepositoryMemory.ts"
import { TwoFactorRepositoryPg } from "./TwoFactorRepositoryPg.ts"
import { UserRepositoryMemory } from "./UserRepositoryMemory.ts"
import { UserRepositoryPg } from "./UserRepositoryPg.ts"

securityTokensContract("in-memory", Layer.mergeAll(SecurityTokensMemory, UserRepositoryMemory))
twoFactorRepositoryContract("in-memory", Layer.mergeAll(TwoFactorRepositoryMemory, UserRepositoryMemory))

const RepositoriesPg = Layer.mergeAll(SecurityTokensPg, TwoFactorRepositoryPg, UserRepositoryPg)
const OnPostgres = RepositoriesPg.pipe(Layer.provideMerge(TestDatabaseLive))

securityTokensContract("PostgreSQL", OnPostgres)
twoFactorRepositoryContract("PostgreSQL", OnPostgres)

layer(OnPostgres, { timeout: "60 seconds", excludeTestServices: true })(
  "SecurityTokens on PostgreSQL: storage",
  (it) => {
    it.effect("keeps only the SHA-256 of each token, never the token", () =>
      Effect.gen(function* () {
        const tokens = yield* SecurityTokens
        const sql = yield* SqlClient.SqlClient
        const userId = yield* aStoredUser
        const issued = yield* tokens.issue("password_reset", userId, times())
        const rows = yield* sql<Record<string, unknown>>`SELECT * FROM account_tokens WHERE user_id = ${userId}`
        expect(rows.map((row) => row.tokenHash)).toEqual([
          createHash("sha256").update(Redacted.value(issued.token)).digest("hex")
        ])
        expect(JSON.stringify(rows)).not.toContain(Redacted.value(issued.token).slice(4))
      }).pipe(Effect.orDie)
    )

    it.effect("an erased account keeps no reset link, challenge or two-factor secret", () =>
      Effect.gen(function* () {
        const tokens = yield* SecurityTokens
        const twoFactor = yield* TwoFactorRepository
        const sql = yield* SqlClient.SqlClient
        const userId = yield* aStoredUser
        const issued = yield* tokens.issue("password_reset", userId, times())
        yield* twoFactor.begin(userId, Redacted.make("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"), new Date())
        yield* sql`UPDATE users SET erased_at = now() WHERE id = ${userId}`
        expect(Option.isNone(yield* twoFactor.find(userId))).toBe(true)
        const refused = yield* Effect.flip(tokens.consume("password_reset", issued.token, new Date()))
        expect(refused.reason).toBe("invalid")
      }).pipe(Effect.orDie)
    )
  }
)
