import { Layer } from "effect"
import { salesStatsContract } from "../../../test/contracts/SalesStatsContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { SalesStatsMemory } from "./SalesStatsMemory.ts"
import { SalesStatsPg } from "./SalesStatsPg.ts"

salesStatsContract("in-memory", SalesStatsMemory)
salesStatsContract("PostgreSQL", SalesStatsPg.pipe(Layer.provide(TestDatabaseLive)))
