import { expect, layer } from "@effect/vitest"
import { Duration, Effect, HashSet, Logger, Queue, Ref, References, Schedule } from "effect"
import { type Delivery, EventBus } from "../../src/domain/events/EventBus.ts"
import { anEnvelope } from "../contracts/EventBusContract.ts"
import { isolatedRabbitMqBus } from "../support/RabbitMq.ts"
import { describeWithOwnRabbitMq } from "../support/RabbitMqServer.ts"

/* Stops and starts a RabbitMQ node of the test's own (never the machine's shared broker). */
await describeWithOwnRabbitMq("EventBus on RabbitMQ across a broker restart", (broker) => {
  const brokerApp = (command: "stop_app" | "start_app") =>
    Effect.tryPromise({
      try: () => (command === "stop_app" ? broker.stopApp() : broker.startApp()),
      catch: (error) => (error instanceof Error ? error : new Error(String(error)))
    }).pipe(Effect.asVoid, Effect.withSpan(`rabbitmqctl ${command}`))

  layer(
    isolatedRabbitMqBus(broker.url, {
      connectTimeout: "1 second",
      publishTimeout: "3 seconds",
      reconnectInitialDelay: "100 millis",
      reconnectMaxDelay: "1 second"
    }),
    { timeout: "60 seconds", excludeTestServices: true }
  )("EventBusRabbitMq", (it) => {
    it.effect(
      "publish fails fast while the broker is down; the consumer reconnects by itself and gets what follows",
      () =>
        Effect.gen(function* () {
          const bus = yield* EventBus
          const warnings = yield* Ref.make(HashSet.empty<string>())
          const received = yield* Queue.unbounded<Delivery>()
          const next = Queue.take(received).pipe(
            Effect.timeoutOrElse({
              duration: "20 seconds",
              orElse: () => Effect.fail(new Error("no delivery within 20 s"))
            })
          )
          const collector = Logger.make(({ logLevel, message }) => {
            if (logLevel === "Warn")
              Effect.runSync(Ref.update(warnings, HashSet.add(String(Array.isArray(message) ? message[0] : message))))
          })

          yield* Effect.gen(function* () {
            yield* bus.consume({
              consumer: `restart-${crypto.randomUUID().slice(0, 8)}`,
              eventTypes: ["OrderConfirmed"],
              maxAttempts: 3,
              retryDelays: ["50 millis"],
              concurrency: 1,
              handle: (delivery) => Queue.offer(received, delivery)
            })
            const before = anEnvelope("OrderConfirmed", { n: 1 })
            yield* bus.publish([before])
            expect((yield* next).envelope).toEqual(before)

            yield* Effect.addFinalizer(() => Effect.ignore(brokerApp("start_app")))
            yield* brokerApp("stop_app")

            const [took, failure] = yield* Effect.timed(Effect.flip(bus.publish([anEnvelope("OrderConfirmed")])))
            expect(failure._tag).toBe("EventBusUnavailable")
            expect(Duration.toMillis(took)).toBeLessThan(4_000)

            yield* brokerApp("start_app")
            const after = anEnvelope("OrderConfirmed", { n: 2 })
            yield* bus.publish([after]).pipe(Effect.retry({ schedule: Schedule.spaced("250 millis"), times: 40 }))
            const delivered = yield* next
            expect(delivered).toMatchObject({ attempt: 1 })
            expect(delivered.envelope).toEqual(after)
            // The outage was reported: the consumer lost the broker and tried again.
            const logged = [...(yield* Ref.get(warnings))]
            expect(logged.some((line) => /lost RabbitMQ .* reconnecting in/.test(line))).toBe(true)
          }).pipe(Effect.provide(Logger.layer([collector])))
        }).pipe(Effect.provideService(References.MinimumLogLevel, "Warn")),
      90_000
    )
  })
})
