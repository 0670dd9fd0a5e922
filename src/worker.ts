import { NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer, Option } from "effect"
import { gracefulTeardown, WorkerLive } from "./Application.ts"
import { LoggerLive } from "./services/observability/Logging.ts"

/**
 * `npm run worker`: the background work without the HTTP API — the outbox relay, the event consumers
 * (notifications, sales stats, organizer webhooks), webhook deliveries, hold expiry and the sagas. Run any number of
 * them next to API processes (ROLE=api). They share PostgreSQL, so DATABASE_URL is required (the embedded database
 * belongs to the one process that opened it: `npm start` runs the worker role itself), and PAYMENT_PROVIDER_URL, so
 * that sagas here and in the API talk to the same provider.
 */
const main = Effect.gen(function* () {
  const database = yield* Config.option(Config.String("DATABASE_URL"))
  const payments = yield* Config.option(Config.String("PAYMENT_PROVIDER_URL"))
  if (Option.isNone(database) || Option.isNone(payments)) {
    yield* Effect.logError(
      "npm run worker needs DATABASE_URL and PAYMENT_PROVIDER_URL (with the embedded default, npm start already runs the worker)"
    )
    return yield* Effect.sync(() => process.exit(2))
  }
  yield* Effect.logInfo("starting the worker role: outbox relay, consumers, webhook deliveries, hold expiry, sagas")
  return yield* Layer.launch(WorkerLive)
})

main.pipe(Effect.provide(LoggerLive), NodeRuntime.runMain({ teardown: gracefulTeardown }))
