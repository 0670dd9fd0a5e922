import { Option, type Tracer } from "effect"
import { spanOfTraceparent } from "../../domain/shared/Traceparent.ts"

export { spanOfTraceparent }

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
