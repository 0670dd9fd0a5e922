import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { Context, Duration, Effect, FiberSet, Layer } from "effect"
import { HttpServer } from "effect/http"
import { NetAddress } from "effect/net"
import { makeSandboxApp } from "./SandboxApi.ts"
import { defaultSandboxOptions, SandboxConfig, type SandboxOptions } from "./SandboxConfig.ts"
import type { Balance } from "./SandboxLedger.ts"
import { makeSandboxState } from "./SandboxState.ts"
import { makeWebhookDelivery } from "./WebhookDelivery.ts"

/** A running sandbox PSP: where it listens, and the controls an in-process user (the app, a test) needs. */
export interface PaymentSandboxShape {
  /** Where it listens, e.g. `http://127.0.0.1:40123` (the real port when 0 was asked). */
  readonly baseUrl: string
  /** Base of the confirm URLs handed to customers (SANDBOX_PUBLIC_URL, else `baseUrl`). */
  readonly publicUrl: string
  readonly apiKey: string
  readonly webhookSecret: string
  /** Where webhooks go from now on (undefined: nowhere; events wait). Same as POST /v1/webhook_endpoints. */
  readonly setWebhookUrl: (url: string | undefined) => Effect.Effect<void>
  readonly webhookUrl: Effect.Effect<string | undefined>
  /** The ledger's totals, as GET /v1/balance answers them. */
  readonly balance: Effect.Effect<Balance>
}

/** A listening address as a URL a local client can call (an unspecified address is reached on loopback). */
const baseUrlOf = (address: NetAddress.SocketAddress): string => {
  if (address._tag === "UnixPathAddress") return `http+unix://${address.path}`
  const host = NetAddress.isUnspecified(address.address)
    ? address._tag === "InetAddressV4"
      ? "127.0.0.1"
      : "::1"
    : NetAddress.formatIp(address.address)
  return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`
}

const make = (options: SandboxOptions) =>
  Effect.gen(function* () {
    const server = yield* HttpServer.HttpServer
    const baseUrl = baseUrlOf(server.address)
    const publicUrl = (options.publicUrl ?? baseUrl).replace(/\/+$/, "")

    const delivery = yield* makeWebhookDelivery({
      secret: options.webhookSecret,
      url: options.webhookUrl,
      duplicateRate: options.duplicateRate,
      reorder: options.reorder
    })
    const state = yield* makeSandboxState({ publicBaseUrl: publicUrl, publish: delivery.enqueue })

    // Delayed authorisations live in the server's scope: they end with it, like the deliveries.
    const pending = yield* FiberSet.make<void, never>()
    const scheduleAuthorization = (intentId: string) =>
      FiberSet.run(
        pending,
        Effect.sleep(Duration.millis(options.delayMs)).pipe(
          Effect.andThen(state.completeProcessing(intentId)),
          Effect.ignore,
          Effect.withSpan("PaymentSandbox.completeProcessing", { attributes: { "payment.intent_id": intentId } })
        )
      ).pipe(Effect.asVoid)

    // The handler is attached before the service is handed out: nobody learns the URL before it serves.
    yield* HttpServer.serveEffect(
      yield* makeSandboxApp({ state, delivery, apiKey: options.apiKey, scheduleAuthorization })
    )
    yield* Effect.logInfo(`payment sandbox serving on ${baseUrl}`).pipe(
      Effect.annotateLogs({ publicUrl, webhookUrl: options.webhookUrl ?? null })
    )

    return PaymentSandbox.of({
      baseUrl,
      publicUrl,
      apiKey: options.apiKey,
      webhookSecret: options.webhookSecret,
      setWebhookUrl: delivery.setUrl,
      webhookUrl: delivery.url,
      balance: state.balance
    })
  })

/**
 * The sandbox PSP as a scoped layer: an HTTP server on its own port, in-memory state, webhook delivery fibers.
 * Everything stops with the layer's scope.
 */
export class PaymentSandbox extends Context.Service<PaymentSandbox, PaymentSandboxShape>()("goticket/PaymentSandbox") {
  /** With explicit options (anything left out takes the SANDBOX_* default), e.g. `{ port: 0 }` in tests. */
  static readonly layer = (options: Partial<SandboxOptions> = {}) => {
    const full: SandboxOptions = { ...defaultSandboxOptions, ...options }
    return Layer.effect(PaymentSandbox, make(full)).pipe(
      Layer.provide(
        NodeHttpServer.layer(() => createServer({ keepAliveTimeout: 5_000, headersTimeout: 10_000 }), {
          host: full.host,
          port: full.port
        })
      ),
      Layer.provide(NodeHttpClient.layerUndici)
    )
  }

  /** From the SANDBOX_* configuration. */
  static readonly layerConfig = Layer.unwrap(
    Effect.gen(function* () {
      return PaymentSandbox.layer(yield* SandboxConfig)
    })
  )
}

/** The sandbox as configured by SANDBOX_* variables. */
export const PaymentSandboxLive = PaymentSandbox.layerConfig
