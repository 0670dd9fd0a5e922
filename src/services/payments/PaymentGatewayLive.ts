import { Config, Context, Effect, Layer, Option } from "effect"
import { HttpServer } from "effect/http"
import { NetAddress } from "effect/net"
import { PaymentGatewaySandbox } from "./PaymentGatewaySandbox.ts"
import { SandboxConfig } from "./sandbox/SandboxConfig.ts"
import { PaymentSandbox, type PaymentSandboxShape } from "./sandbox/SandboxServer.ts"

/** The sandbox provider running inside this process, when no external provider is configured. */
export class InProcessSandbox extends Context.Service<InProcessSandbox, Option.Option<PaymentSandboxShape>>()(
  "goticket/InProcessSandbox"
) {}

/** The sandbox in this process, on SANDBOX_PORT or a free port, with the gateway pointed at it. */
const inProcess = Layer.unwrap(
  Effect.gen(function* () {
    const options = yield* SandboxConfig
    const port = yield* Config.Int("SANDBOX_PORT").pipe(Config.option)
    const sandbox = PaymentSandbox.layer({ ...options, port: Option.getOrElse(port, () => 0) })
    const gateway = Layer.unwrap(
      Effect.map(PaymentSandbox, (running) =>
        PaymentGatewaySandbox.layer({
          baseUrl: running.baseUrl,
          apiKey: running.apiKey,
          webhookSecret: running.webhookSecret
        })
      )
    )
    return Layer.merge(gateway, Layer.effect(InProcessSandbox, Effect.map(PaymentSandbox, Option.some))).pipe(
      Layer.provide(sandbox)
    )
  })
)

/**
 * The payment provider: the one at PAYMENT_PROVIDER_URL (e.g. `npm run payment-sandbox`), or else the sandbox
 * started inside this process, whatever the database: `npm start` can take a payment on a fresh machine.
 */
export const PaymentGatewayLive = Layer.unwrap(
  Effect.gen(function* () {
    const url = yield* Config.option(Config.String("PAYMENT_PROVIDER_URL"))
    return Option.isSome(url)
      ? Layer.merge(PaymentGatewaySandbox.layerConfig, Layer.succeed(InProcessSandbox, Option.none()))
      : inProcess
  })
)

/** Once the API listens, the in-process sandbox is told where to deliver its webhooks. */
export const InProcessWebhookEndpoint = Layer.effectDiscard(
  Effect.gen(function* () {
    const sandbox = yield* InProcessSandbox
    if (Option.isNone(sandbox)) return
    const address = (yield* HttpServer.HttpServer).address
    if (address._tag === "UnixPathAddress") return
    const host = NetAddress.isUnspecified(address.address) ? "127.0.0.1" : NetAddress.formatIp(address.address)
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}/v1/payments/webhook`
    yield* sandbox.value.setWebhookUrl(url)
    yield* Effect.logInfo(
      `no PAYMENT_PROVIDER_URL: the payment sandbox runs in this process at ${sandbox.value.baseUrl}, webhooks to ${url}`
    )
  })
)
