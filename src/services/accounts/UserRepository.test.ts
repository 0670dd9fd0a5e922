import { Layer } from "effect"
import { userRepositoryContract } from "../../../test/contracts/UserRepositoryContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { UserRepositoryMemory } from "./UserRepositoryMemory.ts"
import { UserRepositoryPg } from "./UserRepositoryPg.ts"

userRepositoryContract("in-memory", UserRepositoryMemory)
userRepositoryContract("PostgreSQL", UserRepositoryPg.pipe(Layer.provide(TestDatabaseLive)))
