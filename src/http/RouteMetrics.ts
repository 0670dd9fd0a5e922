import { HttpApi } from "effect/http-api"
import * as Prom from "prom-client"
import { registry } from "../services/observability/Metrics.ts"
import { GoTicketApi } from "./api/GoTicketApi.ts"

/** Requests answered before or without routing (refused up front, no such route) share this route label. */
export const UNMATCHED_ROUTE = "unmatched"

const STATUS_CLASSES = ["2xx", "4xx", "5xx"] as const

/**
 * RED per route: `http_server_request_duration_seconds` (OpenTelemetry's name for it) by method, route template
 * (`/v1/reservations/{reservationId}`, never an id) and status class. Its _count is the rate, the 5xx share the
 * errors, the buckets the latency.
 */
const durations = new Prom.Histogram({
  name: "http_server_request_duration_seconds",
  help: "Duration of HTTP requests answered, by method, route template and status class",
  labelNames: ["method", "route", "status_class"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry]
})

/** The router's path syntax (`:id`) in OpenTelemetry's route template syntax (`{id}`); cached per route. */
const templates = new Map<string, string>()
export const routeTemplate = (path: string | undefined): string => {
  if (path === undefined) return UNMATCHED_ROUTE
  let template = templates.get(path)
  if (template === undefined) {
    template = path.replace(/:(\w+)/g, "{$1}")
    templates.set(path, template)
  }
  return template
}

/** One cached child per (method, route, class): an observation is a map look-up and a bucket increment. */
const children = new Map<string, Prom.Histogram.Internal<string>>()
const child = (method: string, route: string, statusClass: string) => {
  const key = `${method} ${route} ${statusClass}`
  let found = children.get(key)
  if (found === undefined) {
    found = durations.labels(method, route, statusClass)
    children.set(key, found)
  }
  return found
}

const statusClassOf = (status: number) =>
  status >= 500 ? "5xx" : status >= 400 ? "4xx" : status >= 300 ? "3xx" : "2xx"

/** Records one answered request: `routePath` as the router matched it (undefined when nothing matched). */
export const recordRequest = (method: string, routePath: string | undefined, status: number, seconds: number) =>
  child(method, routeTemplate(routePath), statusClassOf(status)).observe(seconds)

/** Every endpoint of the API with each status class, at zero: the series exist before the first request. */
HttpApi.reflect(GoTicketApi, {
  onGroup: () => {},
  onEndpoint: ({ endpoint }) => {
    for (const status_class of STATUS_CLASSES)
      durations.zero({ method: endpoint.method, route: routeTemplate(endpoint.path), status_class })
  }
})
for (const status_class of STATUS_CLASSES) durations.zero({ method: "GET", route: UNMATCHED_ROUTE, status_class })
