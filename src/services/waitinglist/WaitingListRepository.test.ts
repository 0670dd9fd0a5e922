import { Layer } from "effect"
import { waitingListRepositoryContract } from "../../../test/contracts/WaitingListRepositoryContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { UserRepositoryMemory } from "../accounts/UserRepositoryMemory.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { EventRepositoryMemory } from "../catalog/EventRepositoryMemory.ts"
import { EventRepositoryPg } from "../catalog/EventRepositoryPg.ts"
import { ReservationRepositoryMemory } from "../reservations/ReservationRepositoryMemory.ts"
import { ReservationRepositoryPg } from "../reservations/ReservationRepositoryPg.ts"
import { VoucherRepositoryMemory } from "../vouchers/VoucherRepositoryMemory.ts"
import { WaitingListRepositoryMemory } from "./WaitingListRepositoryMemory.ts"
import { WaitingListRepositoryPg } from "./WaitingListRepositoryPg.ts"

// The memory adapters share one MemoryStore (layers are memoised by reference).
waitingListRepositoryContract(
  "in-memory",
  Layer.mergeAll(
    WaitingListRepositoryMemory.pipe(Layer.provide(VoucherRepositoryMemory)),
    ReservationRepositoryMemory,
    EventRepositoryMemory
  ).pipe(Layer.provideMerge(UserRepositoryMemory))
)
waitingListRepositoryContract(
  "PostgreSQL",
  Layer.mergeAll(WaitingListRepositoryPg, ReservationRepositoryPg, EventRepositoryPg, UserRepositoryPg).pipe(
    Layer.provide(TestDatabaseLive)
  )
)
