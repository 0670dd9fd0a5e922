import * as amqp from "amqplib"
import { Data, Duration, Effect, Redacted, type Scope } from "effect"
import { EventBusUnavailable } from "../../../domain/events/EventBus.ts"

/** Anything that went wrong talking to the broker: refused, closed, timed out, nacked. */
export class AmqpError extends Data.TaggedError("AmqpError")<{
  readonly message: string
  /** The AMQP reply code when the broker refused (404: no such queue or exchange). */
  readonly code?: number | undefined
}> {}

/** The port's error for an AmqpError: what was attempted, and why it failed. */
export const unavailable = (what: string) => (error: AmqpError) =>
  new EventBusUnavailable({ message: `${what}: ${error.message}` })

/** A readable reason: node's connect errors (AggregateError of ECONNREFUSED…) often carry an empty message. */
export const describeAmqpError = (error: unknown): string => {
  if (error instanceof AggregateError && error.errors.length > 0) return describeAmqpError(error.errors[0])
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    if (error.message !== "") return error.message
    return typeof code === "string" || typeof code === "number" ? String(code) : error.name
  }
  return String(error)
}

/** A promise-returning amqplib call (synchronous throws included) as an Effect failing with AmqpError. */
export const amqpCall = <A>(what: string, call: () => PromiseLike<A>): Effect.Effect<A, AmqpError> =>
  Effect.tryPromise({
    try: call,
    catch: (error) => {
      const code = (error as { code?: unknown } | null)?.code
      return new AmqpError({
        message: `${what}: ${describeAmqpError(error)}`,
        code: typeof code === "number" ? code : undefined
      })
    }
  })

/** A fire-and-forget amqplib call (ack, nack, close) whose failure no longer matters: the channel is gone. */
export const quietly = (call: () => unknown): Effect.Effect<void> =>
  Effect.sync(() => {
    try {
      const result = call()
      if (result instanceof Promise) result.catch(() => {})
    } catch {
      // The channel or connection is already closed.
    }
  })

/**
 * Closes a channel or connection and waits (2 s at most) until it is closed: frames sent before (acks) reach the
 * broker first. amqplib multiplexes channels, so a connection closed at once can overtake a channel's last frames.
 */
export const closeGracefully = (close: () => Promise<unknown>): Effect.Effect<void> =>
  Effect.tryPromise(close).pipe(Effect.timeout("2 seconds"), Effect.ignore)

/** Where the broker is, without the password: for logs. */
export const describeUrl = (url: Redacted.Redacted<string>): string => {
  try {
    const parsed = new URL(Redacted.value(url))
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`
  } catch {
    return "<unparseable AMQP URL>"
  }
}

export interface ConnectOptions {
  readonly timeout: Duration.Duration
  /** Seconds between heartbeats, so that a silently dead broker is noticed (unless the URL sets its own). */
  readonly heartbeatSeconds: number
}

const withHeartbeat = (url: string, seconds: number): string => {
  try {
    const parsed = new URL(url)
    if (parsed.searchParams.has("heartbeat")) return url
    parsed.searchParams.set("heartbeat", String(seconds))
    return parsed.toString()
  } catch {
    return url
  }
}

/**
 * One connection, within `timeout`. A connection that arrives after the timeout (or after interruption) is closed
 * at once, so nothing leaks. `error` events are swallowed: the caller watches `close`.
 */
export const connect = (
  url: Redacted.Redacted<string>,
  options: ConnectOptions
): Effect.Effect<amqp.ChannelModel, AmqpError> =>
  Effect.callback<amqp.ChannelModel, AmqpError>((resume) => {
    const timeoutMs = Math.max(1, Duration.toMillis(options.timeout))
    let settled = false
    const timer = setTimeout(() => {
      if (settled) return
      settled = true
      resume(Effect.fail(new AmqpError({ message: `no connection within ${Duration.format(options.timeout)}` })))
    }, timeoutMs)
    amqp.connect(withHeartbeat(Redacted.value(url), options.heartbeatSeconds), { timeout: timeoutMs }).then(
      (connection) => {
        connection.on("error", () => {})
        if (settled) {
          connection.close().catch(() => {})
          return
        }
        settled = true
        clearTimeout(timer)
        resume(Effect.succeed(connection))
      },
      (error: unknown) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resume(Effect.fail(new AmqpError({ message: `cannot connect: ${describeAmqpError(error)}` })))
      }
    )
    return Effect.sync(() => {
      settled = true
      clearTimeout(timer)
    })
  })

/** A connection for the scope's lifetime. */
export const scopedConnection = (
  url: Redacted.Redacted<string>,
  options: ConnectOptions
): Effect.Effect<amqp.ChannelModel, AmqpError, Scope.Scope> =>
  Effect.acquireRelease(connect(url, options), (connection) => closeGracefully(() => connection.close()))

/** A confirm channel for the scope's lifetime; its `error` events are swallowed (the caller watches `close`). */
export const scopedConfirmChannel = (
  connection: amqp.ChannelModel
): Effect.Effect<amqp.ConfirmChannel, AmqpError, Scope.Scope> =>
  Effect.acquireRelease(
    amqpCall("cannot open a channel", () => connection.createConfirmChannel()).pipe(
      Effect.tap((channel) => Effect.sync(() => channel.on("error", () => {})))
    ),
    (channel) => closeGracefully(() => channel.close())
  )

/** Publishes on a confirm channel; succeeds once the broker confirmed it, fails if it nacked or the channel closed. */
export const confirmed = (send: (callback: (error: unknown) => void) => void): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    send((error) => (error === null || error === undefined ? resolve() : reject(nackError(error))))
  })

const nackError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(error === false ? "the broker nacked the message" : String(error))
