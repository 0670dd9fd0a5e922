import { NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect, Exit, Layer, Logger, Redacted, Result } from "effect"
import { gracefulTeardown } from "../src/Application.ts"
import type { ServiceKey, ServiceKeyId } from "../src/domain/servicekeys/ServiceKey.ts"
import { parseScopeSpecs } from "../src/domain/servicekeys/ServiceKeyRules.ts"
import { AuditLogPg } from "../src/services/audit/AuditLogPg.ts"
import { ServiceKeyRepositoryPg } from "../src/services/servicekeys/ServiceKeyRepositoryPg.ts"
import { ServiceKeys } from "../src/services/servicekeys/ServiceKeys.ts"
import { DatabaseLive } from "../src/services/sql/Database.ts"

/*
 * `npm run service-keys -- create <name> <scope>... [--expires <ISO date>]`: a new key, printed once.
 * `npm run service-keys -- list`: every key (id, name, prefix, scopes, expiry, last use, revocation).
 * `npm run service-keys -- revoke <id>`: the key stops working (within 5 s on every running instance).
 * Acts on DATABASE_URL (or the embedded database), recorded on the audit trail as the system. This is the bootstrap
 * path: the first key with the `admin` scope is made here; with it, `npm run goticket -- keys …` manages keys over RPC.
 * Exit codes: 0 done, 1 refused (bad grant, unknown key), 2 bad arguments.
 */

const usage = `usage:
  npm run service-keys -- create <name> <scope>... [--expires <ISO date>]
  npm run service-keys -- list
  npm run service-keys -- revoke <id>

scopes: inventory:read, booking:write, support, ops, admin (manages keys), door:scan:<eventId> (one per event)`

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const describe = (key: ServiceKey) =>
  [
    key.id,
    key.name,
    `${key.prefix}…`,
    [...key.scopes.filter((s) => s !== "door:scan"), ...key.doorEvents.map((e) => `door:scan:${e}`)].join(" "),
    `expires ${key.expiresAt?.toISOString() ?? "never"}`,
    `last used ${key.lastUsedAt?.toISOString() ?? "never"}`,
    key.revokedAt === null ? "active" : `revoked ${key.revokedAt.toISOString()}`
  ].join("  ")

const fail = (message: string, code: number) =>
  Effect.andThen(
    Console.error(message),
    Effect.sync(() => process.exit(code))
  )

const run = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const keys = yield* ServiceKeys
    const [command, ...rest] = args
    if (command === "list") {
      const all = yield* keys.list("operator")
      yield* Console.log(all.length === 0 ? "no service keys" : all.map(describe).join("\n"))
      return
    }
    if (command === "revoke" && rest.length === 1 && UUID.test(rest[0] ?? "")) {
      const exit = yield* Effect.exit(keys.revoke("operator", rest[0] as ServiceKeyId))
      if (Exit.isFailure(exit)) return yield* fail(`no service key with id ${rest[0]}`, 1)
      yield* Console.log(describe(exit.value))
      return
    }
    if (command === "create" && rest.length >= 2) {
      const at = rest.indexOf("--expires")
      const expires = at >= 0 ? new Date(rest[at + 1] ?? "") : null
      if (expires !== null && Number.isNaN(expires.getTime())) return yield* fail("--expires wants an ISO date", 2)
      const [name, ...specs] = at >= 0 ? [...rest.slice(0, at), ...rest.slice(at + 2)] : rest
      const scopes = parseScopeSpecs(specs)
      if (Result.isFailure(scopes)) return yield* fail(scopes.failure.message, 2)
      const created = yield* Effect.exit(
        keys.create("operator", { name: name ?? "", ...scopes.success, expiresAt: expires })
      )
      if (Exit.isFailure(created)) return yield* fail(Cause.pretty(created.cause), 1)
      yield* Console.log(describe(created.value.key))
      yield* Console.log(`\nthe key (shown only now, keep it secret):\n${Redacted.value(created.value.secret)}`)
      return
    }
    return yield* fail(usage, command === undefined || command === "--help" || command === "help" ? 0 : 2)
  })

run(process.argv.slice(2)).pipe(
  Effect.provide(
    ServiceKeys.layer.pipe(
      Layer.provide(Layer.mergeAll(ServiceKeyRepositoryPg, AuditLogPg)),
      Layer.provide(DatabaseLive)
    )
  ),
  Effect.provide(Logger.layer([Logger.consoleJson])),
  NodeRuntime.runMain({ teardown: gracefulTeardown })
)
