import { Option, Tracer } from "effect"

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** The span a W3C traceparent names, to continue (and link) its trace from a consumer. */
export const spanOfTraceparent = (traceparent: string | null): Option.Option<Tracer.ExternalSpan> => {
  const match = traceparent === null ? null : TRACEPARENT.exec(traceparent)
  if (match === null) return Option.none()
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string]
  return Option.some(Tracer.externalSpan({ traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 }))
}
