import { Layer } from "effect"
import {
  voucherGiveBackContract,
  voucherRepositoryContract
} from "../../../test/contracts/VoucherRepositoryContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { UserRepositoryMemory } from "../accounts/UserRepositoryMemory.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { EventRepositoryMemory } from "../catalog/EventRepositoryMemory.ts"
import { EventRepositoryPg } from "../catalog/EventRepositoryPg.ts"
import { OrderRepositoryMemory } from "../orders/OrderRepositoryMemory.ts"
import { OrderRepositoryPg } from "../orders/OrderRepositoryPg.ts"
import { ReservationRepositoryMemory } from "../reservations/ReservationRepositoryMemory.ts"
import { ReservationRepositoryPg } from "../reservations/ReservationRepositoryPg.ts"
import { VoucherRepositoryMemory } from "./VoucherRepositoryMemory.ts"
import { VoucherRepositoryPg } from "./VoucherRepositoryPg.ts"

voucherRepositoryContract("in-memory", VoucherRepositoryMemory)
voucherRepositoryContract("PostgreSQL", VoucherRepositoryPg.pipe(Layer.provide(TestDatabaseLive)))

// The memory adapters each provide MemoryStoreLive; built together they share that one store (layers are memoised
// by reference), so a hold or order that ends reaches the redemptions in the same step.
voucherGiveBackContract(
  "in-memory",
  Layer.mergeAll(
    VoucherRepositoryMemory,
    OrderRepositoryMemory,
    ReservationRepositoryMemory,
    EventRepositoryMemory
  ).pipe(Layer.provideMerge(UserRepositoryMemory))
)
voucherGiveBackContract(
  "PostgreSQL",
  Layer.mergeAll(
    VoucherRepositoryPg,
    OrderRepositoryPg,
    ReservationRepositoryPg,
    EventRepositoryPg,
    UserRepositoryPg
  ).pipe(Layer.provide(TestDatabaseLive))
)
