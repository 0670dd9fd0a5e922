import { Config, Effect, Schema, SchemaIssue } from "effect"

/**
 * Refuses a parsed setting that fails `validation`, with `message` (which names the variable). What v3's
 * `Config.validate` did: a missing setting stays missing (so an outer `Config.withDefault` or `Config.option` still
 * applies), a present and invalid one is a `ConfigError`.
 */
export const validate =
  <A>(options: { readonly message: string; readonly validation: (value: A) => boolean }) =>
  (self: Config.Config<A>): Config.Config<A> =>
    Config.mapEffect(self, (value) =>
      options.validation(value)
        ? Effect.succeed(value)
        : Effect.fail(
            new Config.ConfigError(new Schema.SchemaError(new SchemaIssue.InvalidValue({ message: options.message })))
          )
    )
