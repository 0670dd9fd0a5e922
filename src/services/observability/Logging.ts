import { Config, Context, Effect, Formatter, Layer, Logger, Tracer } from "effect"

/**
 * One JSON object per line with the current span's `trace_id` and `span_id` (when the line is written inside a
 * span), so that any line (a request's, a consumer's, a saga step's) leads to its trace without annotating call
 * sites by hand.
 */
export const jsonWithTrace = Logger.withConsoleLog(
  Logger.make((options) => {
    const entry = Logger.formatStructured.log(options)
    const span = Context.getOrUndefined(options.fiber.context, Tracer.ParentSpan)
    return Formatter.formatJson(span === undefined ? entry : { ...entry, trace_id: span.traceId, span_id: span.spanId })
  })
)

/** LOG_FORMAT: `json` (one object per line, for machines) or `pretty` (for a person at a terminal). */
export const LogFormatConfig = Config.Literals(["json", "pretty"], "LOG_FORMAT").pipe(
  Config.withDefault(process.stdout.isTTY === true ? "pretty" : "json")
)

/** The process's logger: JSON with trace ids by default (always when stdout is not a terminal), or pretty. */
export const LoggerLive = Layer.unwrap(
  Effect.gen(function* () {
    const format = yield* LogFormatConfig
    return Logger.layer([format === "pretty" ? Logger.consolePretty() : jsonWithTrace])
  })
)
