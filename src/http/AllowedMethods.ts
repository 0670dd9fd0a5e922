import { HttpApi } from "effect/http-api"
import { GoTicketApi } from "./api/GoTicketApi.ts"

/** A documented path as a pattern (`/v1/events/:eventId` → `/v1/events/[^/]+`) and the methods it answers. */
interface Route {
  readonly pattern: RegExp
  readonly methods: Set<string>
}

const escapeRegExp = (segment: string) => segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

const patternOf = (path: string) =>
  new RegExp(
    `^${path
      .split("/")
      .map((segment) => (segment.startsWith(":") ? "[^/]+" : escapeRegExp(segment)))
      .join("/")}$`
  )

const routes = (() => {
  const byPath = new Map<string, Set<string>>([
    ["/openapi.json", new Set(["GET"])],
    ["/docs", new Set(["GET"])]
  ])
  HttpApi.reflect(GoTicketApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => {
      const methods = byPath.get(endpoint.path) ?? new Set<string>()
      methods.add(endpoint.method)
      byPath.set(endpoint.path, methods)
    }
  })
  return [...byPath].map(([path, methods]): Route => ({ pattern: patternOf(path), methods }))
})()

/**
 * The methods the API documents for a path (HEAD wherever GET is), in the order of an `Allow` header;
 * empty when the path is not the API's at all.
 */
export const allowedMethods = (path: string): ReadonlyArray<string> => {
  const methods = new Set<string>()
  for (const route of routes) if (route.pattern.test(path)) for (const method of route.methods) methods.add(method)
  if (methods.has("GET")) methods.add("HEAD")
  return [...methods]
}
