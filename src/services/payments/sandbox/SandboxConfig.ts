import { Config, Option, Schema } from "effect"

/** Everything the sandbox PSP can be told; `PaymentSandbox.layer` takes any subset of it. */
export interface SandboxOptions {
  /** Interface to listen on. */
  readonly host: string
  /** Port to listen on; 0 picks a free one (learn it from `PaymentSandbox.baseUrl`). */
  readonly port: number
  /** Base of the confirm URLs given to customers; unset, the bound base URL. */
  readonly publicUrl: string | undefined
  /** Secret key that server-side calls present as `Authorization: Bearer …`. */
  readonly apiKey: string
  /** HMAC key of webhook signatures. */
  readonly webhookSecret: string
  /** Where webhooks go; unset, events wait until an endpoint is set (POST /v1/webhook_endpoints). */
  readonly webhookUrl: string | undefined
  /** How long the delayed test card stays `processing` before it is authorised. */
  readonly delayMs: number
  /** Probability (0..1) that an event is delivered twice. */
  readonly duplicateRate: number
  /** Adds a random 0–500 ms delay before each delivery, so that events may arrive out of order. */
  readonly reorder: boolean
}

export const defaultSandboxOptions: SandboxOptions = {
  host: "127.0.0.1",
  port: 4242,
  publicUrl: undefined,
  apiKey: "sk_test_goticket",
  webhookSecret: "whsec_goticket_sandbox",
  webhookUrl: undefined,
  delayMs: 2_000,
  duplicateRate: 0,
  reorder: false
}

/** Whether a string is an absolute http(s) URL. */
export const isHttpUrl = (value: string): boolean => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)

/** The setting `name` read with `schema`; a value `valid` refuses fails with `message` (the failure names `name`). */
export const validated = <T, E>(
  name: string,
  schema: Schema.Codec<T, E>,
  message: string,
  valid: (value: T) => boolean
): Config.Config<T> => Config.schema(schema.check(Schema.makeFilter<T>((value) => valid(value) || message)), name)

const httpUrl = (name: string) =>
  validated(name, Schema.String, `${name} must be an http(s) URL`, isHttpUrl).pipe(
    Config.option,
    Config.map(Option.getOrUndefined)
  )

const nonEmpty = (name: string, fallback: string) =>
  validated(name, Schema.String, `${name} must not be empty`, (value) => value.length > 0).pipe(
    Config.withDefault(fallback)
  )

/** The sandbox's settings from the environment (SANDBOX_*); README.md lists them. */
export const SandboxConfig: Config.Config<SandboxOptions> = Config.all({
  host: nonEmpty("SANDBOX_HOST", defaultSandboxOptions.host),
  port: validated(
    "SANDBOX_PORT",
    Schema.Int,
    "SANDBOX_PORT must be a port number (0 picks a free one)",
    (n) => n >= 0 && n <= 65535
  ).pipe(Config.withDefault(defaultSandboxOptions.port)),
  publicUrl: httpUrl("SANDBOX_PUBLIC_URL"),
  apiKey: nonEmpty("SANDBOX_API_KEY", defaultSandboxOptions.apiKey),
  webhookSecret: nonEmpty("SANDBOX_WEBHOOK_SECRET", defaultSandboxOptions.webhookSecret),
  webhookUrl: httpUrl("SANDBOX_WEBHOOK_URL"),
  delayMs: validated(
    "SANDBOX_DELAY_MS",
    Schema.Int,
    "SANDBOX_DELAY_MS must be between 0 and 600000 milliseconds",
    (n) => n >= 0 && n <= 600_000
  ).pipe(Config.withDefault(defaultSandboxOptions.delayMs)),
  duplicateRate: validated(
    "SANDBOX_DUPLICATE_RATE",
    Schema.Number,
    "SANDBOX_DUPLICATE_RATE must be a probability between 0 and 1",
    (n) => n >= 0 && n <= 1
  ).pipe(Config.withDefault(defaultSandboxOptions.duplicateRate)),
  reorder: Config.Boolean("SANDBOX_REORDER").pipe(Config.withDefault(defaultSandboxOptions.reorder))
})
