import { ConfigProvider, Effect, Layer, type LogLevel, References } from "effect"
import { applicationOver } from "../../src/Application.ts"
import { isolatedTopology } from "./RabbitMq.ts"
import { dropQueuesWithPrefix } from "./RabbitMqCleanup.ts"
import { SmtpSink } from "./SmtpSink.ts"
import { TestDatabaseLive } from "./TestDatabase.ts"
import { testConfig } from "./TestServer.ts"

/**
 * The whole service on the real servers: a fresh PostgreSQL database, RabbitMQ at `amqpUrl` on an exchange and
 * queues of its own (deleted once the service has let go of them), and an SMTP sink (the `SmtpSink` service) as its
 * mail server.
 */
export const serviceOnRealServers = (
  amqpUrl: string,
  logLevel: LogLevel.LogLevel,
  overrides: Record<string, string> = {}
) => {
  const topology = isolatedTopology()
  return Layer.unwrap(
    Effect.map(SmtpSink, (sink) =>
      applicationOver(TestDatabaseLive).pipe(
        Layer.provide(Layer.succeed(References.MinimumLogLevel, logLevel)),
        Layer.provide(
          ConfigProvider.layer(
            testConfig({
              AMQP_URL: amqpUrl,
              AMQP_EXCHANGE: topology.exchange,
              AMQP_QUEUE_PREFIX: topology.queuePrefix,
              SMTP_URL: sink.url,
              ...overrides
            })
          )
        )
      )
    )
  ).pipe(
    Layer.provideMerge(SmtpSink.layer()),
    // Built before the service and released after it.
    Layer.provideMerge(
      Layer.effectDiscard(Effect.addFinalizer(() => Effect.promise(() => dropQueuesWithPrefix(amqpUrl, topology))))
    )
  )
}
