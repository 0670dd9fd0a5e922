import { Redacted } from "effect"
import { Secret, TOTP } from "otpauth"
import { TOTP_DIGITS, TOTP_PERIOD_SECONDS, TOTP_WINDOW } from "../../domain/accounts/TwoFactorRules.ts"
import { qrPng } from "../notifications/QrPng.ts"

/** The name authenticator apps show above the account's codes. */
export const TOTP_ISSUER = "GoTicket"

const totpOf = (secret: Redacted.Redacted<string>, label = "account") =>
  new TOTP({
    issuer: TOTP_ISSUER,
    label,
    algorithm: "SHA1",
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: Secret.fromBase32(Redacted.value(secret))
  })

/** A new shared secret: 20 random bytes (160 bits, as RFC 4226 recommends), base32 as the apps take it. */
export const newTotpSecret = (): Redacted.Redacted<string> => Redacted.make(new Secret({ size: 20 }).base32)

/** What an authenticator app scans: `otpauth://totp/GoTicket:<label>?secret=…&issuer=GoTicket&…`. */
export const otpauthUri = (secret: Redacted.Redacted<string>, label: string): string => totpOf(secret, label).toString()

/** The otpauth URI as a QR code, a PNG in a data URL (an `<img src>` as it is). */
export const qrCodeDataUrl = (uri: string): string => `data:image/png;base64,${qrPng(uri).toString("base64")}`

/**
 * How many time steps from `now` the code matched within the window (otpauth's constant-time comparison over each
 * step of the window), null when it matched none. Whether that is acceptable is the domain's rule (acceptTotpStep).
 */
export const totpDelta = (secret: Redacted.Redacted<string>, code: string, now: Date, window = TOTP_WINDOW) =>
  totpOf(secret).validate({ token: code, timestamp: now.getTime(), window })

/** The code an app shows at `now` (tests, and nothing else, need it). */
export const totpCodeAt = (secret: Redacted.Redacted<string>, now: Date): string =>
  totpOf(secret).generate({ timestamp: now.getTime() })
