import { Effect, Tracer } from "effect"

/**
 * `Effect.withSpan` for the steps every request of a flash sale runs (hold, gate, rate check, bus delivery): the same
 * span (name, kind, attributes, parent, links, timing, status), without the stack frame `withSpan` also pushes into
 * the fiber's context, even with `captureStackTrace: false`. That frame is a second context update per span, and
 * every failure under it (each sold-out refusal) is annotated with it in a new Map. What is lost: a defect's
 * pretty-printed trace does not name these spans (its span does, in the trace).
 *
 * Measured in isolation: a span 1.9 → 1.3 µs, a failure through three nested spans 8.3 → 4.5 µs.
 */
export const hotPathSpan =
  (name: string, options: Tracer.SpanOptionsNoTrace = {}) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, Tracer.ParentSpan>> =>
    Effect.useSpan(name, options, (span) => Effect.provideService(self, Tracer.ParentSpan, span))
