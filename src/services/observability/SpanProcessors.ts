import type { Context } from "@opentelemetry/api"
import { SpanKind, SpanStatusCode } from "@opentelemetry/api"
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base"

/**
 * Server spans named `{METHOD} {route}` as the OpenTelemetry conventions ask (`POST /v1/reservations/{reservationId}`),
 * once the router has recorded the route (`http.route`, in its `:param` syntax); before that Effect names them by
 * the method alone. Renamed while ending (onEnding), so the exporter sees the final name.
 */
export class RouteNamedServerSpans implements SpanProcessor {
  onStart(): void {}
  onEnding(span: Span): void {
    if (span.kind !== SpanKind.SERVER) return
    const route = span.attributes["http.route"]
    const method = span.attributes["http.request.method"] ?? span.name
    if (typeof route === "string") span.updateName(`${String(method)} ${route.replace(/:(\w+)/g, "{$1}")}`)
  }
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve()
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

/** The polling loops' root spans: a tick that found nothing to do is not worth a trace. */
export const POLLING_ROOTS: ReadonlySet<string> = new Set([
  "Outbox.relay",
  "WebhookRepository.claimDue",
  "Reservations.expireDue",
  "WaitingLists.expireOffers",
  "SagaSweeper.sweep",
  "RefreshTokenPurge.run",
  "postgres",
  "BEGIN postgres",
  "COMMIT postgres",
  "ROLLBACK postgres",
  "sql.transaction"
])

/** A client span other than a database statement's (an HTTP call: a webhook, the payment provider). */
const callsOut = (span: ReadableSpan) =>
  span.kind === SpanKind.CLIENT && !Object.keys(span.attributes).some((key) => key.startsWith("db."))

interface Pending {
  readonly spans: Array<ReadableSpan>
  keep: boolean
}

/**
 * A tail decision for the background loops, in process and cheap: a trace whose root is a polling tick
 * (POLLING_ROOTS) is held until its root ends and then exported only if it did something worth reading: a span
 * failed, it published or called out (a producer span, a client span other than a database statement), or it took longer than `slowMs`. Every other
 * trace passes straight through to `next`. An idle service exports no spans.
 */
export class IdleTicksDropped implements SpanProcessor {
  private readonly pending = new Map<string, Pending>()
  private readonly next: SpanProcessor
  private readonly slowMs: number
  constructor(next: SpanProcessor, slowMs = 250) {
    this.next = next
    this.slowMs = slowMs
  }

  onStart(span: Span, parentContext: Context): void {
    const traceId = span.spanContext().traceId
    if (span.parentSpanContext === undefined && POLLING_ROOTS.has(span.name))
      this.pending.set(traceId, { spans: [], keep: false })
    this.next.onStart(span, parentContext)
  }

  onEnding(span: Span): void {
    this.next.onEnding?.(span)
  }

  onEnd(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId
    const held = this.pending.get(traceId)
    if (held === undefined) {
      this.next.onEnd(span)
      return
    }
    held.spans.push(span)
    if (span.status.code === SpanStatusCode.ERROR || span.kind === SpanKind.PRODUCER || callsOut(span)) held.keep = true
    if (span.parentSpanContext !== undefined) return
    this.pending.delete(traceId)
    const [seconds, nanos] = span.duration
    if (held.keep || seconds * 1000 + nanos / 1e6 > this.slowMs) for (const s of held.spans) this.next.onEnd(s)
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush()
  }
  shutdown(): Promise<void> {
    this.pending.clear()
    return this.next.shutdown()
  }
}
