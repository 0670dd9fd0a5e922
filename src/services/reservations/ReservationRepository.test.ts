import { Layer } from "effect"
import { reservationRepositoryContract } from "../../../test/contracts/ReservationRepositoryContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { UserRepositoryMemory } from "../accounts/UserRepositoryMemory.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { EventRepositoryMemory } from "../catalog/EventRepositoryMemory.ts"
import { EventRepositoryPg } from "../catalog/EventRepositoryPg.ts"
import { ReservationRepositoryMemory } from "./ReservationRepositoryMemory.ts"
import { ReservationRepositoryPg } from "./ReservationRepositoryPg.ts"

// Both memory adapters provide themselves MemoryStoreLive; built together they share that one store
// (layers are memoised by reference), so a hold shows in EventRepositoryMemory's ticket types and seat map.
reservationRepositoryContract(
  "in-memory",
  Layer.mergeAll(ReservationRepositoryMemory, EventRepositoryMemory).pipe(Layer.provideMerge(UserRepositoryMemory))
)
reservationRepositoryContract(
  "PostgreSQL",
  Layer.mergeAll(ReservationRepositoryPg, EventRepositoryPg, UserRepositoryPg).pipe(Layer.provide(TestDatabaseLive))
)
