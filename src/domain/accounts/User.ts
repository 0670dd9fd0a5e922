import { Effect, Option, Schema, SchemaTransformation } from "effect"
import { UserId } from "../shared/Ids.ts"
import { BoundedText } from "../shared/Text.ts"

export const AccountType = Schema.Literals(["customer", "organizer"])
export type AccountType = typeof AccountType.Type

/** Email addresses are compared case-insensitively: the stored form is trimmed and lower-cased. */
export const Email = Schema.Trim.check(
  Schema.isMaxLength(254),
  Schema.isPattern(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: "must be an email address" })
)
  .pipe(
    Schema.decodeTo(
      // Again once lower-cased: a few letters grow (İ becomes i̇, two code units).
      Schema.String.check(Schema.isMaxLength(254, { message: "must be at most 254 characters" })),
      SchemaTransformation.toLowerCase()
    ),
    Schema.brand("Email")
  )
  .annotate({ description: "Email address", examples: ["ada@example.com" as never] })
export type Email = typeof Email.Type

export const Password = Schema.String.check(
  Schema.isMinLength(10, { message: "must be at least 10 characters" }),
  Schema.isMaxLength(256, { message: "must be at most 256 characters" })
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
