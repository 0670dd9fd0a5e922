import { createHash, randomBytes } from "node:crypto"
import { Redacted } from "effect"

/*
 * Bearer keys made by the application (service keys `gtk_`, organizer API keys `gto_`): a prefix that secret scanners
 * (and people) recognise, then 32 random bytes (256 bits) in base64url. Only the key's SHA-256 is stored.
 */

const shapeOf = (prefix: string) => new RegExp(`^${prefix}[A-Za-z0-9_-]{43}$`)
const shapes = new Map<string, RegExp>()

/** A new key with this prefix. */
export const newSecretKey = (prefix: string): Redacted.Redacted<string> =>
  Redacted.make(`${prefix}${randomBytes(32).toString("base64url")}`)

/** The start of a key as listings show it: enough to tell keys apart, far too little to guess the rest. */
export const displayPrefix = (key: Redacted.Redacted<string>): string => Redacted.value(key).slice(0, 12)

/** Whether `key` has the shape of a key with this prefix. */
export const hasKeyShape = (prefix: string, key: string): boolean => {
  let shape = shapes.get(prefix)
  if (shape === undefined) {
    shape = shapeOf(prefix)
    shapes.set(prefix, shape)
  }
  return shape.test(key)
}

/**
 * What is stored in place of the key: its SHA-256, in hex. A key carries 256 random bits, so a plain hash cannot be
 * reversed by guessing (no secret is needed to make it so, and none has to be rotated); none for a string that
 * cannot be a key with this prefix.
 */
export const secretKeyHash = (prefix: string, key: string): string | undefined =>
  hasKeyShape(prefix, key) ? createHash("sha256").update(key, "utf8").digest("hex") : undefined
