import { describe, it } from "@effect/vitest"
import * as amqp from "amqplib"
import { Effect, Layer, Redacted } from "effect"
import { EventBus, type Subscription } from "../../src/domain/events/EventBus.ts"
import { EventBusRabbitMq, type EventBusRabbitMqOptions } from "../../src/services/events/EventBusRabbitMq.ts"
import { queuesOf } from "../../src/services/events/rabbitmq/Topology.ts"

/** The RabbitMQ broker the suites use: AMQP_URL, else the local broker. */
export const rabbitMqUrl = (): string => process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672"

export type RabbitMqProbe = { readonly reachable: true } | { readonly reachable: false; readonly reason: string }

const reasonOf = (error: unknown): string => {
  if (error instanceof AggregateError && error.errors.length > 0) return reasonOf(error.errors[0])
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return error.message !== "" ? error.message : String(code ?? error.name)
  }
  return String(error)
}

/** One connection (AMQP handshake included) with a short deadline, closed at once. */
const probe = async (url: string, timeoutMs = 1_000): Promise<RabbitMqProbe> => {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
  })
  const connecting = amqp.connect(url, { timeout: timeoutMs })
  try {
    const connection = await Promise.race([connecting, deadline])
    await connection.close().catch(() => {})
    return { reachable: true }
  } catch (error) {
    // A connection that arrives after the deadline is closed too.
    connecting.then((late) => late.close().catch(() => {})).catch(() => {})
    return { reachable: false, reason: reasonOf(error) }
  } finally {
    clearTimeout(timer)
  }
}

let probed: Promise<RabbitMqProbe> | undefined
/** Probes once per test file. */
export const rabbitMqProbe = (): Promise<RabbitMqProbe> => {
  probed ??= probe(rabbitMqUrl())
  return probed
}

/**
 * Declares a suite that needs a real RabbitMQ. Reachable: `suite(url)` declares it. Unreachable: with CI=true a
 * suite of that name fails with the reason (CI must never pass without its broker); otherwise the suite is reported
 * skipped, with the reason in its title and in a warning.
 */
export const describeWithRabbitMq = async (name: string, suite: (url: string) => void): Promise<void> => {
  const url = rabbitMqUrl()
  const result = await rabbitMqProbe()
  if (result.reachable) return suite(url)
  const reason = `RabbitMQ at ${url.replace(/\/\/[^@/]*@/, "//")} is unreachable (${result.reason})`
  if (process.env.CI === "true") {
    describe(name, () => {
      it("needs a reachable RabbitMQ under CI=true", () => {
        throw new Error(
          `${reason}; CI=true, so this suite fails instead of being skipped. Start RabbitMQ or set AMQP_URL.`
        )
      })
    })
    return
  }
  console.warn(`[rabbitmq] skipping "${name}": ${reason}. Start RabbitMQ or set AMQP_URL to run it.`)
  describe.skip(`${name} [skipped: ${reason}]`, () => {
    it("needs a reachable RabbitMQ", () => {})
  })
}

/** An exchange and a queue prefix of its own, so that suites running in parallel on one broker never meet. */
export interface TestTopology {
  readonly exchange: string
  readonly queuePrefix: string
}

export const isolatedTopology = (): TestTopology => {
  const id = `${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`
  return { exchange: `goticket-test.${id}.events`, queuePrefix: `goticket-test.${id}` }
}

/** Deletes queues and an exchange (missing ones are fine), each on a channel of its own. */
export const deleteTopology = async (url: string, exchange: string, queues: Iterable<string>): Promise<void> => {
  const connection = await amqp.connect(url, { timeout: 3_000 })
  connection.on("error", () => {})
  try {
    const channel = await connection.createChannel()
    channel.on("error", () => {})
    for (const queue of queues) await channel.deleteQueue(queue)
    await channel.deleteExchange(exchange)
    await channel.close()
  } finally {
    await connection.close().catch(() => {})
  }
}

/**
 * The RabbitMQ adapter on an isolated topology: every queue a consumer declared through it, and its exchange, are
 * deleted when the layer is released.
 */
export const isolatedRabbitMqBus = (
  url: string,
  options: Omit<EventBusRabbitMqOptions, "url" | "exchange" | "queuePrefix"> = {},
  topology: TestTopology = isolatedTopology()
): Layer.Layer<EventBus> =>
  Layer.effect(
    EventBus,
    Effect.gen(function* () {
      const queues = new Set<string>()
      // Added before the bus is made: runs after the bus closed its connections.
      yield* Effect.addFinalizer(() =>
        Effect.promise(() =>
          deleteTopology(url, topology.exchange, queues).catch((error: unknown) =>
            console.warn(`[rabbitmq] could not delete the test topology ${topology.queuePrefix}.*: ${reasonOf(error)}`)
          )
        )
      )
      const bus = yield* EventBusRabbitMq.make({
        // Short waits: a consumer stuck in a failing test must not hold the suite for long.
        reconnectMaxDelay: "1 second",
        drainTimeout: "500 millis",
        ...options,
        url: Redacted.make(url),
        ...topology
      })
      return EventBus.of({
        ...bus,
        consume: <R>(subscription: Subscription<R>) => {
          for (const queue of queuesOf(topology.queuePrefix, subscription)) queues.add(queue)
          return bus.consume(subscription)
        }
      })
    })
  )
