import { createServer, type Socket } from "node:net"
import { describe, expect, it, layer } from "@effect/vitest"
import * as amqp from "amqplib"
import { Deferred, Duration, Effect, Queue, Redacted, Ref, References, Schema } from "effect"
import { TestClock } from "effect/testing"
import { anEnvelope, eventBusContract, eventually } from "../../../test/contracts/EventBusContract.ts"
import { describeWithRabbitMq, isolatedRabbitMqBus, isolatedTopology } from "../../../test/support/RabbitMq.ts"
import { routingKeyOf } from "../../domain/events/DomainEvents.ts"
import { type Delivery, EventBus } from "../../domain/events/EventBus.ts"
import { EnvelopeJson } from "../../domain/events/EventEnvelope.ts"
import { EventBusInProcess } from "./EventBusInProcess.ts"
import { EventBusRabbitMq } from "./EventBusRabbitMq.ts"
import { consumerQueues, Header } from "./rabbitmq/Topology.ts"

// ---------------------------------------------------------------------------------------------------------------
// In process
// ---------------------------------------------------------------------------------------------------------------

// A short drain timeout: a consumer stuck in a (failing) test lets the suite go on at once.
eventBusContract("in-process", () => EventBusInProcess.layer({ drainTimeout: "500 millis" }))

// A layer's `it`: the bus and the test services (TestClock).
layer(EventBusInProcess.layer())("EventBusInProcess", (it) => {
  it.effect("publish returns before any handler runs: handlers run on their own fibers", () =>
    Effect.gen(function* () {
      const bus = yield* EventBus
      const handled = yield* Ref.make(0)
      const done = yield* Deferred.make<void>()
      yield* bus.consume({
        consumer: "sync-check",
        eventTypes: ["OrderConfirmed"],
        maxAttempts: 1,
        retryDelays: [],
        concurrency: 4,
        handle: () =>
          Effect.andThen(
            Ref.update(handled, (n) => n + 1),
            Deferred.succeed(done, undefined)
          )
      })
      yield* bus.publish([anEnvelope("OrderConfirmed")])
      expect(yield* Ref.get(handled)).toBe(0)
      yield* Deferred.await(done)
      expect(yield* Ref.get(handled)).toBe(1)
    })
  )

  it.effect("retries wait on Effect's Clock: TestClock moves them", () =>
    Effect.gen(function* () {
      const bus = yield* EventBus
      const received = yield* Queue.unbounded<Delivery>()
      yield* bus.consume({
        consumer: "clock",
        eventTypes: ["TicketIssued"],
        maxAttempts: 3,
        retryDelays: ["1 minute", "1 hour"],
        concurrency: 1,
        handle: (delivery) => Effect.andThen(Queue.offer(received, delivery), Effect.fail("not yet"))
      })
      const event = anEnvelope("TicketIssued")
      yield* bus.publish([event])
      expect((yield* Queue.take(received)).attempt).toBe(1)

      yield* TestClock.adjust("59 seconds")
      expect(yield* Queue.size(received)).toBe(0)
      yield* TestClock.adjust("1 second")
      expect((yield* Queue.take(received)).attempt).toBe(2)

      // The last attempt waits for the second delay; then the event is dead, at the clock's time.
      yield* TestClock.adjust("59 minutes")
      expect(yield* Queue.size(received)).toBe(0)
      yield* TestClock.adjust("1 minute")
      expect((yield* Queue.take(received)).attempt).toBe(3)
      const [dead] = yield* bus.deadLetters("clock").pipe(Effect.repeat({ until: (letters) => letters.length > 0 }))
      expect(dead).toMatchObject({ attempts: 3, lastError: "not yet", envelope: event })
      expect(dead?.deadAt.getTime()).toBe(61 * 60_000)
    }).pipe(Effect.provideService(References.MinimumLogLevel, "None"))
  )
})

// ---------------------------------------------------------------------------------------------------------------
// RabbitMQ without a broker: needs no server.
// ---------------------------------------------------------------------------------------------------------------

/** A TCP server that accepts connections and never answers: a broker that hangs. */
const silentServer = Effect.acquireRelease(
  Effect.callback<{ readonly port: number; readonly close: () => void }>((resume) => {
    const sockets = new Set<Socket>()
    const server = createServer((socket) => {
      sockets.add(socket)
      socket.on("error", () => {})
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resume(
        Effect.succeed({
          port: typeof address === "object" && address !== null ? address.port : 0,
          close: () => {
            for (const socket of sockets) socket.destroy()
            server.close()
          }
        })
      )
    })
  }),
  (server) => Effect.sync(server.close)
)

