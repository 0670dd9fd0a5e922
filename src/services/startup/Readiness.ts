import { Context, Effect, Layer, Ref } from "effect"

/**
 * Whether the start-up tasks (the configured admin account, the demo data) are done. The server listens before
 * they finish, so that probes and scrapers get an answer at once, but `/health/ready` says 503 until they are:
 * ready means that what the README promises (the demo event listed, the demo organizer able to log in) is there.
 */
export class Readiness extends Context.Service<
  Readiness,
  {
    readonly isReady: Effect.Effect<boolean>
    readonly markReady: Effect.Effect<void>
  }
>()("goticket/Readiness") {
  static readonly layer = Layer.effect(
    Readiness,
    Effect.map(Ref.make(false), (ready) => ({ isReady: Ref.get(ready), markReady: Ref.set(ready, true) }))
  )
}
