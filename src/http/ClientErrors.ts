import type { Socket } from "node:net"
import { MAX_URL_LENGTH, securityHeaders } from "./RequestPipeline.ts"

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
 * The length of the request target in the bytes Node's parser gave up on, when they start with the request line (a
 * line cut short by the end of the packet counts as far as it goes); undefined when they do not.
 */
const targetLengthIn = (packet: Buffer | undefined): number | undefined => {
  if (packet === undefined) return undefined
  const end = packet.indexOf("\r\n")
  const line = packet.subarray(0, end === -1 ? packet.length : end).toString("latin1")
  return /^[A-Z]+ (\S+)/.exec(line)?.[1]?.length
}

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
  // Past 16 KiB the parser refuses a long target as a header overflow: it is still an overlong target (414), as
  // one between 8 and 16 KiB is (RequestPipeline).
  const packet = (error as { rawPacket?: Buffer }).rawPacket
  const targetLength = error.code === "HPE_HEADER_OVERFLOW" ? targetLengthIn(packet) : undefined
  const [status, reason, tag, message] =
    targetLength !== undefined && targetLength > MAX_URL_LENGTH
      ? ([414, "URI Too Long", "UriTooLong", `the request path and query exceed ${MAX_URL_LENGTH} characters`] as const)
      : (answers[error.code ?? ""] ?? malformed)
  const body = JSON.stringify(status === 414 ? { _tag: tag, message, limit: MAX_URL_LENGTH } : { _tag: tag, message })
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
