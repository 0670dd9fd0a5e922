import { Effect, Option, Result } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { ServiceKeyId } from "../domain/servicekeys/ServiceKey.ts"
import { parseScopeSpecs } from "../domain/servicekeys/ServiceKeyRules.ts"
import { OperationsClient } from "../rpc/client/index.ts"
import { callService, usageError } from "./Connection.ts"
import { KEY_HEADER, keyRow, show, table } from "./Output.ts"

/** `keys list|create|revoke`: the service keys over RPC (a key with the `admin` scope; see `npm run service-keys`). */
const list = Command.make("list", {}, () =>
  callService(
    Effect.gen(function* () {
      const keys = yield* (yield* OperationsClient).ServiceKeys()
      yield* show(keys, () => (keys.length === 0 ? "no service keys" : table(KEY_HEADER, keys.map(keyRow))))
    })
  )
).pipe(Command.withDescription("every service key, revoked ones included, newest first (prefixes, never keys)"))

const create = Command.make(
  "create",
  {
    name: Argument.String("name").pipe(Argument.withDescription("what the key is for (1 to 100 characters)")),
    scopes: Argument.String("scope").pipe(
      Argument.withDescription(
        "inventory:read, booking:write, support, ops, admin, or door:scan:<eventId> (one per event)"
      ),
      Argument.variadic({ min: 1 })
    ),
    expires: Flag.Date("expires").pipe(
      Flag.withDescription("when the key stops working (ISO date; at most 730 days ahead)"),
      Flag.optional
    )
  },
  ({ name, scopes, expires }) =>
    Effect.gen(function* () {
      const specs = parseScopeSpecs(scopes)
      if (Result.isFailure(specs)) return yield* usageError(specs.failure.message)
      const expiresAt = Option.getOrUndefined(expires)
      const created = yield* callService(
        Effect.flatMap(OperationsClient, (operations) =>
          operations.CreateServiceKey({
            name,
            scopes: specs.success.scopes,
            doorEvents: specs.success.doorEvents,
            ...(expiresAt === undefined ? {} : { expiresAt })
          })
        )
      )
      yield* show(
        created,
        () =>
          `${table(KEY_HEADER, [keyRow(created.key)])}\n\nthe key (shown only now, keep it secret):\n${created.secret}`
      )
    })
).pipe(
  Command.withDescription("a new key with these scopes, printed once (only its hash is kept)"),
  Command.withExamples([
    { command: 'goticket keys create "box office" booking:write inventory:read', description: "a box office key" },
    { command: "goticket keys create gate-3 door:scan:<eventId> --expires 2027-06-30", description: "a gate key" }
  ])
)

const revoke = Command.make(
  "revoke",
  { id: Argument.String("id").pipe(Argument.withDescription("the key's id"), Argument.withSchema(ServiceKeyId)) },
  ({ id }) =>
    callService(
      Effect.gen(function* () {
        const revoked = yield* (yield* OperationsClient).RevokeServiceKey({ id })
        yield* show(revoked, () => table(KEY_HEADER, [keyRow(revoked)]))
      })
    )
).pipe(Command.withDescription("the key stops working (at once here, within 5 s on every other instance)"))

export const keys = Command.make("keys").pipe(
  Command.withDescription("service keys (needs a key with the admin scope; the first one: npm run service-keys)"),
  Command.withSubcommands([list, create, revoke])
)