describe("EventBusRabbitMq without a broker", () => {
  it.live("builds, and every call fails with EventBusUnavailable at once on a dead port", () =>
    Effect.gen(function* () {
      const bus = yield* EventBus
      const startedAt = Date.now()
      const failure = yield* Effect.flip(bus.publish([anEnvelope("OrderConfirmed")]))
      expect(failure._tag).toBe("EventBusUnavailable")
      expect(failure.message).toMatch(/127\.0\.0\.1:1/)
      expect((yield* Effect.flip(bus.deadLetters("notifications")))._tag).toBe("EventBusUnavailable")
      expect((yield* Effect.flip(bus.replayDeadLetters("notifications")))._tag).toBe("EventBusUnavailable")
      // A consumer starts anyway and keeps trying in the background.
      yield* bus.consume({
        consumer: "notifications",
        eventTypes: ["OrderConfirmed"],
        maxAttempts: 1,
        retryDelays: [],
        concurrency: 1,
        handle: () => Effect.void
      })
      expect(Date.now() - startedAt).toBeLessThan(2_000)
    }).pipe(
      Effect.provide(EventBusRabbitMq.layer({ url: Redacted.make("amqp://guest:guest@127.0.0.1:1") })),
      Effect.provideService(References.MinimumLogLevel, "None")
    )
  )

  it.live("a broker that never answers: publish fails with EventBusUnavailable after its timeout, no hang", () =>
    Effect.gen(function* () {
      const server = yield* silentServer
      const [took, failure] = yield* Effect.gen(function* () {
        const bus = yield* EventBus
        return yield* Effect.flip(bus.publish([anEnvelope("OrderConfirmed")]))
      }).pipe(
        Effect.provide(
          EventBusRabbitMq.layer({
            url: Redacted.make(`amqp://guest:guest@127.0.0.1:${server.port}`),
            connectTimeout: "300 millis",
            publishTimeout: "600 millis"
          })
        ),
        Effect.timed
      )
      expect(failure._tag).toBe("EventBusUnavailable")
      expect(failure.message).toMatch(/within/)
      expect(Duration.toMillis(took)).toBeLessThan(1_500)
    })
  )
})

// ---------------------------------------------------------------------------------------------------------------
// RabbitMQ
// ---------------------------------------------------------------------------------------------------------------

const rawConnection = (url: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const connection = await amqp.connect(url)
      connection.on("error", () => {})
      const channel = await connection.createChannel()
      channel.on("error", () => {})
      return { connection, channel }
    }),
    ({ connection }) => Effect.promise(() => connection.close().catch(() => {}))
  )

await describeWithRabbitMq("EventBus on RabbitMQ", (url) => {
  eventBusContract("RabbitMQ", () => isolatedRabbitMqBus(url))

  const topology = isolatedTopology()
  layer(isolatedRabbitMqBus(url, {}, topology), { timeout: "30 seconds", excludeTestServices: true })(
    "EventBusRabbitMq on the wire",
    (it) => {
      it.effect("a published event is a persistent JSON message, identified, typed, timestamped, traced", () =>
        Effect.gen(function* () {
          const bus = yield* EventBus
          const { channel } = yield* rawConnection(url)
          const tap = `${topology.queuePrefix}.tap`
          yield* Effect.addFinalizer(() => Effect.promise(() => channel.deleteQueue(tap).catch(() => {})))
          yield* Effect.promise(async () => {
            await channel.assertExchange(topology.exchange, "topic", { durable: true })
            await channel.assertQueue(tap, { durable: false })
            await channel.bindQueue(tap, topology.exchange, "order.*")
          })
          const event = anEnvelope("OrderConfirmed", {
            traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
          })
          yield* bus.publish([event])
          const message = yield* eventually(
            Effect.promise(() => channel.get(tap, { noAck: true })),
            (got) => got !== false
          )
          if (message === false) return expect.fail("the event never reached the tap queue")
          expect(message.fields).toMatchObject({ exchange: topology.exchange, routingKey: routingKeyOf(event.type) })
          expect(message.properties).toMatchObject({
            messageId: event.id,
            type: event.type,
            contentType: "application/json",
            deliveryMode: 2,
            timestamp: Math.floor(event.occurredAt.getTime() / 1000),
            headers: { traceparent: event.traceparent }
          })
          expect(Schema.decodeUnknownSync(EnvelopeJson)(message.content.toString("utf8"))).toEqual(event)
        })
      )

      it.effect("a message that is not an envelope goes straight to the dead letters, never to the handler", () =>
        Effect.gen(function* () {
          const bus = yield* EventBus
          const handled = yield* Ref.make(0)
          const consumer = `unreadable-${crypto.randomUUID().slice(0, 8)}`
          yield* bus.consume({
            consumer,
            eventTypes: ["OrderConfirmed"],
            maxAttempts: 5,
            retryDelays: ["10 millis"],
            concurrency: 1,
            handle: () => Ref.update(handled, (n) => n + 1)
          })
          const { channel } = yield* rawConnection(url)
          channel.publish(topology.exchange, routingKeyOf("OrderConfirmed"), Buffer.from("{not json"), {
            messageId: "garbage-1"
          })
          const dead = consumerQueues(topology.queuePrefix, consumer).dead
          const message = yield* eventually(
            Effect.promise(() => channel.get(dead, { noAck: false })),
            (got) => got !== false
          )
          if (message === false) return expect.fail("the unreadable message never reached the dead letters")
          channel.nack(message, false, true)
          expect(message.content.toString("utf8")).toBe("{not json")
          expect(message.properties.messageId).toBe("garbage-1")
          expect(String(message.properties.headers?.[Header.error])).toMatch(/^unreadable envelope/)
          expect(yield* Ref.get(handled)).toBe(0)
          // Not an event: not listed (and left where it is).
          expect(yield* bus.deadLetters(consumer)).toEqual([])
        }).pipe(Effect.provideService(References.MinimumLogLevel, "None"))
      )
    }
  )
})
