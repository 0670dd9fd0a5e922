import { Layer } from "effect"
import { withheldHoldsContract } from "../../../test/contracts/WithheldHoldsContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { UserRepositoryMemory } from "../accounts/UserRepositoryMemory.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { EventRepositoryMemory } from "../catalog/EventRepositoryMemory.ts"
import { EventRepositoryPg } from "../catalog/EventRepositoryPg.ts"
import { OrderRepositoryMemory } from "../orders/OrderRepositoryMemory.ts"
import { OrderRepositoryPg } from "../orders/OrderRepositoryPg.ts"
import { ReservationRepositoryMemory } from "../reservations/ReservationRepositoryMemory.ts"
import { ReservationRepositoryPg } from "../reservations/ReservationRepositoryPg.ts"
import { WaitingListRepositoryMemory } from "../waitinglist/WaitingListRepositoryMemory.ts"
import { WaitingListRepositoryPg } from "../waitinglist/WaitingListRepositoryPg.ts"
import { VoucherRepositoryMemory } from "./VoucherRepositoryMemory.ts"
import { VoucherRepositoryPg } from "./VoucherRepositoryPg.ts"
import { WithheldHoldsMemory } from "./WithheldHoldsMemory.ts"
import { WithheldHoldsPg } from "./WithheldHoldsPg.ts"

// The memory adapters each provide MemoryStoreLive; built together they share that one store (layers are memoised
// by reference), so a hold or order that ends reaches the voucher's pool in the same step.
withheldHoldsContract(
  "in-memory",
  Layer.mergeAll(
    WithheldHoldsMemory,
    WaitingListRepositoryMemory.pipe(Layer.provide(VoucherRepositoryMemory)),
    VoucherRepositoryMemory,
    OrderRepositoryMemory,
    ReservationRepositoryMemory,
    EventRepositoryMemory
  ).pipe(Layer.provideMerge(UserRepositoryMemory))
)
withheldHoldsContract(
  "PostgreSQL",
  Layer.mergeAll(
    WithheldHoldsPg,
    WaitingListRepositoryPg,
    VoucherRepositoryPg,
    OrderRepositoryPg,
    ReservationRepositoryPg,
    EventRepositoryPg,
    UserRepositoryPg
  ).pipe(Layer.provide(TestDatabaseLive))
)
