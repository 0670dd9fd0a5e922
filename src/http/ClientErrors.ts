import type { Socket } from "node:net"
import { securityHeaders } from "./RequestPipeline.ts"

const answers: Record<string, readonly [status: number, reason: string, tag: string, message: string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    "Request Header Fields Too Large",
    "RequestHeaderFieldsTooLarge",
    "the request line and headers exceed 16 KiB"
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout", "RequestTimeout", "the request took too long to arrive"]
}
const malformed = [400, "Bad Request", "MalformedRequest", "the request is not valid HTTP/1.1"] as const

/**
 * What Node answers by itself, before the application sees a request (headers too large, a request too slow to
 * arrive, bytes that are not HTTP), in the API's own shape: JSON with `_tag` and `message` and the security headers,
 * then the connection is closed. A connection already gone is just dropped.
 */
export const answerClientError = (error: Error & { code?: string }, socket: Socket): void => {
  if (!socket.writable || error.code === "ECONNRESET") {
    socket.destroy()
    return
  }
  const [status, reason, tag, message] = answers[error.code ?? ""] ?? malformed
  const body = JSON.stringify({ _tag: tag, message })
  const headers = Object.entries({
    ...securityHeaders("/"),
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    connection: "close"
  })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("")
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${headers}\r\n${body}`)
}
