import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Option, Result, Stream, SubscriptionRef } from "effect"
import { SIGNATURE_HEADER } from "../sandbox/Signature.ts"

/** One request the receiver got, and what it answered. */
export interface ReceivedWebhook {
  readonly payload: string
  readonly signature: string | undefined
  /** The event id in the payload ("" when it is not JSON with an id). */
  readonly eventId: string
  /** How many times this event id had been received before this one. */
  readonly previous: number
  readonly status: number
}

const eventIdOf = (payload: string): string => {
  try {
    const id = (JSON.parse(payload) as { id?: unknown }).id
    return typeof id === "string" ? id : ""
  } catch {
    return ""
  }
}

/**
 * A webhook endpoint for tests: a plain node:http server on a free loopback port that records every request and
 * answers what `answer` says (200 by default), e.g. 500 twice then 200 to exercise retries. Closed with the scope.
 */
export const makeWebhookReceiver = (answer: (delivery: Omit<ReceivedWebhook, "status">) => number = () => 200) =>
  Effect.gen(function* () {
    const received = yield* SubscriptionRef.make<ReadonlyArray<ReceivedWebhook>>([])
    const record = (delivery: ReceivedWebhook) =>
      Effect.runSync(SubscriptionRef.update(received, (all) => [...all, delivery]))

    const server = createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        const payload = Buffer.concat(chunks).toString("utf8")
        const header = request.headers[SIGNATURE_HEADER.toLowerCase()]
        const eventId = eventIdOf(payload)
        const previous = Effect.runSync(SubscriptionRef.get(received)).filter((d) => d.eventId === eventId).length
        const delivery = { payload, signature: Array.isArray(header) ? header[0] : header, eventId, previous }
        const status = answer(delivery)
        record({ ...delivery, status })
        response.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "try again")
      })
    })
    const port = yield* Effect.acquireRelease(
      Effect.callback<number>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
      }),
      () =>
        Effect.callback<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )

    /** Waits until the deliveries received so far satisfy `select` (which returns what it found, if anything). */
    const waitFor = <A>(select: (all: ReadonlyArray<ReceivedWebhook>) => Option.Option<A>) =>
      SubscriptionRef.changes(received).pipe(
        Stream.filterMap((all) => Result.fromOption(select(all), () => all)),
        Stream.runHead,
        Effect.flatMap((found) => Effect.fromOption(found)),
        Effect.timeoutOrElse({
          duration: "15 seconds",
          orElse: () => Effect.fail(new Error("no such webhook delivery arrived"))
        }),
        Effect.orDie
      )

    return {
      url: `http://127.0.0.1:${port}/webhooks`,
      received: SubscriptionRef.get(received),
      waitFor,
      /** The first delivery acknowledged (2xx) that `matches`. */
      acknowledged: (matches: (delivery: ReceivedWebhook) => boolean) =>
        waitFor((all) => Option.fromNullishOr(all.find((d) => d.status < 300 && matches(d))))
    }
  })

export type WebhookReceiver = Effect.Success<ReturnType<typeof makeWebhookReceiver>>
