import { Layer } from "effect"
import { inboxContract } from "../../../test/contracts/InboxContract.ts"
import { outboxContract } from "../../../test/contracts/OutboxContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { InboxMemory } from "./InboxMemory.ts"
import { InboxPg } from "./InboxPg.ts"
import { OutboxMemory } from "./OutboxMemory.ts"
import { OutboxPg } from "./OutboxPg.ts"

outboxContract("in-memory", OutboxMemory)
outboxContract("PostgreSQL", OutboxPg.pipe(Layer.provide(TestDatabaseLive)))
inboxContract("in-memory", InboxMemory)
inboxContract("PostgreSQL", InboxPg.pipe(Layer.provide(TestDatabaseLive)))
