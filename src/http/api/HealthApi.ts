import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
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
  .middleware(RouteTagger)
  .annotate(OpenApi.Description, "Liveness and readiness probes") {}
