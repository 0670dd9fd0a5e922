import { Config, Option } from "effect"

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

const httpUrl = (name: string) =>
  Config.string(name).pipe(
    Config.validate({
      message: `${name} must be an http(s) URL`,
      validation: (value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)
    }),
    Config.option,
    Config.map(Option.getOrUndefined)
  )

const nonEmpty = (name: string, fallback: string) =>
  Config.string(name).pipe(
    Config.validate({ message: `${name} must not be empty`, validation: (value) => value.length > 0 }),
    Config.withDefault(fallback)
  )

/** The sandbox's settings from the environment (SANDBOX_*); README.md lists them. */
export const SandboxConfig: Config.Config<SandboxOptions> = Config.all({
  host: nonEmpty("SANDBOX_HOST", defaultSandboxOptions.host),
  port: Config.integer("SANDBOX_PORT").pipe(
    Config.validate({
      message: "SANDBOX_PORT must be a port number (0 picks a free one)",
      validation: (n) => n >= 0 && n <= 65535
    }),
    Config.withDefault(defaultSandboxOptions.port)
  ),
  publicUrl: httpUrl("SANDBOX_PUBLIC_URL"),
  apiKey: nonEmpty("SANDBOX_API_KEY", defaultSandboxOptions.apiKey),
  webhookSecret: nonEmpty("SANDBOX_WEBHOOK_SECRET", defaultSandboxOptions.webhookSecret),
  webhookUrl: httpUrl("SANDBOX_WEBHOOK_URL"),
  delayMs: Config.integer("SANDBOX_DELAY_MS").pipe(
    Config.validate({
      message: "SANDBOX_DELAY_MS must be between 0 and 600000 milliseconds",
      validation: (n) => n >= 0 && n <= 600_000
    }),
    Config.withDefault(defaultSandboxOptions.delayMs)
  ),
  duplicateRate: Config.number("SANDBOX_DUPLICATE_RATE").pipe(
    Config.validate({
      message: "SANDBOX_DUPLICATE_RATE must be a probability between 0 and 1",
      validation: (n) => n >= 0 && n <= 1
    }),
    Config.withDefault(defaultSandboxOptions.duplicateRate)
  ),
  reorder: Config.boolean("SANDBOX_REORDER").pipe(Config.withDefault(defaultSandboxOptions.reorder))
})
