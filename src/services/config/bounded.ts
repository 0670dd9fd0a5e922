import { Config } from "effect"

/** An integer setting within [min, max], with a default; a value out of range names the variable and its unit. */
export const bounded = (name: string, fallback: number, min: number, max: number, unit: string) =>
  Config.integer(name).pipe(
    Config.validate({
      message: `${name} must be between ${min} and ${max} ${unit}`,
      validation: (n) => n >= min && n <= max
    }),
    Config.withDefault(fallback)
  )
