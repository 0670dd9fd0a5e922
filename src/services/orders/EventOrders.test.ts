import { Layer } from "effect"
import { eventOrdersContract } from "../../../test/contracts/EventOrdersContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { UserRepositoryMemory } from "../accounts/UserRepositoryMemory.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { EventRepositoryMemory } from "../catalog/EventRepositoryMemory.ts"
import { EventRepositoryPg } from "../catalog/EventRepositoryPg.ts"
import { ReservationRepositoryMemory } from "../reservations/ReservationRepositoryMemory.ts"
import { ReservationRepositoryPg } from "../reservations/ReservationRepositoryPg.ts"
import { EventOrdersMemory } from "./EventOrdersMemory.ts"
import { EventOrdersPg } from "./EventOrdersPg.ts"
import { OrderRepositoryMemory } from "./OrderRepositoryMemory.ts"
import { OrderRepositoryPg } from "./OrderRepositoryPg.ts"

// The memory adapters share one MemoryStore (layers are memoised by reference); the twin reads buyers from the
// UserRepository it is given.
eventOrdersContract(
  "in-memory",
  Layer.mergeAll(EventOrdersMemory, OrderRepositoryMemory, ReservationRepositoryMemory, EventRepositoryMemory).pipe(
    Layer.provideMerge(UserRepositoryMemory)
  )
)

eventOrdersContract(
  "PostgreSQL",
  Layer.mergeAll(EventOrdersPg, OrderRepositoryPg, ReservationRepositoryPg, EventRepositoryPg, UserRepositoryPg).pipe(
    Layer.provide(TestDatabaseLive)
  )
)
