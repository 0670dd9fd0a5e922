import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import {
  anEvent,
  anOrganizer,
  aSeat,
  aSection,
  aTicketType,
  eventRepositoryContract
} from "../../../test/contracts/EventRepositoryContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { EventRepository } from "../../domain/catalog/EventRepository.ts"
import { UserRepositoryMemory } from "../accounts/UserRepositoryMemory.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { EventRepositoryMemory } from "./EventRepositoryMemory.ts"
import { EventRepositoryPg } from "./EventRepositoryPg.ts"

const Memory = EventRepositoryMemory.pipe(Layer.provideMerge(UserRepositoryMemory))
const Postgres = Layer.mergeAll(EventRepositoryPg, UserRepositoryPg).pipe(Layer.provide(TestDatabaseLive))

eventRepositoryContract("in-memory", Memory)
eventRepositoryContract("PostgreSQL", Postgres)

// An arena's seat map is far more than one statement may bind (32,767 parameters): it is stored whole all the same.
layer(Postgres, { timeout: "120 seconds" })("EventRepository on PostgreSQL: an arena", (it) => {
  it.effect("stores a 20,000-seat map whole, in venue order", () =>
    Effect.gen(function* () {
      const repo = yield* EventRepository
      const organizer = yield* anOrganizer
      const event = anEvent(organizer.id)
      yield* repo.insert(event)
      const seated = aTicketType(event.id, { name: "Seated", capacity: 1 })
      yield* repo.insertTicketType(seated)
      const sections = [aSection(event.id, "North", 1), aSection(event.id, "South", 2)]
      const seats = sections.flatMap((section) =>
        Array.from({ length: 100 }, (_, row) =>
          Array.from({ length: 100 }, (_, n) => aSeat(section, String(row + 1), row + 1, String(n + 1), n + 1, seated))
        ).flat()
      )
      yield* repo.replaceSeating(event.id, sections, seats)
      const stored = yield* repo.seatMap(event.id)
      expect(stored.seats.length).toBe(20_000)
      expect(stored.seats.map((s) => s.id)).toEqual(seats.map((s) => s.id))
      expect((yield* repo.listTicketTypes(event.id)).map((t) => t.capacity)).toEqual([20_000])
    })
  )
})
