import { createHash, createHmac, timingSafeEqual } from "node:crypto"
import { Result } from "effect"
import { WebhookRejected } from "../../../domain/payments/PaymentGateway.ts"

/**
 * Webhook signatures, Stripe-style: `Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>`.
 * The timestamp is inside the signed text, so a captured delivery cannot be replayed later with a fresh `t`:
 * the receiver rejects timestamps outside its tolerance window.
 */
export const SIGNATURE_HEADER = "Sandbox-Signature"

/** The replay window a receiver accepts by default, either side of its clock. */
export const DEFAULT_TOLERANCE_SECONDS = 300

/** The hex HMAC-SHA256 of `${timestamp}.${payload}`. */
export const computeSignature = (secret: string, timestampSeconds: number, payload: string): string =>
  createHmac("sha256", secret).update(`${timestampSeconds}.${payload}`, "utf8").digest("hex")

/** Constant-time equality of two secrets of any length (compared as SHA-256 digests: equal-length buffers). */
export const secretsEqual = (a: string, b: string): boolean =>
  timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest())

/** The header value a sender puts on a delivery made at `timestampSeconds`. */
export const signatureHeader = (secret: string, payload: string, timestampSeconds: number): string =>
  `t=${timestampSeconds},v1=${computeSignature(secret, timestampSeconds, payload)}`

interface ParsedHeader {
  readonly timestamp: number
  /** Every `v1` entry: a sender rotating its secret may sign with both. */
  readonly signatures: ReadonlyArray<string>
}

const parseHeader = (header: string): ParsedHeader | undefined => {
  let timestamp: number | undefined
  const signatures: Array<string> = []
  for (const part of header.split(",")) {
    const eq = part.indexOf("=")
    if (eq < 0) continue
    const key = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (key === "t" && /^\d{1,12}$/.test(value)) timestamp = Number(value)
    else if (key === "v1") signatures.push(value)
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures }
}

/** Constant-time comparison of two hex digests; a candidate of another length (or not hex) never matches. */
const sameDigest = (expectedHex: string, candidateHex: string): boolean => {
  if (!/^[0-9a-f]+$/i.test(candidateHex) || candidateHex.length !== expectedHex.length) return false
  // Equal-length buffers, as timingSafeEqual requires; only the (public) digest length can leak.
  return timingSafeEqual(Buffer.from(expectedHex, "hex"), Buffer.from(candidateHex.toLowerCase(), "hex"))
}

/**
 * Checks a signature header against the payload: first the signature (so that "stale" is only ever said of an
 * authentic delivery), then the timestamp against `now` ± tolerance. Says nothing about the payload's content.
 */
export const checkSignature = (input: {
  readonly secret: string
  readonly payload: string
  readonly header: string | undefined
  readonly nowSeconds: number
  readonly toleranceSeconds: number
}): Result.Result<void, WebhookRejected> => {
  if (input.header === undefined || input.header.trim() === "")
    return Result.fail(new WebhookRejected({ reason: "missing_signature", message: `no ${SIGNATURE_HEADER} header` }))
  const parsed = parseHeader(input.header)
  if (parsed === undefined)
    return Result.fail(
      new WebhookRejected({
        reason: "bad_signature",
        message: `${SIGNATURE_HEADER} must look like t=<seconds>,v1=<hex>`
      })
    )
  const expected = computeSignature(input.secret, parsed.timestamp, input.payload)
  // Check every candidate (no early exit), so timing does not reveal which one matched.
  const matched = parsed.signatures.reduce((found, candidate) => sameDigest(expected, candidate) || found, false)
  if (!matched)
    return Result.fail(
      new WebhookRejected({ reason: "bad_signature", message: "signature does not match the payload" })
    )
  const skew = Math.abs(input.nowSeconds - parsed.timestamp)
  if (skew > input.toleranceSeconds)
    return Result.fail(
      new WebhookRejected({
        reason: "stale",
        message: `signed ${skew} s away from now, outside the ${input.toleranceSeconds} s window`
      })
    )
  return Result.void
}
