import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Logger } from "effect"
import { DatabaseLive } from "../src/services/sql/Database.ts"

// `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database), then exits.
Effect.scoped(Layer.build(DatabaseLive)).pipe(
  Effect.zipRight(Effect.logInfo("the database schema is up to date")),
  Effect.provide(Logger.json),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
