import { expect, layer } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer } from "effect"
import { SqlClient } from "effect/sql"
import {
  after,
  anEnvelope,
  anOrganizer,
  aStoredEndpoint,
  retire,
  T0,
  webhookRepositoryContract
} from "../../../test/contracts/WebhookRepositoryContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { WebhookRepository } from "../../domain/webhooks/WebhookRepository.ts"
import { UserRepositoryMemory } from "../accounts/UserRepositoryMemory.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { DatabaseKind } from "../sql/Database.ts"
import { WebhookRepositoryMemory } from "./WebhookRepositoryMemory.ts"
import { WebhookRepositoryPg } from "./WebhookRepositoryPg.ts"

webhookRepositoryContract("in-memory", Layer.mergeAll(WebhookRepositoryMemory, UserRepositoryMemory))

const RepositoriesPg = Layer.mergeAll(WebhookRepositoryPg, UserRepositoryPg)

webhookRepositoryContract("PostgreSQL", RepositoriesPg.pipe(Layer.provide(TestDatabaseLive)))

// Real concurrency on real PostgreSQL (on the embedded PGlite, one session, the claims run one after another).
layer(RepositoriesPg.pipe(Layer.provideMerge(TestDatabaseLive)), { timeout: "120 seconds", excludeTestServices: true })(
  "WebhookRepository on PostgreSQL: concurrent claimers",
  (it) => {
    it.effect("claimers racing for the same due deliveries never get the same one", () =>
      Effect.gen(function* () {
        const repo = yield* WebhookRepository
        const alice = yield* anOrganizer
        const endpoint = yield* aStoredEndpoint(alice)
        const envelopes = Array.from({ length: 40 }, () => anEnvelope())
        for (const envelope of envelopes) yield* repo.enqueue(envelope, alice, T0)

        const claims = yield* Effect.all(
          Array.from({ length: 8 }, () => repo.claimDue({ now: T0, leaseUntil: after(T0, 30_000), limit: 7 })),
          { concurrency: "unbounded" }
        )
        const ids = claims.flatMap((batch) => batch.map((c) => c.delivery.id))
        expect(new Set(ids).size).toBe(ids.length)
        expect(ids.length).toBeLessThanOrEqual(40)
        // Whatever was left unclaimed is still there for the next pass, and nothing is handed out twice.
        const rest = yield* repo.claimDue({ now: T0, leaseUntil: after(T0, 30_000), limit: 100 })
        const all = [...ids, ...rest.map((c) => c.delivery.id)]
        expect(new Set(all).size).toBe(40)
        expect(all).toHaveLength(40)
        yield* retire(endpoint)
      })
    )

    it.effect("a claim whose transaction is still open keeps its rows from a second claimer (SKIP LOCKED)", () =>
      Effect.gen(function* () {
        const repo = yield* WebhookRepository
        const sql = yield* SqlClient.SqlClient
        const alice = yield* anOrganizer
        const endpoint = yield* aStoredEndpoint(alice)
        for (let i = 0; i < 6; i++) yield* repo.enqueue(anEnvelope(), alice, T0)

        const firstClaimed = yield* Deferred.make<ReadonlyArray<string>>()
        const first = yield* Effect.forkChild(
          sql.withTransaction(
            repo.claimDue({ now: T0, leaseUntil: after(T0, 30_000), limit: 3 }).pipe(
              Effect.tap((claimed) =>
                Deferred.succeed(
                  firstClaimed,
                  claimed.map((c) => c.delivery.id)
                )
              ),
              // Hold the row locks a while, uncommitted.
              Effect.tap(() => Effect.sleep("300 millis"))
            )
          )
        )
        const held = yield* Deferred.await(firstClaimed)
        expect(held).toHaveLength(3)
        const second = yield* repo.claimDue({ now: T0, leaseUntil: after(T0, 30_000), limit: 10 })
        // On a server the second claimer skipped the locked rows instead of waiting for them.
        if ((yield* DatabaseKind) === "server") expect(first.pollUnsafe()).toBeUndefined()
        yield* Fiber.join(first)
        const secondIds = second.map((c) => c.delivery.id)
        expect(secondIds.filter((id) => held.includes(id))).toEqual([])
        expect(secondIds).toHaveLength(3)
        yield* retire(endpoint)
      }).pipe(Effect.orDie)
    )
  }
)
