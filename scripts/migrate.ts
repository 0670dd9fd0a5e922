import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Logger } from "effect"
import { gracefulTeardown } from "../src/Application.ts"
import { DatabaseLive } from "../src/services/sql/Database.ts"

// `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database), then exits.
Effect.scoped(Layer.build(DatabaseLive)).pipe(
  Effect.andThen(Effect.logInfo("the database schema is up to date")),
  Effect.provide(Logger.layer([Logger.consoleJson])),
  NodeRuntime.runMain({ teardown: gracefulTeardown })
)
