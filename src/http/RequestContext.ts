import { Context } from "effect"

/** Per-request facts gathered while the request runs, read by the request log line when it ends. */
export interface RequestFacts {
  readonly requestId: string
  route: string | undefined
  userId: string | undefined
}

export class RequestContext extends Context.Tag("goticket/RequestContext")<RequestContext, RequestFacts>() {}
