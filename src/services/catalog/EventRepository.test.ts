import { Layer } from "effect"
import { eventRepositoryContract } from "../../../test/contracts/EventRepositoryContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { UserRepositoryMemory } from "../accounts/UserRepositoryMemory.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { EventRepositoryMemory } from "./EventRepositoryMemory.ts"
import { EventRepositoryPg } from "./EventRepositoryPg.ts"

eventRepositoryContract("in-memory", EventRepositoryMemory.pipe(Layer.provideMerge(UserRepositoryMemory)))
eventRepositoryContract(
  "PostgreSQL",
  Layer.mergeAll(EventRepositoryPg, UserRepositoryPg).pipe(Layer.provide(TestDatabaseLive))
)
