import { Config } from "effect"
import { validate } from "./validate.ts"

/** An integer setting within [min, max], with a default; a value out of range names the variable and its unit. */
export const bounded = (name: string, fallback: number, min: number, max: number, unit: string) =>
  Config.Int(name).pipe(
    validate({
      message: `${name} must be between ${min} and ${max} ${unit}`,
      validation: (n) => n >= min && n <= max
    }),
    Config.withDefault(fallback)
  )
