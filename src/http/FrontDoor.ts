import { IncomingMessage, type Server, type ServerResponse } from "node:http"
import { Context } from "effect"

/**
 * A route served straight from Node's `request` event, before the Effect HTTP stack: it answers the request itself
 * and returns true, or returns false (having read nothing) to leave it to the stack. A route that has read the body
 * and then declines hands `pass` a request that replays that body (`replayRequest`).
 */
export type FrontRoute = (
  request: IncomingMessage,
  response: ServerResponse,
  pass: (request: IncomingMessage) => void
) => boolean

export interface FrontDoorShape {
  /** Serves `route` in front of the stack until the returned function is called. */
  readonly install: (route: FrontRoute) => () => void
}

/** The HTTP server's front door: where a hot route is served without the generic request pipeline. */
export class FrontDoor extends Context.Service<FrontDoor, FrontDoorShape>()("goticket/http/FrontDoor") {}

/**
 * A front door and the function that fits it to a Node server: the server's `request` events go to the installed
 * route first, and to the listeners (the Effect stack) when it declines or none is installed.
 */
export const makeFrontDoor = () => {
  let route: FrontRoute | undefined
  const attach = (server: Server) => {
    const emit = server.emit as (this: Server, event: string | symbol, ...args: Array<unknown>) => boolean
    server.emit = function (this: Server, event: string | symbol, ...args: Array<unknown>) {
      if (event === "request" && route !== undefined) {
        const response = args[1] as ServerResponse
        const pass = (request: IncomingMessage) => {
          emit.call(this, "request", request, response)
        }
        if (route(args[0] as IncomingMessage, response, pass)) return true
      }
      return emit.call(this, event, ...args)
    } as Server["emit"]
    return server
  }
  const door = FrontDoor.of({
    install: (installed) => {
      route = installed
      return () => {
        if (route === installed) route = undefined
      }
    }
  })
  return { attach, door } as const
}

/**
 * A copy of `source` (method, target, headers, peer) whose body is `body`, for a route that read the body and then
 * declined: the stack reads it as if it came from the socket. With `error`, the body ends with that error instead
 * (the client hung up while sending it).
 */
export const replayRequest = (source: IncomingMessage, body: Buffer, error?: Error): IncomingMessage => {
  const copy = new IncomingMessage(source.socket)
  copy.method = source.method
  copy.url = source.url
  copy.headers = source.headers
  copy.rawHeaders = source.rawHeaders
  copy.httpVersion = source.httpVersion
  copy.httpVersionMajor = source.httpVersionMajor
  copy.httpVersionMinor = source.httpVersionMinor
  if (body.length > 0) copy.push(body)
  if (error === undefined) {
    copy.push(null)
    copy.complete = true
  } else copy.destroy(error)
  return copy
}
