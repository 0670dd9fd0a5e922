import { Effect, Option, Tracer } from "effect"

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** The span a W3C traceparent names, to continue (or link) its trace from elsewhere. */
export const spanOfTraceparent = (traceparent: string | null | undefined): Option.Option<Tracer.ExternalSpan> => {
  const match = traceparent === null || traceparent === undefined ? null : TRACEPARENT.exec(traceparent)
  if (match === null) return Option.none()
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string]
  return Option.some(Tracer.externalSpan({ traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 }))
}

/**
 * The current span links to the span `traceparent` names when it is in another trace (a run of a saga resumed by a
 * webhook, linked to the request that started the saga); nothing when it is in that trace already or names none.
 */
export const linkToTraceparent = (traceparent: string | null | undefined, attributes: Record<string, unknown>) =>
  Effect.map(Effect.option(Effect.currentSpan), (current) => {
    const origin = spanOfTraceparent(traceparent)
    if (Option.isNone(current) || Option.isNone(origin)) return
    if (current.value.traceId === origin.value.traceId) return
    current.value.addLinks([{ span: origin.value, attributes }])
  })
