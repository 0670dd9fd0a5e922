import { Config, Effect, Layer, Option } from "effect"
import { EventBusInProcess } from "./EventBusInProcess.ts"
import { EventBusRabbitMq } from "./EventBusRabbitMq.ts"
import { describeUrl } from "./rabbitmq/Amqp.ts"
import { DEFAULT_EXCHANGE, DEFAULT_QUEUE_PREFIX } from "./rabbitmq/Topology.ts"

/** AMQP_URL (optional: without it the bus is in process), AMQP_EXCHANGE, AMQP_QUEUE_PREFIX. */
export const EventBusConfig = Config.all({
  url: Config.option(Config.Redacted("AMQP_URL")),
  exchange: Config.String("AMQP_EXCHANGE").pipe(Config.withDefault(DEFAULT_EXCHANGE)),
  queuePrefix: Config.String("AMQP_QUEUE_PREFIX").pipe(Config.withDefault(DEFAULT_QUEUE_PREFIX))
})

/**
 * The event bus: RabbitMQ at AMQP_URL (it starts even while the broker is down), or else the in-process bus, whose
 * queues and dead letters live only as long as the process.
 */
export const EventBusLive = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* EventBusConfig
    if (Option.isNone(config.url)) {
      yield* Effect.logInfo("no AMQP_URL: domain events go through the in-process bus (lost when the process stops)")
      return EventBusInProcess.layer()
    }
    yield* Effect.logInfo(
      `domain events go through RabbitMQ at ${describeUrl(config.url.value)} (exchange ${config.exchange}, queues ${config.queuePrefix}.*)`
    )
    return EventBusRabbitMq.layer({ url: config.url.value, exchange: config.exchange, queuePrefix: config.queuePrefix })
  })
)
