import { Deferred, Duration, Effect, Option, Queue } from "effect"

/** One Server-Sent Event as a client sees it (`data` parsed as JSON when it is JSON). */
export interface SseEvent {
  readonly id: string | undefined
  readonly event: string
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
  readonly data: any
}

export interface SseConnection {
  readonly status: number
  readonly headers: Headers
  /** The body of a refusal (a non-stream answer), parsed as JSON when it is JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
  readonly body: any
  /** The next event; none once the server has ended the stream. Dies after `wait` (a test that hangs is a bug). */
  readonly next: (wait?: Duration.Input) => Effect.Effect<Option.Option<SseEvent>>
  /** Every event until the server ends the stream. */
  readonly rest: (wait?: Duration.Input) => Effect.Effect<ReadonlyArray<SseEvent>>
  /** Hangs up, as a client closing the page does. */
  readonly close: Effect.Effect<void>
  /** Completes when the server has ended the stream (not when the client hangs up). */
  readonly ended: Deferred.Deferred<void>
  /** SSE comment lines received (keep-alives). */
  readonly comments: () => ReadonlyArray<string>
}

const parseEvent = (block: string): SseEvent | string | undefined => {
  let id: string | undefined
  let event = "message"
  const data: Array<string> = []
  const comments: Array<string> = []
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) comments.push(line.slice(1).trim())
    const at = line.indexOf(":")
    const field = at === -1 ? line : line.slice(0, at)
    const value = at === -1 ? "" : line.slice(at + 1).replace(/^ /, "")
    if (field === "id") id = value
    else if (field === "event") event = value
    else if (field === "data") data.push(value)
  }
  if (data.length === 0) return comments.length > 0 ? comments.join("\n") : undefined
  const text = data.join("\n")
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {}
  return { id, event, data: parsed }
}

/** Opens `GET url` as an SSE client (fetch, reading the body as it arrives), with the given headers. */
export const openSse = (url: string, headers: Record<string, string>): Effect.Effect<SseConnection> =>
  Effect.gen(function* () {
    const abort = new AbortController()
    const response = yield* Effect.promise(() =>
      fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal })
    )
    const events = yield* Queue.unbounded<Option.Option<SseEvent>>()
    const ended = yield* Deferred.make<void>()
    const comments: Array<string> = []
    const isStream = response.status === 200 && (response.headers.get("content-type") ?? "").includes("event-stream")
    let body: unknown = null
    if (!isStream) {
      const text = yield* Effect.promise(() => response.text())
      try {
        body = text === "" ? null : JSON.parse(text)
      } catch {
        body = text
      }
      yield* Queue.offer(events, Option.none())
      yield* Deferred.succeed(ended, undefined)
    } else {
      const reader = (response.body as ReadableStream<Uint8Array>).getReader()
      const decoder = new TextDecoder()
      void (async () => {
        let buffer = ""
        try {
          for (;;) {
            const { done, value } = await reader.read()
            if (done) break
            buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n")
            for (let cut = buffer.indexOf("\n\n"); cut !== -1; cut = buffer.indexOf("\n\n")) {
              const parsed = parseEvent(buffer.slice(0, cut))
              buffer = buffer.slice(cut + 2)
              if (typeof parsed === "string") comments.push(parsed)
              else if (parsed !== undefined) Queue.offerUnsafe(events, Option.some(parsed))
            }
          }
          Deferred.doneUnsafe(ended, Effect.void)
        } catch {
          // aborted by the client
        }
        Queue.offerUnsafe(events, Option.none())
      })()
    }
    const next = (wait: Duration.Input = "20 seconds") =>
      Queue.take(events).pipe(
        // The end stays the answer for every later call.
        Effect.tap((event) => (Option.isNone(event) ? Queue.offer(events, event) : Effect.void)),
        Effect.timeoutOrElse({
          duration: wait,
          orElse: () =>
            Effect.die(new Error(`no SSE event or end within ${Duration.format(Duration.fromInputUnsafe(wait))}`))
        })
      )
    const rest = (wait: Duration.Input = "20 seconds") =>
      Effect.gen(function* () {
        const all: Array<SseEvent> = []
        for (;;) {
          const event = yield* next(wait)
          if (Option.isNone(event)) return all
          all.push(event.value)
        }
      })
    const connection: SseConnection = {
      status: response.status,
      headers: response.headers,
      body,
      next,
      rest,
      close: Effect.sync(() => abort.abort()),
      ended,
      comments: () => comments
    }
    return connection
  })
