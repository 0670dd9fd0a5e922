import { Option, Tracer } from "effect"

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** The span a W3C traceparent names, to continue (and link) its trace from a consumer. */
export const spanOfTraceparent = (traceparent: string | null): Option.Option<Tracer.ExternalSpan> => {
  const match = traceparent === null ? null : TRACEPARENT.exec(traceparent)
  if (match === null) return Option.none()
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string]
  return Option.some(Tracer.externalSpan({ traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 }))
}

/** Links to the requests that wrote these events (one per distinct traceparent), for a span that handles them all. */
export const linksToWriters = (
  envelopes: ReadonlyArray<{ readonly traceparent: string | null; readonly id: string; readonly type: string }>
): Array<Tracer.SpanLink> => {
  const seen = new Set<string>()
  const links: Array<Tracer.SpanLink> = []
  for (const envelope of envelopes) {
    if (envelope.traceparent === null || seen.has(envelope.traceparent)) continue
    seen.add(envelope.traceparent)
    const span = spanOfTraceparent(envelope.traceparent)
    if (Option.isSome(span))
      links.push({ span: span.value, attributes: { "messaging.message.id": envelope.id, "event.type": envelope.type } })
  }
  return links
}
