import type { Event } from "../catalog/Event.ts"

/*
 * How an account is erased (GDPR Art. 17) while its orders stay valid for accounting: the account row is kept, so
 * that orders, tickets, refunds, check-ins and domain events still name an existing user id, but everything that
 * identifies the person is replaced. The user id alone identifies no one once the row holds nothing personal.
 */

/** The `.invalid` top-level domain never resolves (RFC 2606): mail to an erased account cannot go anywhere. */
export const ERASED_EMAIL_DOMAIN = "erased.invalid"

/** The name an erased account shows. */
export const ERASED_NAME = "Erased user"

/**
 * The stored password hash of an erased account: no password hashes to it (it is not in the hasher's
 * `scrypt$…` format, which the hasher checks before deriving anything), so no login can ever succeed.
 */
export const UNUSABLE_PASSWORD_HASH = "!erased"

/** A unique placeholder in place of the email (the column is unique), unusable as an address. */
export const erasedEmail = (placeholderId: string): string => `erased-${placeholderId}@${ERASED_EMAIL_DOMAIN}`

/** Whether this address is an erased account's placeholder (nothing should be mailed to it). */
export const isErasedEmail = (email: string): boolean => email.endsWith(`@${ERASED_EMAIL_DOMAIN}`)

/**
 * An organizer may not disappear while people hold tickets for one of their events that is still to come: a
 * published event that has not ended (cancel it first; that refunds its buyers).
 */
export const blocksErasure = (event: Pick<Event, "status" | "startsAt" | "endsAt">, now: Date): boolean =>
  event.status === "published" && (event.endsAt ?? event.startsAt).getTime() > now.getTime()
