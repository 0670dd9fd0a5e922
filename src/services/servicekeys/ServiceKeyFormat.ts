import { createHash, randomBytes } from "node:crypto"
import { Redacted } from "effect"

/** Marks GoTicket service keys, so that secret scanners (and people) recognise a leaked one. */
export const SERVICE_KEY_PREFIX = "gtk_"

const SHAPE = /^gtk_[A-Za-z0-9_-]{43}$/

/** A new service key: the prefix and 32 random bytes (256 bits) in base64url. */
export const newServiceKey = (): Redacted.Redacted<string> =>
  Redacted.make(`${SERVICE_KEY_PREFIX}${randomBytes(32).toString("base64url")}`)

/** The start of a key as listings show it: enough to tell keys apart, far too little to guess the rest. */
export const displayPrefix = (key: Redacted.Redacted<string>): string => Redacted.value(key).slice(0, 12)

/**
 * What is stored in place of the key: its SHA-256, in hex. A key carries 256 random bits, so a plain hash cannot be
 * reversed by guessing (no secret is needed to make it so, and none has to be rotated); none for a string that
 * cannot be one of ours.
 */
export const serviceKeyHash = (key: string): string | undefined =>
  SHAPE.test(key) ? createHash("sha256").update(key, "utf8").digest("hex") : undefined
