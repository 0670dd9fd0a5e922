import cluster from "node:cluster"
import { NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer, Option } from "effect"
import { ApplicationLive, gracefulTeardown, RoleConfig } from "./Application.ts"
import { BookingLive } from "./roles/Booking.ts"
import { GatewayLive } from "./roles/Gateway.ts"
import { validate } from "./services/config/validate.ts"
import { profileOnSignal } from "./services/diagnostics/ProfileOnSignal.ts"
import { LoggerLive } from "./services/observability/Logging.ts"

/**
 * WORKERS > 1 (with DATABASE_URL, REDIS_URL and PAYMENT_PROVIDER_URL): the primary forks that many workers sharing the port, one per core is the
 * usual choice, and forwards SIGTERM to them. Every worker is a whole service: correctness lives in PostgreSQL
 * (holds, idempotency) and the expiry job skips what another worker has locked, so nothing is shared in memory.
 * Each worker is a saga runner of its own (named by the cluster worker id); executions are shared through leases in PostgreSQL.
 */
const supervise = (workers: number) =>
  Effect.gen(function* () {
    yield* Effect.logInfo(`starting ${workers} workers`)
    const fork = () => {
      const worker = cluster.fork()
      worker.on("exit", (code, signal) => {
        if (!stopping && code !== 0) {
          console.error(JSON.stringify({ message: "worker died; replacing it", code, signal }))
          fork()
        }
      })
    }
    let stopping = false
    for (let i = 0; i < workers; i++) fork()
    yield* Effect.addFinalizer(() =>
      Effect.callback<void>((resume) => {
        stopping = true
        const alive = Object.values(cluster.workers ?? {}).flatMap((w) => (w !== undefined && !w.isDead() ? [w] : []))
        if (alive.length === 0) return resume(Effect.void)
        let left = alive.length
        for (const worker of alive) {
          worker.once("exit", () => {
            if (--left === 0) resume(Effect.void)
          })
          worker.process.kill("SIGTERM")
        }
      })
    )
    return yield* Effect.never
  })

const main = Effect.gen(function* () {
  const workers = yield* Config.Int("WORKERS").pipe(
    validate({ message: "WORKERS must be between 1 and 64", validation: (n) => n >= 1 && n <= 64 }),
    Config.withDefault(1)
  )
  const database = yield* Config.option(Config.String("DATABASE_URL"))
  const redis = yield* Config.option(Config.String("REDIS_URL"))
  const payments = yield* Config.option(Config.String("PAYMENT_PROVIDER_URL"))
  if (workers > 1 && cluster.isPrimary) {
    if (Option.isSome(database) && Option.isSome(redis) && Option.isSome(payments))
      return yield* Effect.scoped(supervise(workers))
    yield* Effect.logWarning(
      "WORKERS is ignored without DATABASE_URL, REDIS_URL and PAYMENT_PROVIDER_URL: workers must share the database, the inventory cache and the payment provider"
    )
  }
  // SIGTERM/SIGINT interrupt this fiber: the HTTP server stops accepting and drains, then pools close.
  const role = yield* RoleConfig
  if (role === "gateway" || role === "booking") {
    const set = (name: string) => Effect.map(Config.option(Config.String(name)), Option.isSome)
    const missing = [
      ...(Option.isNone(database) ? ["DATABASE_URL"] : []),
      ...(role === "gateway" && !(yield* set("BOOKING_RPC_URL")) ? ["BOOKING_RPC_URL"] : []),
      ...(role === "gateway" && !(yield* set("BOOKING_SERVICE_KEY")) ? ["BOOKING_SERVICE_KEY"] : []),
      ...(role === "booking" && Option.isNone(payments) ? ["PAYMENT_PROVIDER_URL"] : []),
      ...(role === "booking" && !(yield* set("RPC_PORT")) ? ["RPC_PORT"] : [])
    ]
    if (missing.length > 0) {
      yield* Effect.logError(`ROLE=${role} needs ${missing.join(", ")} (README: Split deployment)`)
      return yield* Effect.sync(() => process.exit(2))
    }
    yield* Effect.logInfo(
      role === "gateway"
        ? "starting the gateway role: REST, the booking services over RPC (BOOKING_RPC_URL)"
        : "starting the booking role: internal RPC over the domain and the database"
    )
    return yield* Layer.launch(role === "gateway" ? GatewayLive : BookingLive)
  }
  return yield* Layer.launch(ApplicationLive)
})

profileOnSignal(process.env.CPU_PROFILE_DIR)
main.pipe(Effect.provide(LoggerLive), NodeRuntime.runMain({ teardown: gracefulTeardown }))
