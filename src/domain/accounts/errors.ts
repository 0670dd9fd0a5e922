import { Schema } from "effect"

export class EmailAlreadyRegistered extends Schema.TaggedError<EmailAlreadyRegistered>()("EmailAlreadyRegistered", {
  message: Schema.optionalWith(Schema.String, { default: () => "An account with this email already exists" })
}) {}

/** One answer for unknown email and wrong password, so login cannot be used to find accounts. */
export class InvalidCredentials extends Schema.TaggedError<InvalidCredentials>()("InvalidCredentials", {
  message: Schema.optionalWith(Schema.String, { default: () => "Email or password is incorrect" })
}) {}

export class Unauthenticated extends Schema.TaggedError<Unauthenticated>()("Unauthenticated", {
  message: Schema.String
}) {}

export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  message: Schema.String
}) {}

export class UserNotFound extends Schema.TaggedError<UserNotFound>()("UserNotFound", {
  message: Schema.String
}) {}
