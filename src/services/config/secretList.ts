import { Config, Redacted } from "effect"
import { validate } from "./validate.ts"

/**
 * A comma-separated list of secrets (earlier keys still accepted after a rotation), each at least `minLength`
 * characters; empty entries are ignored, and unset is the empty list.
 */
export const secretList = (name: string, minLength: number) =>
  Config.Redacted(name).pipe(
    Config.map((list) =>
      Redacted.value(list)
        .split(",")
        .map((secret) => secret.trim())
        .filter((secret) => secret !== "")
    ),
    validate({
      message: `${name} must be a comma-separated list of secrets, each at least ${minLength} characters long`,
      validation: (secrets) => secrets.every((secret) => secret.length >= minLength)
    }),
    Config.map((secrets) => secrets.map((secret) => Redacted.make(secret))),
    Config.withDefault([])
  )
