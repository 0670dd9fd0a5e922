import { Context, Deferred, Effect, Layer, Option } from "effect"
import { AppConfig } from "../config/AppConfig.ts"
import { AccountsConfig } from "./AccountsConfig.ts"

/**
 * Where the links in mails point (`<base>/verify-email?token=…`): PUBLIC_BASE_URL (a web front) when it is set, else
 * the service's own address as it actually listens (its port, `localhost` for a wildcard interface), once it does;
 * the service answers those links itself. A process without an HTTP server (the worker role) falls back to
 * `http://localhost:<PORT>`.
 */
export class PublicBaseUrl extends Context.Service<
  PublicBaseUrl,
  {
    readonly get: Effect.Effect<string>
    /** Called once the HTTP server listens, with its address (`http://127.0.0.1:3000`). */
    readonly listening: (address: string) => Effect.Effect<void>
  }
>()("goticket/PublicBaseUrl") {
  /** For a process that serves HTTP: without PUBLIC_BASE_URL, the links wait until the server listens. */
  static readonly layer = Layer.effect(
    PublicBaseUrl,
    Effect.gen(function* () {
      const { publicBaseUrl } = yield* AccountsConfig
      if (Option.isSome(publicBaseUrl)) return fixed(publicBaseUrl.value)
      const own = yield* Deferred.make<string>()
      return {
        get: Deferred.await(own),
        listening: (address) => Deferred.succeed(own, linkBase(address)).pipe(Effect.asVoid)
      }
    })
  )

  /** For a process without an HTTP server: PUBLIC_BASE_URL, else http://localhost:<PORT>. */
  static readonly withoutServer = Layer.effect(
    PublicBaseUrl,
    Effect.gen(function* () {
      const { publicBaseUrl } = yield* AccountsConfig
      const { port } = yield* AppConfig
      return fixed(Option.getOrElse(publicBaseUrl, () => `http://localhost:${port}`))
    })
  )
}

const fixed = (url: string) => ({ get: Effect.succeed(url), listening: () => Effect.void })

/** A wildcard interface is not an address to open: the machine itself is. */
const linkBase = (address: string) => {
  const url = new URL(address)
  if (url.hostname === "0.0.0.0" || url.hostname === "[::]") url.hostname = "localhost"
  return url.origin
}
