import { Option, Schema } from "effect"
import { UserId } from "../shared/Ids.ts"
import { BoundedText } from "../shared/Text.ts"

export const AccountType = Schema.Literal("customer", "organizer")
export type AccountType = typeof AccountType.Type

/** Email addresses are compared case-insensitively: the stored form is trimmed and lower-cased. */
export const Email = Schema.Trim.pipe(
  Schema.maxLength(254),
  Schema.pattern(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: () => "must be an email address" }),
  Schema.compose(Schema.Lowercase),
  // Again once lower-cased: a few letters grow (İ becomes i̇, two code units).
  Schema.maxLength(254, { message: () => "must be at most 254 characters" }),
  Schema.brand("Email"),
  Schema.annotations({ description: "Email address", examples: ["ada@example.com" as never] })
)
export type Email = typeof Email.Type

export const Password = Schema.String.pipe(
  Schema.minLength(10, { message: () => "must be at least 10 characters" }),
  Schema.maxLength(256, { message: () => "must be at most 256 characters" }),
  Schema.annotations({ description: "Password, 10 to 256 characters" })
)

export const PersonName = BoundedText(120)

export class User extends Schema.Class<User>("User")({
  id: UserId,
  email: Email,
  name: Schema.String,
  accountType: AccountType,
  isAdmin: Schema.Boolean,
  createdAt: Schema.Date,
  /** When the owner proved the address is theirs (followed the mailed link); none: not yet. Defaults to none. */
  emailVerifiedAt: Schema.OptionFromNullOr(Schema.Date).pipe(
    Schema.propertySignature,
    Schema.withConstructorDefault(() => Option.none<Date>())
  )
}) {}

/** A user with the credential the login flow checks. Never leaves the services layer. */
export interface UserWithCredential {
  readonly user: User
  readonly passwordHash: string
}
