import { expect, layer } from "@effect/vitest"
import { Deferred, Duration, Effect, type Layer, Queue, Ref, References, type Scope } from "effect"
import { aggregateOf, type EventType } from "../../src/domain/events/DomainEvents.ts"
import { type Delivery, EventBus, type Subscription } from "../../src/domain/events/EventBus.ts"
import { EventEnvelope } from "../../src/domain/events/EventEnvelope.ts"

/** A consumer name of its own per test, so that tests (and runs) never share a queue. */
const fresh = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`

export const anEnvelope = (
  type: EventType,
  options: { readonly aggregateId?: string; readonly traceparent?: string | null; readonly n?: number } = {}
) =>
  new EventEnvelope({
    id: crypto.randomUUID(),
    type,
    version: 1,
    occurredAt: new Date(),
    aggregateType: aggregateOf[type],
    aggregateId: options.aggregateId ?? crypto.randomUUID(),
    payload: { n: options.n ?? 0, note: "contract", nested: { list: [1, "two", null], flag: true } },
    traceparent: options.traceparent ?? null
  })

interface Received extends Delivery {
  /** Date.now() when the handler ran. */
  readonly at: number
}

/** Records every delivery; `take(n)` waits for the next n (failing, with what came, if they do not come in time). */
const recorder = Effect.gen(function* () {
  const received = yield* Queue.unbounded<Received>()
  const record = (delivery: Delivery) => Queue.offer(received, { ...delivery, at: Date.now() })
  const take = (n: number, within: Duration.Input = "5 seconds") =>
    Effect.gen(function* () {
      const got: Array<Received> = []
      yield* Effect.gen(function* () {
        while (got.length < n) got.push(yield* Queue.take(received))
      }).pipe(
        Effect.timeoutOrElse({
          duration: within,
          orElse: () =>
            Effect.fail(
              new Error(
                `expected ${n} deliveries within ${Duration.format(Duration.fromInputUnsafe(within))}, got ${got.length}: ${got
                  .map((delivery) => `${delivery.envelope.type}#${delivery.attempt}`)
                  .join(", ")}`
              )
            )
        })
      )
      return got
    })
  /** What else arrived within `wait`: expected to be nothing. */
  const more = (wait: Duration.Input = "150 millis") => Effect.andThen(Effect.sleep(wait), Queue.clear(received))
  return { record, take, more }
})

const subscription = (
  fields: Pick<Subscription, "consumer" | "eventTypes" | "handle"> & Partial<Subscription>
): Subscription => ({ maxAttempts: 3, retryDelays: ["30 millis"], concurrency: 1, ...fields })

const ids = (deliveries: ReadonlyArray<Delivery>) => deliveries.map((delivery) => delivery.envelope.id)

/** Runs `effect` every 25 ms until `check` holds (the broker moves messages asynchronously); 5 s at most. */
export const eventually = <A, E, R>(effect: Effect.Effect<A, E, R>, check: (a: A) => boolean) =>
  Effect.gen(function* () {
    while (true) {
      const a = yield* effect
      if (check(a)) return a
      yield* Effect.sleep("25 millis")
    }
  }).pipe(
    Effect.timeoutOrElse({
      duration: "5 seconds",
      orElse: () => Effect.fail(new Error("the condition never held within 5 s"))
    })
  )

/** Expected failures are logged by the adapters as warnings and errors: silenced here. */
const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provideService(effect, References.MinimumLogLevel, "None")

/**
 * One contract, every adapter: what any EventBus must do. Real time with short delays (tens of milliseconds), so
 * that the broker's own clock (message TTLs) takes part.
 */
export const eventBusContract = (
  name: string,
  /** The adapter, with a drain timeout of half a second (the stuck-handler case waits for it). */
  makeLayer: () => Layer.Layer<EventBus, unknown>
) =>
  layer(makeLayer(), { timeout: "30 seconds", excludeTestServices: true })(`EventBus contract: ${name}`, (it) => {
    const test = (title: string, body: () => Effect.Effect<void, unknown, EventBus | Scope.Scope>) =>
      it.effect(title, () => quiet(body()))

    test("publish → consume: the envelope arrives intact, as attempt 1", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const received = yield* recorder
        yield* bus.consume(
          subscription({
            consumer: fresh("roundtrip"),
            eventTypes: ["OrderConfirmed", "TicketIssued"],
            handle: received.record
          })
        )
        const traced = anEnvelope("OrderConfirmed", {
          traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        })
        const untraced = anEnvelope("TicketIssued")
        yield* bus.publish([traced, untraced])

        const [first, second] = yield* received.take(2)
        expect(first?.attempt).toBe(1)
        expect(first?.envelope).toBeInstanceOf(EventEnvelope)
        expect(first?.envelope).toEqual(traced)
        expect(second).toMatchObject({ attempt: 1, envelope: untraced })
        expect(yield* received.more()).toEqual([])
        // Nothing to publish is no work, and succeeds.
        yield* bus.publish([])
      }))

    test("the handler runs in the trace of the request that caused the event (its traceparent)", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const traces = yield* Queue.unbounded<readonly [string, string]>()
        yield* bus.consume(
          subscription({
            consumer: fresh("trace"),
            eventTypes: ["OrderCancelled"],
            handle: (delivery) =>
              Effect.flatMap(Effect.orDie(Effect.currentSpan), (span) =>
                Queue.offer(traces, [delivery.envelope.id, span.traceId] as const)
              )
          })
        )
        const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
        const traced = anEnvelope("OrderCancelled", { traceparent: `00-${traceId}-00f067aa0ba902b7-01` })
        const untraced = anEnvelope("OrderCancelled")
        yield* bus.publish([traced, untraced])
        const seen = new Map(
          yield* Effect.all([Queue.take(traces), Queue.take(traces)]).pipe(Effect.timeout("5 seconds"))
        )
        expect(seen.get(traced.id)).toBe(traceId)
        expect(seen.get(untraced.id)).toMatch(/^[0-9a-f]+$/)
        expect(seen.get(untraced.id)).not.toBe(traceId)
      }))

    test("only the subscribed types arrive (an aggregate's other events included)", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const received = yield* recorder
        yield* bus.consume(
          subscription({
            consumer: fresh("filter"),
            eventTypes: ["OrderConfirmed", "TicketIssued"],
            handle: received.record
          })
        )
        const wanted = [anEnvelope("OrderConfirmed"), anEnvelope("TicketIssued")]
        yield* bus.publish([
          anEnvelope("OrderCancelled"),
          wanted[0] as EventEnvelope,
          anEnvelope("ReservationCreated"),
          anEnvelope("TicketVoided"),
          wanted[1] as EventEnvelope,
          anEnvelope("OrderRefunded")
        ])
        expect(ids(yield* received.take(2))).toEqual(ids(wanted.map((envelope) => ({ envelope, attempt: 1 }))))
        expect(yield* received.more()).toEqual([])
      }))

    test("events published while the consumer is stopped wait in its queue and arrive when it consumes again", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const received = yield* recorder
        const stopped = subscription({
          consumer: fresh("stopped"),
          eventTypes: ["ReservationCreated"],
          handle: received.record
        })
        const before = anEnvelope("ReservationCreated")
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* bus.consume(stopped)
            yield* bus.publish([before])
            expect(ids(yield* received.take(1))).toEqual([before.id])
          })
        )

        const whileStopped = [anEnvelope("ReservationCreated"), anEnvelope("ReservationCreated")]
        yield* bus.publish(whileStopped)
        expect(yield* received.more()).toEqual([])

        yield* bus.consume(stopped)
        const after = yield* received.take(2)
        expect(ids(after)).toEqual(whileStopped.map((envelope) => envelope.id))
        expect(after.map((delivery) => delivery.attempt)).toEqual([1, 1])
      }))

    test("a handler that fails or dies gets the event again after the delay, as attempt 2", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const received = yield* recorder
        const consumer = fresh("retry")
        const failing = anEnvelope("OrderConfirmed")
        const dying = anEnvelope("OrderConfirmed")
        yield* bus.consume(
          subscription({
            consumer,
            eventTypes: ["OrderConfirmed"],
            maxAttempts: 3,
            retryDelays: ["150 millis"],
            handle: (delivery) =>
              Effect.andThen(
                received.record(delivery),
                delivery.attempt > 1
                  ? Effect.void
                  : delivery.envelope.id === failing.id
                    ? Effect.fail(new Error("temporarily unavailable"))
                    : Effect.die(new Error("handler bug"))
              )
          })
        )
        yield* bus.publish([failing, dying])

        const deliveries = yield* received.take(4)
        const of = (envelope: EventEnvelope) => deliveries.filter((delivery) => delivery.envelope.id === envelope.id)
        for (const envelope of [failing, dying]) {
          const [first, second] = of(envelope)
          expect([first?.attempt, second?.attempt]).toEqual([1, 2])
          expect(second?.envelope).toEqual(envelope)
          // Redelivered after the delay, not at once.
          expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(130)
        }
        // Succeeded the second time: no third attempt, nothing dead.
        expect(yield* received.more("250 millis")).toEqual([])
        expect(yield* bus.deadLetters(consumer)).toEqual([])
      }))

    test("a poison event is dead-lettered after maxAttempts with its error, listed, and handled once replayed", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const received = yield* recorder
        const broken = yield* Ref.make(true)
        const consumer = fresh("poison")
        yield* bus.consume(
          subscription({
            consumer,
            eventTypes: ["TicketIssued"],
            maxAttempts: 3,
            retryDelays: ["20 millis", "40 millis"],
            handle: (delivery) =>
              Effect.andThen(
                received.record(delivery),
                Effect.flatMap(Ref.get(broken), (isBroken) =>
                  isBroken ? Effect.fail(new Error(`cannot handle ${delivery.envelope.id}`)) : Effect.void
                )
              )
          })
        )
        const [first, second] = [anEnvelope("TicketIssued", { n: 1 }), anEnvelope("TicketIssued", { n: 2 })]
        const startedAt = Date.now()
        yield* bus.publish([first, second])

        const deliveries = yield* received.take(6)
        for (const envelope of [first, second])
          expect(
            deliveries.filter((delivery) => delivery.envelope.id === envelope.id).map((delivery) => delivery.attempt)
          ).toEqual([1, 2, 3])

        const dead = yield* eventually(bus.deadLetters(consumer), (letters) => letters.length === 2)
        expect(dead.map((letter) => letter.envelope)).toEqual([first, second])
        for (const [index, letter] of dead.entries()) {
          expect(letter.attempts).toBe(3)
          expect(letter.lastError).toContain(`cannot handle ${[first, second][index]?.id}`)
          expect(letter.deadAt.getTime()).toBeGreaterThanOrEqual(startedAt - 1_000)
          expect(letter.deadAt.getTime()).toBeLessThanOrEqual(Date.now() + 1_000)
        }
        // Listing removes nothing, and nothing more is delivered.
        expect((yield* bus.deadLetters(consumer)).length).toBe(2)
        expect(yield* received.more()).toEqual([])

        yield* Ref.set(broken, false)
        expect(yield* bus.replayDeadLetters(consumer, [second.id])).toBe(1)
        expect((yield* received.take(1)).map((delivery) => [delivery.envelope.id, delivery.attempt])).toEqual([
          [second.id, 1]
        ])
        expect((yield* bus.deadLetters(consumer)).map((letter) => letter.envelope.id)).toEqual([first.id])

        expect(yield* bus.replayDeadLetters(consumer)).toBe(1)
        expect((yield* received.take(1)).map((delivery) => [delivery.envelope.id, delivery.attempt])).toEqual([
          [first.id, 1]
        ])
        expect(yield* bus.deadLetters(consumer)).toEqual([])
        expect(yield* bus.replayDeadLetters(consumer)).toBe(0)
        expect(yield* received.more()).toEqual([])

        // A consumer nobody ever started has no dead letters.
        expect(yield* bus.deadLetters(fresh("nobody"))).toEqual([])
        expect(yield* bus.replayDeadLetters(fresh("nobody"))).toBe(0)
      }))

    test("with concurrency 1, the events of one aggregate arrive in the order they were published", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const received = yield* recorder
        yield* bus.consume(
          subscription({
            consumer: fresh("order"),
            eventTypes: ["ReservationCreated", "ReservationExpired", "ReservationReleased"],
            concurrency: 1,
            // Every third event takes longer: a delivery handled alongside it would overtake it.
            handle: (delivery) =>
              Effect.andThen(
                Effect.sleep((delivery.envelope.payload as { n: number }).n % 3 === 0 ? "15 millis" : "1 millis"),
                received.record(delivery)
              )
          })
        )
        const aggregateId = crypto.randomUUID()
        const types: ReadonlyArray<EventType> = ["ReservationCreated", "ReservationExpired", "ReservationReleased"]
        const events = Array.from({ length: 30 }, (_, n) =>
          anEnvelope(types[n % types.length] ?? "ReservationCreated", { aggregateId, n })
        )
        for (let batch = 0; batch < 3; batch++) yield* bus.publish(events.slice(batch * 10, batch * 10 + 10))
        expect(ids(yield* received.take(30))).toEqual(events.map((envelope) => envelope.id))
      }))

    test("with concurrency n, n deliveries are handled at once", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const running = yield* Ref.make(0)
        const allIn = yield* Deferred.make<void>()
        const received = yield* recorder
        yield* bus.consume(
          subscription({
            consumer: fresh("parallel"),
            eventTypes: ["TicketCheckedIn"],
            concurrency: 3,
            // Each handler waits until three are running: with fewer at once, none would finish.
            handle: (delivery) =>
              Effect.gen(function* () {
                if ((yield* Ref.updateAndGet(running, (n) => n + 1)) === 3) yield* Deferred.succeed(allIn, undefined)
                yield* Deferred.await(allIn)
                yield* received.record(delivery)
              })
          })
        )
        const events = [anEnvelope("TicketCheckedIn"), anEnvelope("TicketCheckedIn"), anEnvelope("TicketCheckedIn")]
        yield* bus.publish(events)
        const deliveries = yield* received.take(3)
        expect(new Set(ids(deliveries))).toEqual(new Set(events.map((envelope) => envelope.id)))
        expect(deliveries.every((delivery) => delivery.attempt === 1)).toBe(true)
      }))

    test("closing a consumer lets its in-flight handler finish; what it had not started waits for the next", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const received = yield* recorder
        const started = yield* Deferred.make<void>()
        const finished = yield* Ref.make(0)
        const drained = subscription({
          consumer: fresh("drain"),
          eventTypes: ["OrderConfirmed"],
          concurrency: 1,
          handle: (delivery) =>
            Effect.gen(function* () {
              yield* received.record(delivery)
              yield* Deferred.succeed(started, undefined)
              yield* Effect.sleep("100 millis")
              yield* Ref.update(finished, (n) => n + 1)
            })
        })
        const events = [anEnvelope("OrderConfirmed"), anEnvelope("OrderConfirmed")]
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* bus.consume(drained)
            yield* bus.publish(events)
            yield* Deferred.await(started)
          })
        )
        // The scope closed only once the first handler had finished, and the second event was not started.
        expect(yield* Ref.get(finished)).toBe(1)
        expect(ids(yield* received.more("200 millis"))).toEqual([events[0]?.id])

        yield* bus.consume(drained)
        expect(ids(yield* received.take(1))).toEqual([events[1]?.id])
      }))

    test("a handler stuck past the drain timeout is interrupted, and its event is delivered again", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const received = yield* recorder
        const stuck = subscription({
          consumer: fresh("stuck"),
          eventTypes: ["TicketVoided"],
          handle: (delivery) => Effect.andThen(received.record(delivery), Effect.never)
        })
        const event = anEnvelope("TicketVoided")
        const [took] = yield* Effect.timed(
          Effect.scoped(
            Effect.gen(function* () {
              yield* bus.consume(stuck)
              yield* bus.publish([event])
              expect(ids(yield* received.take(1))).toEqual([event.id])
            })
          )
        )
        // The suites run with a drain timeout of half a second.
        expect(Duration.toMillis(took)).toBeLessThan(3_000)

        yield* bus.consume({ ...stuck, handle: received.record })
        const [again] = yield* received.take(1)
        expect(again?.envelope).toEqual(event)
        expect(again?.attempt).toBe(1)
      }))

    test("two consumers each get every event", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const [notifications, stats] = [yield* recorder, yield* recorder]
        const types: ReadonlyArray<EventType> = ["OrderConfirmed", "OrderRefunded"]
        yield* bus.consume(subscription({ consumer: fresh("notify"), eventTypes: types, handle: notifications.record }))
        yield* bus.consume(subscription({ consumer: fresh("stats"), eventTypes: types, handle: stats.record }))
        const events = Array.from({ length: 5 }, (_, n) => anEnvelope(n % 2 === 0 ? "OrderConfirmed" : "OrderRefunded"))
        yield* bus.publish(events)
        expect(ids(yield* notifications.take(5))).toEqual(events.map((envelope) => envelope.id))
        expect(ids(yield* stats.take(5))).toEqual(events.map((envelope) => envelope.id))
        expect([...(yield* notifications.more()), ...(yield* stats.more(0))]).toEqual([])
      }))
  })
