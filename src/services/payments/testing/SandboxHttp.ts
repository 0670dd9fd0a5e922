import { Effect } from "effect"

export interface SandboxReply {
  readonly status: number
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
  readonly body: any
}

/**
 * A plain HTTP call to the sandbox, as any client (or curl) would make it: for tests of the sandbox's HTTP surface
 * and for the customer's confirmation, which is not part of the port.
 */
export const sandboxCall = (
  url: string,
  options: {
    readonly method?: string
    readonly apiKey?: string | undefined
    readonly idempotencyKey?: string | undefined
    readonly body?: unknown
    readonly rawBody?: string | undefined
  } = {}
) =>
  Effect.promise(async (): Promise<SandboxReply> => {
    const headers: Record<string, string> = {}
    if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`
    if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body))
    if (body !== undefined) headers["content-type"] = "application/json"
    const response = await fetch(url, {
      method: options.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      signal: AbortSignal.timeout(10_000),
      ...(body === undefined ? {} : { body })
    })
    const text = await response.text()
    let parsed: unknown = text
    try {
      parsed = text === "" ? null : JSON.parse(text)
    } catch {}
    return { status: response.status, body: parsed }
  })
