import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Config, Effect, Layer, Option } from "effect"
import { IdleTicksDropped, RouteNamedServerSpans } from "./SpanProcessors.ts"

/**
 * The span processors of the service in front of an exporter: server spans named by route, idle polling ticks
 * dropped (OTEL_TRACES_IDLE_SLOW_MS: a tick slower than this is kept; 250).
 */
export const serviceSpanProcessors = (exporting: SpanProcessor, slowMs?: number): Array<SpanProcessor> => [
  new RouteNamedServerSpans(),
  new IdleTicksDropped(exporting, slowMs)
]

/**
 * OpenTelemetry tracing through @effect/opentelemetry: spans are exported over OTLP/HTTP when the standard
 * OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise Effect's own tracer still gives every request a trace id for the
 * logs. The SDK reads the standard variables itself: OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default
 * parentbased_always_on; parentbased_traceidratio with a ratio for a head sample), OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES. Request headers are not recorded on spans (Effect's default: no header capture).
 */
export const TracingLive = Layer.unwrap(
  Effect.gen(function* () {
    const endpoint = yield* Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT"))
    const serviceName = yield* Config.String("OTEL_SERVICE_NAME").pipe(Config.withDefault("goticket"))
    const slowMs = yield* Config.Int("OTEL_TRACES_IDLE_SLOW_MS").pipe(Config.withDefault(250))
    if (Option.isNone(endpoint)) return Layer.empty
    yield* Effect.logInfo("exporting traces over OTLP").pipe(Effect.annotateLogs({ endpoint: endpoint.value }))
    return NodeSdk.layer(() => ({
      resource: { serviceName },
      // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT itself and appends /v1/traces.
      spanProcessor: serviceSpanProcessors(new BatchSpanProcessor(new OTLPTraceExporter()), slowMs)
    }))
  })
)
