import { expect, layer } from "@effect/vitest"
import { Effect, Exit, Layer, Option, Ref } from "effect"
import { SqlClient } from "effect/sql"
import { anEntry, auditLogContract, outcomeOf } from "../../../test/contracts/AuditLogContract.ts"
import { aUser } from "../../../test/contracts/UserRepositoryContract.ts"
import { memorySale } from "../../../test/support/MemorySale.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { AuditEntry, AuditLog } from "../../domain/audit/AuditLog.ts"
import { EventRepository } from "../../domain/catalog/EventRepository.ts"
import { Seat, Section } from "../../domain/catalog/Seating.ts"
import type { SeatId, SectionId } from "../../domain/shared/Ids.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { EventRepositoryPg } from "../catalog/EventRepositoryPg.ts"
import { AuditLogMemory } from "./AuditLogMemory.ts"
import { AuditLogPg } from "./AuditLogPg.ts"

auditLogContract("in-memory", AuditLogMemory)
auditLogContract("PostgreSQL", AuditLogPg.pipe(Layer.provide(TestDatabaseLive)))

const OnPostgres = Layer.mergeAll(AuditLogPg, UserRepositoryPg, EventRepositoryPg).pipe(
  Layer.provideMerge(TestDatabaseLive)
)

/** An entry the database refuses (its action breaks the table's CHECK); built unchecked, as no caller could. */
const refusedByTheDatabase = (eventId: string) =>
  new AuditEntry({ ...anEntry(), action: "Not A Dotted Action", eventId: eventId as never }, { disableChecks: true })

/** A two-seat map for the sale's GA type: one section, one row. */
const twoSeats = (sale: Effect.Success<ReturnType<typeof memorySale>>) => {
  const section = new Section({
    id: crypto.randomUUID() as SectionId,
    eventId: sale.event.id,
    name: "Main",
    position: 0
  })
  const seats = ["1", "2"].map(
    (label, position) =>
      new Seat({
        id: crypto.randomUUID() as SeatId,
        eventId: sale.event.id,
        sectionId: section.id,
        row: "A",
        rowPosition: 0,
        label,
        position,
        ticketTypeId: sale.ga.id,
        status: "available"
      })
  )
  return { sections: [section], seats }
}

