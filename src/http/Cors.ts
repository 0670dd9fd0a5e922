import { Config, Effect, Layer } from "effect"
import { HttpRouter } from "effect/http"
import { validate } from "../services/config/validate.ts"

/**
 * CORS_ORIGINS: the browser origins allowed to call the API, comma-separated (`https://shop.example.com`), or `*`
 * for any. Unset (the default): no CORS headers, so browsers keep other sites' scripts out. Tokens travel in the
 * Authorization header, never in cookies, so credentials are never allowed.
 */
export const CorsOrigins = Config.String("CORS_ORIGINS").pipe(
  Config.withDefault(""),
  Config.map((value) =>
    value
      .split(",")
      .map((origin) => origin.trim())
      .filter((origin) => origin !== "")
  ),
  validate({
    message: "CORS_ORIGINS must be * or a comma-separated list of origins such as https://shop.example.com",
    validation: (origins) =>
      origins.every((o) => o === "*" || (URL.canParse(o) && new URL(o).origin === o.replace(/\/$/, "")))
  })
)

export const CorsLive = Layer.unwrap(
  Effect.gen(function* () {
    const origins = yield* CorsOrigins
    return origins.length === 0
      ? Layer.empty
      : HttpRouter.cors({
          allowedOrigins: origins.includes("*") ? ["*"] : origins,
          allowedMethods: ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"],
          allowedHeaders: ["authorization", "content-type", "idempotency-key", "x-request-id", "last-event-id"],
          exposedHeaders: [
            "x-request-id",
            "retry-after",
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
            "ratelimit-policy"
          ],
          maxAge: 600,
          credentials: false
        })
  })
)
