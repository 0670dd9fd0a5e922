import { execFile, spawn } from "node:child_process"
import { join } from "node:path"
import { promisify } from "node:util"
import { beforeAll, expect, layer } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { ServiceScope } from "../../src/domain/servicekeys/ServiceKey.ts"
import { RpcAddress } from "../../src/rpc/server/RpcServerLive.ts"
import { ServiceKeys } from "../../src/services/servicekeys/ServiceKeys.ts"
import { freePort, repoRoot } from "../support/Processes.ts"
import { PAID, payAt, purchase } from "../support/Purchase.ts"
import { hold, holdBody, publishedSale } from "../support/Sale.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

/*
 * The operator CLI as an operator runs it: the compiled `dist/src/cli/main.js` (built as `npm run goticket` builds
 * it) in a child process, against the service with its RPC listener (in this process, real PostgreSQL), configured
 * by GOTICKET_RPC_URL and GOTICKET_SERVICE_KEY. The first admin key is made as the bootstrap does (database access).
 */

const CLI = join(repoRoot, "dist/src/cli/main.js")

beforeAll(async () => {
  await promisify(execFile)(process.execPath, ["scripts/build.ts"], { cwd: repoRoot })
}, 180_000)

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Starts the CLI with only these variables (and PATH): never the caller's own GOTICKET_* settings. `printed` is
 * whether it has written anything to stdout yet, `done` its end.
 */
