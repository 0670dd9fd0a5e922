import { Duration, Effect, Layer, Option } from "effect"
import { Outbox } from "../../domain/events/Outbox.ts"
import { bounded } from "../config/bounded.ts"
import { EventBusConfig } from "./EventBusLive.ts"

/**
 * The in-process bus keeps nothing across a restart: events it had taken but its consumers had not yet handled
 * would be lost with the process. So, without AMQP_URL, a starting service sends again what the relay sent in the
 * last OUTBOX_RESEND_ON_START_MINUTES (default 15); the consumers' inboxes drop what was handled already.
 */
export const InProcessRecoveryLive = Layer.effectDiscard(
  Effect.gen(function* () {
    const bus = yield* EventBusConfig
    if (Option.isSome(bus.url)) return
    const window = yield* bounded("OUTBOX_RESEND_ON_START_MINUTES", 15, 0, 10_080, "minutes")
    if (window === 0) return
    const outbox = yield* Outbox
    const again = yield* outbox.resendSince(new Date(Date.now() - Duration.toMillis(Duration.minutes(window))))
    if (again > 0)
      yield* Effect.logInfo("in-process bus: sending recent events again after a restart").pipe(
        Effect.annotateLogs({ events: again })
      )
  })
)
