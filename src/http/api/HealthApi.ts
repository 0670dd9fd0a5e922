import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { Unauthenticated } from "../../domain/accounts/errors.ts"
import { RouteTagger } from "./Authentication.ts"

export class NotReady extends Schema.TaggedError<NotReady>()(
  "NotReady",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 503 })
) {}

export const HealthStatus = Schema.Struct({
  status: Schema.Literal("ok"),
  checks: Schema.Record({ key: Schema.String, value: Schema.String })
})

export class HealthApi extends HttpApiGroup.make("health")
  .add(HttpApiEndpoint.get("live", "/health/live").addSuccess(HealthStatus))
  .add(HttpApiEndpoint.get("ready", "/health/ready").addSuccess(HealthStatus).addError(NotReady))
  .add(
    HttpApiEndpoint.get("metrics", "/metrics")
      .addSuccess(HttpApiSchema.Text({ contentType: "text/plain; version=0.0.4; charset=utf-8" }))
      .addError(Unauthenticated, { status: 401 })
      .annotate(OpenApi.Summary, "Prometheus metrics (with METRICS_TOKEN set: Authorization: Bearer <token>)")
      .annotate(
        OpenApi.Description,
        "Counters, gauges and histograms in the Prometheus text format, among them goticket_outbox_lag_seconds " +
          "(age of the oldest domain event not yet confirmed by the broker) and goticket_outbox_pending."
      )
  )
  .middleware(RouteTagger)
  .annotate(OpenApi.Description, "Liveness and readiness probes, and metrics") {}