const start = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk) => (stdout += chunk))
  child.stderr.on("data", (chunk) => (stderr += chunk))
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
  const done = new Promise<Run>((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
  return { printed: () => stdout.length > 0, done }
}

const goticket = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.promise(() => start(args, env).done)

const newKey = (name: string, scopes: ReadonlyArray<ServiceScope>) =>
  Effect.flatMap(ServiceKeys, (keys) =>
    keys.create("operator", { name, scopes, doorEvents: [], expiresAt: null })
  ).pipe(Effect.map((created) => ({ id: created.key.id, secret: Redacted.value(created.secret) })))

/** The connection an operator sets once: the listener's URL and their key. */
const settings = (key: string) =>
  Effect.map(RpcAddress, ({ url }) => ({ GOTICKET_RPC_URL: url ?? "", GOTICKET_SERVICE_KEY: key }))

// Each run of the CLI is a Node process start (about a second of CPU): the tests get minutes, not seconds.
layer(TestServerLive({ RPC_PORT: "0" }), { timeout: "120 seconds", excludeTestServices: true })(
  "goticket CLI",
  (it) => {
    it.effect(
      "--help on the root and on every command, without any connection settings",
      () =>
        Effect.gen(function* () {
          const root = yield* goticket(["--help"])
          expect(root.code).toBe(0)
          for (const command of ["keys", "orders", "dead-letters", "backlog"]) expect(root.stdout).toContain(command)
          for (const command of [
            ["keys", "create"],
            ["keys", "list"],
            ["keys", "revoke"],
            ["orders", "find"],
            ["orders", "refund"],
            ["orders", "follow"],
            ["dead-letters", "replay"],
            ["backlog"]
          ]) {
            const help = yield* goticket([...command, "--help"])
            expect(help.code, command.join(" ")).toBe(0)
            expect(help.stdout).toContain(`goticket ${command.join(" ")}`)
          }
          expect((yield* goticket(["keys", "create", "--help"])).stdout).toContain("door:scan:<eventId>")
        }),
      180_000
    )

    it.effect(
      "an admin key lists, creates (printed once) and revokes keys; the revoked key is refused",
      () =>
        Effect.gen(function* () {
          const admin = yield* newKey("operator laptop", ["admin"])
          const env = yield* settings(admin.secret)

          const created = yield* goticket(["keys", "create", "box office", "booking:write", "inventory:read"], env)
          expect(created.code, created.stderr).toBe(0)
          const secret = /shown only now.*\n(gtk_\S+)/.exec(created.stdout)?.[1] ?? ""
          expect(secret.length).toBeGreaterThan(40)

          const listed = yield* goticket(["keys", "list"], env)
          expect(listed.code).toBe(0)
          expect(listed.stdout).toMatch(/box office .*booking:write inventory:read/)
          expect(listed.stdout).toContain(`${secret.slice(0, 12)}…`)
          expect(listed.stdout).not.toContain(secret)
          const keys = JSON.parse((yield* goticket(["keys", "list", "--json"], env)).stdout) as Array<{
            readonly id: string
            readonly name: string
          }>
          const boxOffice = keys.find((k) => k.name === "box office")
          expect(boxOffice).toBeDefined()

          // A grant the rules refuse is a usage error, said in a sentence, before anything is sent.
          const badGrant = yield* goticket(["keys", "create", "gate", "door:scan"], env)
          expect(badGrant.code).toBe(2)
          expect(badGrant.stderr).toContain("door:scan:<eventId>")

          const revoked = yield* goticket(["keys", "revoke", boxOffice?.id ?? ""], env)
          expect(revoked.code).toBe(0)
          expect(revoked.stdout).toContain("revoked 20")
          // The revoked key, then a key without the admin scope: refused, exit 4, said why.
          const withRevoked = yield* goticket(["keys", "list"], { ...env, GOTICKET_SERVICE_KEY: secret })
          expect(withRevoked.code).toBe(4)
          expect(withRevoked.stderr).toContain("revoked")
          const ops = yield* newKey("dashboards", ["ops"])
          const notAdmin = yield* goticket(["keys", "list"], { ...env, GOTICKET_SERVICE_KEY: ops.secret })
          expect(notAdmin.code).toBe(4)
          expect(notAdmin.stderr).toContain("lacks the admin scope")
        }),
      180_000
    )

    it.effect(
      "finds an order by email, id and ticket code, follows a new one until it settles, refunds once per key",
      () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 20 })
          const buyer = yield* api.account("customer")
          const support = yield* newKey("support desk", ["support"])
          const env = yield* settings(support.secret)
          const bought = yield* purchase(api, buyer.token, sale.eventId, sale.gaId, 2, PAID)
          const ticket = (yield* api.call("GET", `/v1/tickets/${bought.tickets[0].id}`, { token: buyer.token })).body

          for (const lookup of [
            ["--email", buyer.email],
            ["--id", bought.id],
            ["--code", ticket.code]
          ]) {
            const found = yield* goticket(["orders", "find", ...lookup], env)
            expect(found.code, found.stderr).toBe(0)
            expect(found.stdout).toMatch(new RegExp(`${bought.id}\\s+confirmed\\s+`))
          }
          const none = yield* goticket(["orders", "find", "--id", crypto.randomUUID()], env)
          expect(none).toMatchObject({ code: 0, stdout: "no orders found\n" })
          const twoLookups = yield* goticket(["orders", "find", "--id", bought.id, "--email", buyer.email], env)
          expect(twoLookups.code).toBe(2)
          expect(twoLookups.stderr).toContain("exactly one of --email, --id or --code")

          // A new order, followed from the CLI while the customer pays: the command ends by itself once settled.
          const held = yield* hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, 1))
          const checkout = yield* api.call("POST", `/v1/reservations/${held.body.id}/checkout`, { token: buyer.token })
          const following = start(["orders", "follow", checkout.body.orderId], env)
          // Pays once the CLI has printed the order's current status (a Node process takes a moment to start).
          for (let i = 0; i < 600 && !following.printed(); i++) yield* Effect.sleep("50 millis")
          expect((yield* payAt(checkout.body.payment.confirmUrl, PAID)).status).toBe(200)
          const followed = yield* Effect.promise(() => following.done)
          expect(followed.code, followed.stderr).toBe(0)
          const lines = followed.stdout.trim().split("\n")
          expect(lines).toHaveLength(2)
          expect(lines[0]).toMatch(/#1 {2}pending_payment$/)
          expect(lines[1]).toMatch(/#2 {2}confirmed {2}\(settled\)$/)

          // A refund of one ticket, retried with its key: the same refund; an unknown order is the service's refusal.
          const ticketId = bought.tickets[0].id
          const refunded = yield* goticket(["orders", "refund", bought.id, "--ticket", ticketId, "--json"], env)
          expect(refunded.code, refunded.stderr).toBe(0)
          const record = JSON.parse(refunded.stdout)
          expect(record).toMatchObject({ orderId: bought.id, ticketIds: [ticketId] })
          const retried = yield* goticket(
            ["orders", "refund", bought.id, "--ticket", ticketId, "--idempotency-key", record.idempotencyKey, "--json"],
            env
          )
          expect(JSON.parse(retried.stdout).id).toBe(record.id)
          const unknownOrder = yield* goticket(["orders", "refund", crypto.randomUUID()], env)
          expect(unknownOrder.code).toBe(1)
          expect(unknownOrder.stderr).toContain("OrderNotFound")

          // The support key may not read dead letters: exit 4 with the scope it lacks.
          const refused = yield* goticket(["dead-letters", "list", "notifications"], env)
          expect(refused.code).toBe(4)
          expect(refused.stderr).toContain("lacks the ops scope")
        }),
      180_000
    )

    it.effect(
      "says what is wrong, with a non-zero exit: unknown key, unreachable service, no settings",
      () =>
        Effect.gen(function* () {
          const env = yield* settings(`gtk_${"x".repeat(43)}`)
          const unknown = yield* goticket(["backlog"], env)
          expect(unknown.code).toBe(4)
          expect(unknown.stderr).toContain("not a service key of this installation")

          const port = yield* Effect.promise(freePort)
          const ops = yield* newKey("dashboards", ["ops"])
          const down = yield* goticket(["backlog"], {
            GOTICKET_RPC_URL: `http://127.0.0.1:${port}`,
            GOTICKET_SERVICE_KEY: ops.secret
          })
          expect(down.code).toBe(3)
          expect(down.stderr).toContain(`cannot reach GoTicket at http://127.0.0.1:${port}`)

          const unset = yield* goticket(["backlog"])
          expect(unset.code).toBe(2)
          expect(unset.stderr).toContain("GOTICKET_RPC_URL")

          const ok = yield* goticket(["backlog"], { ...env, GOTICKET_SERVICE_KEY: ops.secret })
          expect(ok.code, ok.stderr).toBe(0)
          expect(ok.stdout).toContain("outbox:")
          // The flags win over the environment.
          const flagged = yield* goticket(["backlog", "--json", "--key", ops.secret], env)
          expect(flagged.code, flagged.stderr).toBe(0)
          expect(JSON.parse(flagged.stdout)).toHaveProperty("outbox")

          const unknownCommand = yield* goticket(["keys", "rotate"], env)
          expect(unknownCommand.code).toBe(2)
          expect(unknownCommand.stderr + unknownCommand.stdout).toContain('Unknown subcommand "rotate"')
        }),
      180_000
    )
  }
)
