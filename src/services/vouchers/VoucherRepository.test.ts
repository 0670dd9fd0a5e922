import { Layer } from "effect"
import { voucherRepositoryContract } from "../../../test/contracts/VoucherRepositoryContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { VoucherRepositoryMemory } from "./VoucherRepositoryMemory.ts"
import { VoucherRepositoryPg } from "./VoucherRepositoryPg.ts"

voucherRepositoryContract("in-memory", VoucherRepositoryMemory)
voucherRepositoryContract("PostgreSQL", VoucherRepositoryPg.pipe(Layer.provide(TestDatabaseLive)))
