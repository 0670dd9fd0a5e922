import { expect, layer } from "@effect/vitest"
import { Effect, Exit, type Layer, Logger, References, Schema } from "effect"
import { AuditContext } from "../../src/domain/audit/AuditContext.ts"
import { AuditEntry, AuditLog, type AuditRecord, bySystem } from "../../src/domain/audit/AuditLog.ts"
import type { EventId, UserId } from "../../src/domain/shared/Ids.ts"

/*
 * One database per file: every test works on its own event id or resource id, so that the others' records never
 * show up in what it searches.
 */

export const ORIGIN = { ip: "203.0.113.7", userAgent: "contract-test/1.0", requestId: "req-contract-1" }

/** An entry about a fresh resource of a fresh event, by a fresh organizer, unless overridden. */
export const anEntry = (overrides: Partial<ConstructorParameters<typeof AuditEntry>[0]> = {}) =>
  new AuditEntry({
    action: "event.published",
    outcome: "success",
    actorId: crypto.randomUUID() as UserId,
    actorRole: "organizer",
    resourceType: "event",
    resourceId: crypto.randomUUID(),
    eventId: crypto.randomUUID() as EventId,
    summary: { before: { status: "draft" }, after: { status: "published", capacity: 100 } },
    ...overrides
  })

class ChangeRefused extends Schema.TaggedError<ChangeRefused>()("ChangeRefused", {}) {}

/** Everything logged while `effect` runs, with its annotations. */
const capturingLogs = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const lines: Array<{ message: unknown; annotations: Record<string, unknown> }> = []
    const logger = Logger.make(({ message, fiber }) => {
      lines.push({ message, annotations: { ...fiber.getRef(References.CurrentLogAnnotations) } })
    })
    const result = yield* Effect.provide(effect, Logger.layer([logger]))
    return { result, lines: [...lines] }
  })

/**
 * What an exit came to, comparable with toStrictEqual: its value, or each reason of its cause with the error or
 * defect. (A v4 cause also carries the trace of the span it failed in, which differs from run to run.)
 */
export const outcomeOf = <A, E>(exit: Exit.Exit<A, E>) =>
  Exit.isSuccess(exit)
    ? { success: exit.value }
    : exit.cause.reasons.map((reason) =>
        reason._tag === "Fail"
          ? { fail: reason.error }
          : reason._tag === "Die"
            ? { die: reason.defect }
            : { interrupt: reason.fiberId }
      )

const messageOf = (line: { message: unknown }) => (Array.isArray(line.message) ? line.message[0] : line.message)

