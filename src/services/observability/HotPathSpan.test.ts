import { describe, expect, it } from "@effect/vitest"
import { Effect, Tracer } from "effect"
import { hotPathSpan } from "./HotPathSpan.ts"

/** A tracer that keeps the names of the spans it made (a tracing backend, as far as the spans can tell). */
const recordingTracer = () => {
  const made: Array<string> = []
  const tracer = Tracer.make({
    span: (options) => {
      made.push(options.name)
      return new Tracer.NativeSpan(options)
    }
  })
  return { made, tracer }
}

const spanName = Effect.currentSpan.pipe(Effect.map((span) => span.name))

describe("hotPathSpan", () => {
  it.effect("with a tracing backend, a hot-path step is a child span of the request's span", () =>
    Effect.gen(function* () {
      const { made, tracer } = recordingTracer()
      const inner = yield* spanName.pipe(
        hotPathSpan("InventoryCache.keyMarked"),
        Effect.withSpan("POST"),
        Effect.withTracer(tracer)
      )
      expect(inner).toBe("InventoryCache.keyMarked")
      expect(made).toEqual(["POST", "InventoryCache.keyMarked"])
    })
  )

  it.effect("under a span the sampler left out, no child span is made", () =>
    Effect.gen(function* () {
      const { made, tracer } = recordingTracer()
      const inner = yield* spanName.pipe(
        hotPathSpan("InventoryCache.keyMarked"),
        Effect.withSpan("POST", { sampled: false }),
        Effect.withTracer(tracer)
      )
      expect(inner).toBe("POST")
      expect(made).toEqual(["POST"])
    })
  )

  it.effect("without a tracing backend (the native tracer), the step runs in its parent's span", () =>
    Effect.gen(function* () {
      const inner = yield* spanName.pipe(hotPathSpan("InventoryCache.keyMarked"), Effect.withSpan("POST"))
      expect(inner).toBe("POST")
    })
  )

  it.effect("without a tracing backend, a server span, a root span and a span without a parent are still made", () =>
    Effect.gen(function* () {
      const server = yield* spanName.pipe(hotPathSpan("POST", { kind: "server" }), Effect.withSpan("outer"))
      const root = yield* spanName.pipe(hotPathSpan("Outbox.relay", { root: true }), Effect.withSpan("outer"))
      const alone = yield* spanName.pipe(hotPathSpan("ReservationRepository.placeGroup"))
      expect([server, root, alone]).toEqual(["POST", "Outbox.relay", "ReservationRepository.placeGroup"])
    })
  )
})
