import { Effect, Option, Schema, SchemaTransformation } from "effect"
import { UserId } from "../shared/Ids.ts"
import { BoundedText } from "../shared/Text.ts"

export const AccountType = Schema.Literals(["customer", "organizer"])
export type AccountType = typeof AccountType.Type

/**
 * Email addresses are compared case-insensitively: the stored form is trimmed and lower-cased. The rules are stated on
 * the address as sent (at most 254 characters, one `@`, a dot in the domain, no white space inside), so that the
 * OpenAPI document carries them.
 */
export const Email = Schema.String.annotate({
  format: "email",
  description: "Email address, at most 254 characters (compared without regard to case)",
  examples: ["ada@example.com"]
})
  .check(
    Schema.isMaxCodePoints(254, { message: "must be at most 254 characters" }),
    Schema.isPattern(/^\s*[^\s@]+@[^\s@]+\.[^\s@]+\s*$/u, { message: "must be an email address" })
  )
  .pipe(
    Schema.decodeTo(
      // Again once trimmed and lower-cased: a few letters grow (İ becomes i̇).
      Schema.String.check(Schema.isMaxCodePoints(254, { message: "must be at most 254 characters" })),
      SchemaTransformation.transform({ decode: (text) => text.trim().toLowerCase(), encode: (text) => text })
    ),
    Schema.brand("Email")
  )
export type Email = typeof Email.Type

export const Password = Schema.String.check(
  Schema.isMinCodePoints(10, { message: "must be at least 10 characters" }),
  Schema.isMaxCodePoints(256, { message: "must be at most 256 characters" })
).annotate({ description: "Password, 10 to 256 characters" })

export const PersonName = BoundedText(120)

export class User extends Schema.Class<User>("User")({
  id: UserId,
  email: Email,
  name: Schema.String,
  accountType: AccountType,
  isAdmin: Schema.Boolean,
  createdAt: Schema.DateFromString,
  /** When the owner proved the address is theirs (followed the mailed link); none: not yet. Defaults to none. */
  emailVerifiedAt: Schema.OptionFromNullOr(Schema.DateFromString).pipe(
    Schema.withConstructorDefault(Effect.succeed(Option.none<Date>()))
  )
}) {}

/** A user with the credential the login flow checks. Never leaves the services layer. */
export interface UserWithCredential {
  readonly user: User
  readonly passwordHash: string
}