/** One contract, every adapter: what any AuditLog must do. */
export const auditLogContract = (name: string, adapters: Layer.Layer<AuditLog>) =>
  layer(adapters, { timeout: "60 seconds", excludeTestServices: true })(`AuditLog contract: ${name}`, (it) => {
    it.effect("stamps a record with its time, the request's origin and the current trace", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const entry = anEntry()
        const before = Date.now()
        const traceId = yield* Effect.gen(function* () {
          yield* audit.record(entry)
          return (yield* Effect.currentSpan).traceId
        }).pipe(Effect.withSpan("contract.request"), Effect.provideService(AuditContext, ORIGIN))
        const page = yield* audit.search({ eventId: entry.eventId ?? undefined }, { limit: 10 })
        expect(page.items).toHaveLength(1)
        const record = page.items[0] as AuditRecord
        expect(record).toMatchObject({
          action: "event.published",
          outcome: "success",
          actorId: entry.actorId,
          actorRole: "organizer",
          resourceType: "event",
          resourceId: entry.resourceId,
          eventId: entry.eventId,
          summary: { before: { status: "draft" }, after: { status: "published", capacity: 100 } },
          ...ORIGIN,
          traceId
        })
        expect(record.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
        expect(record.at.getTime()).toBeGreaterThanOrEqual(before)
        expect(record.at.getTime()).toBeLessThanOrEqual(Date.now())
      })
    )

    it.effect("outside any request, the origin is unknown and the record still kept", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const entry = anEntry({ ...bySystem, action: "order.refund_completed", resourceType: "refund" })
        yield* audit.record(entry)
        const [record] = (yield* audit.search({ resourceId: entry.resourceId ?? "" }, { limit: 10 })).items
        expect(record).toMatchObject({ actorId: null, actorRole: "system", ip: null, userAgent: null, requestId: null })
      })
    )

    it.effect("audited: runs the change, answers its result and records what describe makes of it", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const entry = anEntry()
        const result = yield* audit.audited(Effect.succeed({ capacity: 250 }), (changed) =>
          anEntry({ ...entry, summary: { after: { capacity: changed.capacity } } })
        )
        expect(result).toEqual({ capacity: 250 })
        const page = yield* audit.search({ eventId: entry.eventId ?? undefined }, { limit: 10 })
        expect(page.items.map((r) => r.summary)).toEqual([{ after: { capacity: 250 } }])
      })
    )

    it.effect("a change that fails keeps its error and writes no record", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const entry = anEntry()
        const exit = yield* Effect.exit(audit.audited(Effect.fail(new ChangeRefused()), () => entry))
        expect(outcomeOf(exit)).toStrictEqual(outcomeOf(Exit.fail(new ChangeRefused())))
        const died = yield* Effect.exit(audit.audited(Effect.die(new Error("boom")), () => entry))
        expect(Exit.isFailure(died)).toBe(true)
        expect((yield* audit.search({ eventId: entry.eventId ?? undefined }, { limit: 10 })).items).toEqual([])
      })
    )

    it.effect("describe answering null records nothing (a retry that changed nothing)", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const eventId = crypto.randomUUID() as EventId
        expect(yield* audit.audited(Effect.succeed(7), () => null)).toBe(7)
        expect((yield* audit.search({ eventId }, { limit: 10 })).items).toEqual([])
      })
    )

    it.effect("writes one structured log line per record once it is stored, none for a failed change", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const entry = anEntry()
        const { lines } = yield* capturingLogs(
          Effect.gen(function* () {
            yield* audit.audited(Effect.succeed("ok"), () => entry)
            yield* Effect.exit(audit.audited(Effect.fail(new ChangeRefused()), () => anEntry()))
          }).pipe(Effect.provideService(AuditContext, ORIGIN))
        )
        const audits = lines.filter((line) => messageOf(line) === "audit")
        expect(audits).toHaveLength(1)
        const [stored] = (yield* audit.search({ eventId: entry.eventId ?? undefined }, { limit: 1 })).items
        expect(audits[0]?.annotations).toMatchObject({
          auditId: stored?.id,
          action: "event.published",
          outcome: "success",
          actorId: entry.actorId,
          actorRole: "organizer",
          resourceType: "event",
          resourceId: entry.resourceId,
          eventId: entry.eventId,
          summary: entry.summary,
          ...ORIGIN
        })
      })
    )

    it.effect("keeps no secrets or personal data in a summary, and keeps it small", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const entry = anEntry({
          summary: {
            before: { email: "ada@example.com", passwordHash: "scrypt$…", status: "draft" },
            after: {
              status: "published",
              accessToken: "eyJ…",
              ticketCode: "GT1.abc",
              webhookSecret: "whsec_x",
              name: "Ada Lovelace",
              title: "x".repeat(500),
              ticketIds: Array.from({ length: 150 }, (_, i) => `t${i}`)
            }
          }
        })
        yield* audit.record(entry)
        const [record] = (yield* audit.search({ eventId: entry.eventId ?? undefined }, { limit: 1 })).items
        expect(record?.summary.before).toEqual({ status: "draft" })
        expect(Object.keys(record?.summary.after ?? {}).sort()).toEqual(["status", "ticketIds", "title"])
        expect(String(record?.summary.after?.title).length).toBeLessThanOrEqual(200)
        expect(record?.summary.after?.ticketIds).toHaveLength(100)
      })
    )

    it.effect("filters by actor, action, resource, event and time, newest first", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const eventId = crypto.randomUUID() as EventId
        const alice = crypto.randomUUID() as UserId
        const bob = crypto.randomUUID() as UserId
        const ticketTypeId = crypto.randomUUID()
        const entries = [
          anEntry({ eventId, actorId: alice, action: "event.created", resourceId: eventId }),
          anEntry({
            eventId,
            actorId: alice,
            action: "ticket_type.added",
            resourceType: "ticket_type",
            resourceId: ticketTypeId
          }),
          anEntry({
            eventId,
            actorId: bob,
            action: "ticket_type.updated",
            resourceType: "ticket_type",
            resourceId: ticketTypeId
          }),
          anEntry({ eventId, actorId: alice, action: "event.published", resourceId: eventId })
        ]
        const stored: Array<AuditRecord> = []
        for (const entry of entries) {
          yield* audit.record(entry)
          // Distinct milliseconds, so that the time filters below have something to tell apart.
          yield* Effect.sleep("3 millis")
          const [last] = (yield* audit.search({ eventId }, { limit: 1 })).items
          if (last) stored.push(last)
        }
        const actions = (filter: Parameters<typeof audit.search>[0]) =>
          Effect.map(audit.search({ eventId, ...filter }, { limit: 50 }), (page) => page.items.map((r) => r.action))

        expect(yield* actions({})).toEqual([
          "event.published",
          "ticket_type.updated",
          "ticket_type.added",
          "event.created"
        ])
        expect(yield* actions({ actorId: alice })).toEqual(["event.published", "ticket_type.added", "event.created"])
        expect(yield* actions({ actorId: bob })).toEqual(["ticket_type.updated"])
        expect(yield* actions({ action: "ticket_type.added" })).toEqual(["ticket_type.added"])
        expect(yield* actions({ resourceType: "ticket_type" })).toEqual(["ticket_type.updated", "ticket_type.added"])
        expect(yield* actions({ resourceType: "ticket_type", resourceId: ticketTypeId, actorId: bob })).toEqual([
          "ticket_type.updated"
        ])
        const second = stored[1] as AuditRecord
        expect(yield* actions({ from: second.at })).toEqual([
          "event.published",
          "ticket_type.updated",
          "ticket_type.added"
        ])
        expect(yield* actions({ to: second.at })).toEqual(["ticket_type.added", "event.created"])
        expect(yield* actions({ from: second.at, to: second.at })).toEqual(["ticket_type.added"])
        expect(yield* actions({ action: "event.cancelled" })).toEqual([])
        // Without the event filter, the event's records are among everyone's.
        const all = yield* audit.search({ actorId: bob }, { limit: 50 })
        expect(all.items.map((r) => r.id)).toEqual([stored[2]?.id])
      })
    )

    it.effect("pages newest first with a cursor: every record once, in order, then no cursor", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const eventId = crypto.randomUUID() as EventId
        // Several in the same millisecond: their order is the order they were made in.
        for (let i = 0; i < 7; i++) yield* audit.record(anEntry({ eventId, summary: { after: { n: i } } }))
        const seen: Array<number> = []
        let cursor: string | undefined
        let pages = 0
        do {
          const page = yield* audit.search({ eventId }, { cursor, limit: 3 })
          seen.push(...page.items.map((r) => r.summary.after?.n as number))
          cursor = page.nextCursor ?? undefined
          pages++
        } while (cursor !== undefined && pages < 10)
        expect(pages).toBe(3)
        expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0])
        const exact = yield* audit.search({ eventId }, { limit: 7 })
        expect(exact.items).toHaveLength(7)
        expect(exact.nextCursor).toBeNull()
      })
    )
  })
