import { createHash, timingSafeEqual } from "node:crypto"
import { Config, Option, Redacted } from "effect"

/** METRICS_TOKEN: when set, scrapers must send it as a bearer token (the numbers tell a competitor how sales go). */
export const MetricsTokenConfig = Config.option(Config.Redacted("METRICS_TOKEN"))

const digest = (text: string) => createHash("sha256").update(text).digest()

/** Whether a scrape with this Authorization header may read the metrics: compared as digests, in constant time. */
export const scraperAllowed = (token: Option.Option<Redacted.Redacted<string>>, authorization: string | undefined) =>
  Option.isNone(token) || timingSafeEqual(digest(authorization ?? ""), digest(`Bearer ${Redacted.value(token.value)}`))
