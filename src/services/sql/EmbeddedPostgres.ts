import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"

export interface EmbeddedPostgresAddress {
  readonly host: string
  readonly port: number
}

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served over a loopback socket so the same client (`@effect/sql-pg`),
 * SQL and migrations are used as with a real server. `dataDir` undefined keeps the database in memory.
 * The socket server multiplexes a few client connections onto PGlite's single session. PGlite is imported here, when
 * it is started, so a service configured with a real server never loads its WebAssembly (~20 MB of memory).
 */
export const startEmbeddedPostgres = (dataDir: string | undefined, maxConnections: number) =>
  Effect.gen(function* () {
    const [{ PGlite }, { PGLiteSocketServer }] = yield* Effect.promise(() =>
      Promise.all([import("@electric-sql/pglite"), import("@electric-sql/pglite-socket")])
    )
    const db = yield* Effect.acquireRelease(
      Effect.promise(() => {
        if (dataDir === undefined) return PGlite.create()
        const dir = join(dataDir, "pgdata")
        mkdirSync(dir, { recursive: true })
        return PGlite.create({ dataDir: dir })
      }),
      (db) => Effect.promise(() => db.close()).pipe(Effect.ignore)
    )
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections })
    yield* Effect.acquireRelease(
      Effect.promise(() => server.start()),
      () => Effect.promise(() => server.stop()).pipe(Effect.ignore)
    )
    const [host, port] = server.getServerConn().split(":")
    return { host: host ?? "127.0.0.1", port: Number(port) } satisfies EmbeddedPostgresAddress
  }).pipe(Effect.withSpan("EmbeddedPostgres.start"))
