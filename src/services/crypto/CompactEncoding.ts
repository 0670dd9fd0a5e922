/*
 * The byte forms that signed tokens (ticket codes, account links) carry their ids in: a UUID as its 16 bytes, and
 * base64url with exactly one spelling per byte string.
 */

export const uuidToBytes = (uuid: string): Buffer => Buffer.from(uuid.replaceAll("-", ""), "hex")

export const bytesToUuid = (bytes: Buffer): string => {
  const hex = bytes.toString("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/**
 * The bytes of a base64url text, or undefined when it is not their one canonical spelling: base64url's spare bits in
 * the last character must be zero, so that two strings never stand for one token.
 */
export const canonicalBase64url = (text: string): Buffer | undefined => {
  const bytes = Buffer.from(text, "base64url")
  return bytes.toString("base64url") === text ? bytes : undefined
}
