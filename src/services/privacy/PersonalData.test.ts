import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { personalDataContract } from "../../../test/contracts/PersonalDataContract.ts"
import { aUser } from "../../../test/contracts/UserRepositoryContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { ERASED_NAME, isErasedEmail, UNUSABLE_PASSWORD_HASH } from "../../domain/privacy/Erasure.ts"
import { PersonalData } from "../../domain/privacy/PersonalData.ts"
import type { WebhookId } from "../../domain/webhooks/Webhook.ts"
import { WebhookEndpoint } from "../../domain/webhooks/Webhook.ts"
import { WebhookRepository } from "../../domain/webhooks/WebhookRepository.ts"
import { makeScryptHasher } from "../accounts/ScryptPasswordHasher.ts"
import { SecurityTokensMemory } from "../accounts/SecurityTokensMemory.ts"
import { SecurityTokensPg } from "../accounts/SecurityTokensPg.ts"
import { TwoFactorRepositoryMemory } from "../accounts/TwoFactorRepositoryMemory.ts"
import { TwoFactorRepositoryPg } from "../accounts/TwoFactorRepositoryPg.ts"
import { UserRepositoryMemory } from "../accounts/UserRepositoryMemory.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { EventRepositoryMemory } from "../catalog/EventRepositoryMemory.ts"
import { EventRepositoryPg } from "../catalog/EventRepositoryPg.ts"
import { OrderRepositoryMemory } from "../orders/OrderRepositoryMemory.ts"
import { OrderRepositoryPg } from "../orders/OrderRepositoryPg.ts"
import { ReservationRepositoryMemory } from "../reservations/ReservationRepositoryMemory.ts"
import { ReservationRepositoryPg } from "../reservations/ReservationRepositoryPg.ts"
import { WebhookRepositoryMemory } from "../webhooks/WebhookRepositoryMemory.ts"
import { WebhookRepositoryPg } from "../webhooks/WebhookRepositoryPg.ts"
import { PersonalDataMemory } from "./PersonalDataMemory.ts"
import { PersonalDataPg } from "./PersonalDataPg.ts"

// The memory adapters each provide MemoryStoreLive; built together they share that one store.
personalDataContract(
  "in-memory",
  PersonalDataMemory.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        ReservationRepositoryMemory,
        OrderRepositoryMemory,
        EventRepositoryMemory,
        WebhookRepositoryMemory,
        SecurityTokensMemory,
        TwoFactorRepositoryMemory
      ).pipe(Layer.provideMerge(UserRepositoryMemory))
    )
  )
)

const RepositoriesPg = Layer.mergeAll(
  PersonalDataPg,
  UserRepositoryPg,
  EventRepositoryPg,
  ReservationRepositoryPg,
  OrderRepositoryPg,
  WebhookRepositoryPg,
  SecurityTokensPg,
  TwoFactorRepositoryPg
)

personalDataContract("PostgreSQL", RepositoriesPg.pipe(Layer.provide(TestDatabaseLive)))

// What only the real database can show: the account row itself, and what the schema holds at all.
layer(RepositoriesPg.pipe(Layer.provideMerge(TestDatabaseLive)), { timeout: "60 seconds", excludeTestServices: true })(
  "PersonalData on PostgreSQL: the erased row",
  (it) => {
    it.effect("keeps the row but nothing personal in it: the email is free again and no password opens it", () =>
      Effect.gen(function* () {
        const users = yield* UserRepository
        const sql = yield* SqlClient.SqlClient
        const ada = aUser({ name: "Ada Forgotten" })
        yield* users.insert(ada, "scrypt$1024$8$1$c2FsdA==$a2V5")
        const hook = new WebhookEndpoint({
          id: crypto.randomUUID() as WebhookId,
          organizerId: ada.id,
          url: "https://ada.example.com/hook",
          eventTypes: ["OrderConfirmed"],
          secret: Redacted.make("whsec_never_kept"),
          active: true,
          createdAt: new Date(),
          deactivatedAt: null
        })
        yield* (yield* WebhookRepository).register(hook)

        yield* (yield* PersonalData).erase(ada.id, new Date())

        const [row] = yield* sql<{ email: string; name: string; passwordHash: string; erasedAt: Date | null }>`
          SELECT email, name, password_hash, erased_at FROM users WHERE id = ${ada.id}`
        expect(isErasedEmail(row?.email ?? "")).toBe(true)
        expect(row).toMatchObject({ name: ERASED_NAME, passwordHash: UNUSABLE_PASSWORD_HASH })
        expect(row?.erasedAt).toBeInstanceOf(Date)
        const hasher = makeScryptHasher({ n: 1024, r: 8, p: 1 })
        expect(yield* hasher.verify(Redacted.make(""), UNUSABLE_PASSWORD_HASH)).toBe(false)
        expect(yield* hasher.verify(Redacted.make("!erased"), UNUSABLE_PASSWORD_HASH)).toBe(false)
        expect(Option.isNone(yield* users.findByEmail(ada.email))).toBe(true)
        // The address is free: its owner may register again, as a new account.
        yield* users.insert(aUser({ email: ada.email }), "h")
        expect(Option.isNone(yield* (yield* WebhookRepository).findById(hook.id))).toBe(true)
        const secrets = yield* sql`SELECT 1 FROM webhook_endpoints WHERE secret = 'whsec_never_kept'`
        expect(secrets).toHaveLength(0)
      })
    )

    it.effect("no column of the schema could hold card data (the platform never receives a card)", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const columns = yield* sql<{ tableName: string; columnName: string }>`
          SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`
        expect(columns.length).toBeGreaterThan(50)
        const suspicious = columns.filter((c) => /card|pan$|cvc|cvv|iban|expiry_(month|year)/i.test(c.columnName))
        expect(suspicious).toEqual([])
      })
    )
  }
)
