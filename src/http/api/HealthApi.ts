import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { Unauthenticated } from "../../domain/accounts/errors.ts"

export class NotReady extends Schema.TaggedError<NotReady>()(
  "NotReady",
  { message: Schema.String },
  { httpApiStatus: 503 }
) {}

export const HealthStatus = Schema.Struct({
  status: Schema.Literal("ok"),
  checks: Schema.Record(Schema.String, Schema.String)
})

export class HealthApi extends HttpApiGroup.make("health")
  .add(
    HttpApiEndpoint.get("live", "/health/live", { success: HealthStatus })
      .annotate(OpenApi.Summary, "Liveness: the process answers")
      .annotate(OpenApi.Description, "Always 200 while the process runs; it checks nothing else.")
  )
  .add(
    HttpApiEndpoint.get("ready", "/health/ready", { success: HealthStatus, error: NotReady })
      .annotate(OpenApi.Summary, "Readiness: the service can take traffic")
      .annotate(
        OpenApi.Description,
        "200 once the service is ready: its start-up tasks (the configured admin account, the demo data when SEED_DEMO is on) are done and the database answers. 503 NotReady before, or when the database does not answer within 2 s."
      )
  )
  .add(
    HttpApiEndpoint.get("metrics", "/metrics", {
      success: Schema.String.pipe(HttpApiSchema.asText({ contentType: "text/plain; version=0.0.4; charset=utf-8" })),
      error: Unauthenticated.pipe(HttpApiSchema.status(401))
    })
      .annotate(OpenApi.Summary, "Prometheus metrics (with METRICS_TOKEN set: Authorization: Bearer <token>)")
      .annotate(
        OpenApi.Description,
        "Counters, gauges and histograms in the Prometheus text format, among them goticket_outbox_lag_seconds " +
          "(age of the oldest domain event not yet confirmed by the broker) and goticket_outbox_pending."
      )
  )
  .annotate(OpenApi.Title, "Health")
  .annotate(OpenApi.Description, "Liveness and readiness probes for orchestrators, and Prometheus metrics") {}
