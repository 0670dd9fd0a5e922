import { Config, type Option, Redacted } from "effect"
import { secretList } from "./secretList.ts"
import { validate } from "./validate.ts"

/** Every knob of the service, read through Effect `Config`; README.md lists them all. */
export interface AppConfigShape {
  readonly host: string
  readonly port: number
  readonly databaseUrl: Option.Option<Redacted.Redacted>
  readonly databasePoolMax: number
  readonly databaseBackgroundPoolMax: number
  readonly dataDir: string
  readonly jwtSecret: Option.Option<Redacted.Redacted>
  /** Secrets that signed earlier access tokens: still accepted for verification, never used to sign. */
  readonly jwtPreviousSecrets: ReadonlyArray<Redacted.Redacted>
  readonly accessTokenTtlSeconds: number
  readonly refreshTokenTtlSeconds: number
  readonly adminEmail: Option.Option<string>
  readonly adminPassword: Option.Option<Redacted.Redacted>
  readonly maxBodyBytes: number
  readonly seedDemo: Option.Option<boolean>
}

const url = (name: string) =>
  Config.Redacted(name).pipe(
    validate({
      message: `${name} must be a URL such as scheme://user@host:port/path`,
      validation: (value) => URL.canParse(Redacted.value(value))
    }),
    Config.option
  )

export const AppConfig = Config.all({
  host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1")),
  port: Config.Int("PORT").pipe(
    validate({
      message: "PORT must be a port number (0 picks a free one)",
      validation: (n) => n >= 0 && n <= 65535
    }),
    Config.withDefault(3000)
  ),
  databaseUrl: url("DATABASE_URL"),
  databasePoolMax: Config.Int("DATABASE_POOL_MAX").pipe(
    validate({ message: "DATABASE_POOL_MAX must be between 1 and 200", validation: (n) => n >= 1 && n <= 200 }),
    Config.withDefault(10)
  ),
  databaseBackgroundPoolMax: Config.Int("DATABASE_BACKGROUND_POOL_MAX").pipe(
    validate({
      message: "DATABASE_BACKGROUND_POOL_MAX must be between 1 and 50",
      validation: (n) => n >= 1 && n <= 50
    }),
    Config.withDefault(3)
  ),
  dataDir: Config.String("GOTICKET_DATA_DIR").pipe(Config.withDefault("./.goticket")),
  jwtSecret: Config.Redacted("JWT_SECRET").pipe(Config.option),
  jwtPreviousSecrets: secretList("JWT_PREVIOUS_SECRETS", 32),
  accessTokenTtlSeconds: Config.Int("ACCESS_TOKEN_TTL_SECONDS").pipe(
    validate({
      message: "ACCESS_TOKEN_TTL_SECONDS must be between 60 and 86400",
      validation: (n) => n >= 60 && n <= 86_400
    }),
    Config.withDefault(900)
  ),
  refreshTokenTtlSeconds: Config.Int("REFRESH_TOKEN_TTL_SECONDS").pipe(
    validate({
      message: "REFRESH_TOKEN_TTL_SECONDS must be between 3600 (an hour) and 31536000 (a year)",
      validation: (n) => n >= 3600 && n <= 31_536_000
    }),
    Config.withDefault(30 * 86_400)
  ),
  adminEmail: Config.String("ADMIN_EMAIL").pipe(Config.option),
  adminPassword: Config.Redacted("ADMIN_PASSWORD").pipe(Config.option),
  maxBodyBytes: Config.Int("MAX_BODY_BYTES").pipe(
    validate({
      message: "MAX_BODY_BYTES must be between 1024 and 104857600",
      validation: (n) => n >= 1024 && n <= 100 * 1024 * 1024
    }),
    Config.withDefault(1024 * 1024)
  ),
  seedDemo: Config.Boolean("SEED_DEMO").pipe(Config.option)
})
