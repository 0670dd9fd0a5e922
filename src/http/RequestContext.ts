import { Context } from "effect"
import type { Rated } from "../services/security/TrafficClasses.ts"

/** Per-request facts gathered while the request runs, read by the request log line when it ends. */
export interface RequestFacts {
  readonly requestId: string
  route: string | undefined
  userId: string | undefined
  /** The rate decision reported in the RateLimit headers; handlers may replace it with a tighter one. */
  rated: Rated | undefined
}

export class RequestContext extends Context.Service<RequestContext, RequestFacts>()("goticket/RequestContext") {}
