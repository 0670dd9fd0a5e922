import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Config, Effect, Layer, Option } from "effect"

/**
 * OpenTelemetry tracing through @effect/opentelemetry: spans are exported over OTLP/HTTP when the standard
 * OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise Effect's own tracer still gives every request a trace id for the logs.
 */
export const TracingLive = Layer.unwrap(
  Effect.gen(function* () {
    const endpoint = yield* Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT"))
    const serviceName = yield* Config.String("OTEL_SERVICE_NAME").pipe(Config.withDefault("goticket"))
    if (Option.isNone(endpoint)) return Layer.empty
    yield* Effect.logInfo("exporting traces over OTLP").pipe(Effect.annotateLogs({ endpoint: endpoint.value }))
    return NodeSdk.layer(() => ({
      resource: { serviceName },
      // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT itself and appends /v1/traces.
      spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter())
    }))
  })
)