layer(OnPostgres, { timeout: "120 seconds", excludeTestServices: true })("AuditLog on PostgreSQL", (it) => {
  it.effect("a record the database refuses rolls the change back: neither is kept", () =>
    Effect.gen(function* () {
      const audit = yield* AuditLog
      const users = yield* UserRepository
      const user = aUser()
      const exit = yield* Effect.exit(audit.audited(users.insert(user, "hash"), () => refusedByTheDatabase(user.id)))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(Option.isNone(yield* users.findById(user.id))).toBe(true)
    })
  )

  it.effect("a failing change writes no record, and what it did before failing is rolled back", () =>
    Effect.gen(function* () {
      const audit = yield* AuditLog
      const users = yield* UserRepository
      const user = aUser()
      const entry = anEntry({ resourceType: "user", resourceId: user.id })
      const exit = yield* Effect.exit(
        audit.audited(Effect.andThen(users.insert(user, "hash"), Effect.fail("refused" as const)), () => entry)
      )
      expect(outcomeOf(exit)).toStrictEqual(outcomeOf(Exit.fail("refused")))
      expect(Option.isNone(yield* users.findById(user.id))).toBe(true)
      expect((yield* audit.search({ resourceId: user.id }, { limit: 5 })).items).toEqual([])
    })
  )

  it.effect("a repository's own transaction inside the change becomes a savepoint (the seat map)", () =>
    Effect.gen(function* () {
      const audit = yield* AuditLog
      const events = yield* EventRepository
      const sale = yield* memorySale(10)
      const plan = twoSeats(sale)
      const seatCount = Effect.map(events.seatMap(sale.event.id), (map) => map.seats.length)

      // The outer transaction fails after the repository's inner one succeeded: both are rolled back.
      const failed = yield* Effect.exit(
        audit.audited(events.replaceSeating(sale.event.id, plan.sections, plan.seats), () =>
          refusedByTheDatabase(sale.event.id)
        )
      )
      expect(Exit.isFailure(failed)).toBe(true)
      expect(yield* seatCount).toBe(0)
      expect((yield* audit.search({ eventId: sale.event.id }, { limit: 5 })).items).toEqual([])

      // Both succeed: both are kept.
      yield* audit.audited(events.replaceSeating(sale.event.id, plan.sections, plan.seats), () =>
        anEntry({ eventId: sale.event.id, action: "event.seating_replaced", resourceId: sale.event.id })
      )
      expect(yield* seatCount).toBe(2)
      const [type] = yield* events.listTicketTypes(sale.event.id)
      expect(type).toMatchObject({ seated: true, capacity: 2 })
      const records = (yield* audit.search({ eventId: sale.event.id }, { limit: 5 })).items
      expect(records.map((r) => r.action)).toEqual(["event.seating_replaced"])
    })
  )

  it.effect("an inner savepoint that fails is undone alone; the rest of the change and its record are kept", () =>
    Effect.gen(function* () {
      const audit = yield* AuditLog
      const users = yield* UserRepository
      const sql = yield* SqlClient.SqlClient
      const [kept, undone] = [aUser(), aUser()]
      const entry = anEntry({ resourceType: "user", resourceId: kept.id })
      yield* audit.audited(
        Effect.gen(function* () {
          yield* Effect.exit(sql.withTransaction(Effect.andThen(users.insert(undone, "h"), Effect.fail("inner"))))
          yield* users.insert(kept, "h")
        }),
        () => entry
      )
      expect(Option.isSome(yield* users.findById(kept.id))).toBe(true)
      expect(Option.isNone(yield* users.findById(undone.id))).toBe(true)
      expect((yield* audit.search({ resourceId: kept.id }, { limit: 5 })).items).toHaveLength(1)
    })
  )

  it.effect("a serialization failure inside the change runs the whole transaction again, recorded once", () =>
    Effect.gen(function* () {
      const audit = yield* AuditLog
      const users = yield* UserRepository
      const sql = yield* SqlClient.SqlClient
      const attempts = yield* Ref.make(0)
      const user = aUser()
      const conflict = sql`DO $$ BEGIN RAISE EXCEPTION 'simulated conflict' USING ERRCODE = 'serialization_failure'; END $$`
      yield* audit.audited(
        Effect.gen(function* () {
          const attempt = yield* Ref.updateAndGet(attempts, (n) => n + 1)
          yield* users.insert(user, "h")
          if (attempt === 1) yield* Effect.orDie(conflict)
        }),
        () => anEntry({ resourceType: "user", resourceId: user.id })
      )
      expect(yield* Ref.get(attempts)).toBe(2)
      expect(Option.isSome(yield* users.findById(user.id))).toBe(true)
      expect((yield* audit.search({ resourceId: user.id }, { limit: 5 })).items).toHaveLength(1)
    })
  )

  it.effect("the table is append-only: UPDATE, DELETE and TRUNCATE fail and change nothing", () =>
    Effect.gen(function* () {
      const audit = yield* AuditLog
      const sql = yield* SqlClient.SqlClient
      const entry = anEntry()
      yield* audit.record(entry)
      const attempts = [
        sql`UPDATE audit_log SET outcome = 'denied' WHERE resource_id = ${entry.resourceId}`,
        sql`DELETE FROM audit_log WHERE resource_id = ${entry.resourceId}`,
        sql`TRUNCATE audit_log`
      ]
      for (const attempt of attempts) {
        const error = yield* Effect.flip(attempt)
        expect(error.reason.cause).toMatchObject({
          code: "42501",
          message: expect.stringMatching(/^audit_log is append-only/)
        })
      }
      const [record] = (yield* audit.search({ resourceId: entry.resourceId ?? "" }, { limit: 5 })).items
      expect(record?.outcome).toBe("success")
      // Nobody holds the privilege to change or remove records either (the triggers stop superusers too).
      const held = yield* sql<{ privilegeType: string }>`
        SELECT a.privilege_type FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.relname = 'audit_log' AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')`
      expect(held).toEqual([])
      // As text: the driver reads results in binary, which aclitem has no format for.
      const acl = yield* sql<{
        relacl: unknown
      }>`SELECT relacl::text AS relacl FROM pg_class WHERE relname = 'audit_log'`
      expect(acl[0]?.relacl).not.toBeNull()
    }).pipe(Effect.orDie)
  )
})
