import type { Redacted } from "effect"
import { newSecretKey, secretKeyHash } from "../crypto/SecretKeys.ts"

export { displayPrefix } from "../crypto/SecretKeys.ts"

/** Marks GoTicket service keys, so that secret scanners (and people) recognise a leaked one. */
export const SERVICE_KEY_PREFIX = "gtk_"

/** A new service key: the prefix and 32 random bytes (256 bits) in base64url. */
export const newServiceKey = (): Redacted.Redacted<string> => newSecretKey(SERVICE_KEY_PREFIX)

/** What is stored in place of a service key (src/services/crypto/SecretKeys.ts); none for a string that is not one. */
export const serviceKeyHash = (key: string): string | undefined => secretKeyHash(SERVICE_KEY_PREFIX, key)
