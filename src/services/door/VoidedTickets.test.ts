import { Layer } from "effect"
import { voidedTicketsContract } from "../../../test/contracts/VoidedTicketsContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { UserRepositoryMemory } from "../accounts/UserRepositoryMemory.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { EventRepositoryMemory } from "../catalog/EventRepositoryMemory.ts"
import { EventRepositoryPg } from "../catalog/EventRepositoryPg.ts"
import { OrderRepositoryMemory } from "../orders/OrderRepositoryMemory.ts"
import { OrderRepositoryPg } from "../orders/OrderRepositoryPg.ts"
import { ReservationRepositoryMemory } from "../reservations/ReservationRepositoryMemory.ts"
import { ReservationRepositoryPg } from "../reservations/ReservationRepositoryPg.ts"
import { VoidedTicketsMemory } from "./VoidedTicketsMemory.ts"
import { VoidedTicketsPg } from "./VoidedTicketsPg.ts"

// The memory adapters share one MemoryStore (layers are memoised by reference), as in the OrderRepository suite.
voidedTicketsContract(
  "in-memory",
  Layer.mergeAll(VoidedTicketsMemory, OrderRepositoryMemory, ReservationRepositoryMemory, EventRepositoryMemory).pipe(
    Layer.provideMerge(UserRepositoryMemory)
  )
)

voidedTicketsContract(
  "PostgreSQL",
  Layer.mergeAll(VoidedTicketsPg, OrderRepositoryPg, ReservationRepositoryPg, EventRepositoryPg, UserRepositoryPg).pipe(
    Layer.provide(TestDatabaseLive)
  )
)
