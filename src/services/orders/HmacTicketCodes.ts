import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto"
import { Config, Effect, Layer, Option, Redacted } from "effect"
import { TicketCodes } from "../../domain/orders/TicketCodes.ts"
import type { EventId, TicketId } from "../../domain/shared/Ids.ts"
import { JwtSecret } from "../accounts/JwtAccessTokens.ts"
import { AppConfig } from "../config/AppConfig.ts"
import { secretList } from "../config/secretList.ts"
import { bytesToUuid, canonicalBase64url, uuidToBytes } from "../crypto/CompactEncoding.ts"

const VERSION = "GT1"
const MAC_BYTES = 16

const masterKeyOf = (secret: Redacted.Redacted<string>) =>
  Buffer.from(hkdfSync("sha256", Redacted.value(secret), "goticket", "ticket codes v1", 32))

/** One master key's per-event keys and MACs (the event keys are cached, bounded). */
const macWith = (master: Buffer) => {
  const eventKeys = new Map<string, Buffer>()
  const eventKey = (eventId: string) => {
    let key = eventKeys.get(eventId)
    if (key === undefined) {
      key = createHmac("sha256", master).update(eventId).digest()
      if (eventKeys.size > 10_000) eventKeys.clear()
      eventKeys.set(eventId, key)
    }
    return key
  }
  return (eventId: string, body: string) =>
    createHmac("sha256", eventKey(eventId)).update(`${VERSION}.${body}`).digest().subarray(0, MAC_BYTES)
}

/**
 * Ticket codes `GT1.<ticket id + event id, base64url>.<MAC, base64url>`. The MAC key is derived per event from the
 * master key (HKDF, then HMAC with the event id), so a door scanner can be given one event's key to verify codes
 * offline without being able to mint codes for any other event.
 *
 * Codes are signed with `masterSecret`; codes signed with one of `previousSecrets` still verify, so tickets already
 * sold stay valid across a rotation of the secret.
 */
export const makeHmacTicketCodes = (
  masterSecret: Redacted.Redacted<string>,
  previousSecrets: ReadonlyArray<Redacted.Redacted<string>> = []
) => {
  const mac = macWith(masterKeyOf(masterSecret))
  const verifiers = [mac, ...previousSecrets.map((s) => macWith(masterKeyOf(s)))]

  return TicketCodes.of({
    sign: (ticketId, eventId) =>
      Effect.sync(() => {
        const body = Buffer.concat([uuidToBytes(ticketId), uuidToBytes(eventId)]).toString("base64url")
        return `${VERSION}.${body}.${mac(eventId, body).toString("base64url")}`
      }),
    verify: (code) =>
      Effect.sync(() => {
        const [version, body, tag] = code.trim().split(".")
        if (version !== VERSION || body === undefined || tag === undefined || code.length > 200) return Option.none()
        // One spelling per code (the MAC covers the body's text; the tag's spare bits must be zero too).
        const ids = Buffer.from(body, "base64url")
        const given = canonicalBase64url(tag)
        if (ids.length !== 32 || given === undefined || given.length !== MAC_BYTES) return Option.none()
        const eventId = bytesToUuid(ids.subarray(16))
        if (!verifiers.some((macOf) => timingSafeEqual(given, macOf(eventId, body)))) return Option.none()
        return Option.some({ ticketId: bytesToUuid(ids.subarray(0, 16)) as TicketId, eventId: eventId as EventId })
      })
  })
}

/**
 * TICKET_SIGNING_SECRET (with TICKET_SIGNING_PREVIOUS_SECRETS still accepted), or else a key derived from the
 * token-signing secret, whose previous secrets (JWT_PREVIOUS_SECRETS) are then accepted too. Tickets live for
 * months while token keys rotate in minutes, so production should set a ticket secret of its own.
 */
export const HmacTicketCodesLive = Layer.effect(
  TicketCodes,
  Effect.gen(function* () {
    const configured = yield* Config.Redacted("TICKET_SIGNING_SECRET").pipe(Config.option)
    if (Option.isSome(configured)) {
      const previous = yield* secretList("TICKET_SIGNING_PREVIOUS_SECRETS", 1)
      return makeHmacTicketCodes(configured.value, previous)
    }
    const config = yield* AppConfig
    if (Option.isSome(config.jwtSecret))
      yield* Effect.logWarning(
        "TICKET_SIGNING_SECRET is not set: ticket codes are signed with a key derived from JWT_SECRET, so retire an old JWT_SECRET from JWT_PREVIOUS_SECRETS only after its tickets' events are over"
      )
    return makeHmacTicketCodes(yield* JwtSecret, config.jwtPreviousSecrets)
  })
)
