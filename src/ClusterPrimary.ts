import cluster from "node:cluster"
import { NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Option } from "effect"
import { validate } from "./services/config/validate.ts"
import { LoggerLive } from "./services/observability/Logging.ts"

/** WORKERS: how many service processes the cluster's primary forks (1: no cluster, the service runs in-process). */
export const WorkersConfig = Config.Int("WORKERS").pipe(
  validate({ message: "WORKERS must be between 1 and 64", validation: (n) => n >= 1 && n <= 64 }),
  Config.withDefault(1)
)

/**
 * WORKER_HEAP_MB: the bound on each worker's V8 heap (old space), unless NODE_OPTIONS sets `--max-old-space-size` (it
 * then bounds every process). Without a bound V8 lets a worker's heap grow with its allocation rate, far past what it
 * keeps alive: a worker of the flash sale peaked at 333 MB of RSS unbounded and at 186 MB with 128, for the same CPU
 * per request (`npm run bench:holds`, 2026-12-04); what it keeps alive is about 65 MB. A bound on the primary's own
 * command line (`npm start` has one, for the single process it starts by default) is the primary's, not theirs.
 */
export const WorkerHeapConfig = Config.Int("WORKER_HEAP_MB").pipe(
  validate({ message: "WORKER_HEAP_MB must be between 64 and 16384", validation: (n) => n >= 64 && n <= 16_384 }),
  Config.withDefault(256)
)

const HEAP_FLAG = "--max-old-space-size"

/** The workers' arguments: the primary's own without its heap bound, and theirs unless NODE_OPTIONS sets one. */
export const workerExecArgv = (own: ReadonlyArray<string>, nodeOptions: string | undefined, heapMb: number) => {
  const inherited = own.filter((arg) => !arg.startsWith(HEAP_FLAG))
  return (nodeOptions ?? "").split(/\s+/).some((arg) => arg.startsWith(HEAP_FLAG))
    ? inherited
    : [...inherited, `${HEAP_FLAG}=${heapMb}`]
}

/**
 * WORKERS > 1 (with DATABASE_URL, REDIS_URL and PAYMENT_PROVIDER_URL): the primary forks that many workers sharing the port, one per core is the
 * usual choice, and forwards SIGTERM to them. Every worker is a whole service: correctness lives in PostgreSQL
 * (holds, idempotency) and the expiry job skips what another worker has locked, so nothing is shared in memory.
 * Each worker is a saga runner of its own (named by the cluster worker id); executions are shared through leases in PostgreSQL.
 */
const supervise = (workers: number) =>
  Effect.gen(function* () {
    const heapMb = yield* WorkerHeapConfig
    cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS, heapMb) })
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

/**
 * Whether this process is a cluster's primary: WORKERS > 1 with DATABASE_URL, REDIS_URL and PAYMENT_PROVIDER_URL
 * (the workers must share the database, the inventory cache and the payment provider). Without them WORKERS is
 * ignored, with a warning, and the service runs in this process. An invalid WORKERS is left to the service's start,
 * which refuses it with its sentence.
 */
const primaryWanted = Effect.gen(function* () {
  const workers = yield* WorkersConfig
  if (workers <= 1) return 0
  const set = (name: string) => Effect.map(Config.option(Config.String(name)), Option.isSome)
  if ((yield* set("DATABASE_URL")) && (yield* set("REDIS_URL")) && (yield* set("PAYMENT_PROVIDER_URL"))) return workers
  yield* Effect.logWarning(
    "WORKERS is ignored without DATABASE_URL, REDIS_URL and PAYMENT_PROVIDER_URL: workers must share the database, the inventory cache and the payment provider"
  )
  return 0
}).pipe(
  Effect.catch(() => Effect.succeed(0)),
  Effect.provide(LoggerLive)
)

/**
 * Runs this process as the cluster's primary when it should be one (and then never returns); false when the
 * service is to run in this process. The primary loads nothing of the service: forking and watching workers is all
 * it does, so it does not hold the memory of a whole service for nothing.
 */
export const runAsPrimary = async (): Promise<boolean> => {
  if (!cluster.isPrimary) return false
  const workers = await Effect.runPromise(primaryWanted)
  if (workers === 0) return false
  Effect.scoped(supervise(workers)).pipe(Effect.provide(LoggerLive), NodeRuntime.runMain)
  return true
}
