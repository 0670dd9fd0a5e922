import { join, resolve } from "node:path"
import { Config, Effect, Layer, Option, Redacted } from "effect"
import type { Mailer } from "../../domain/notifications/Mailer.ts"
import { AppConfig } from "../config/AppConfig.ts"
import { MailerFile } from "./MailerFile.ts"
import { MailerSmtp, MailerSmtpConfig, smtpServerName } from "./MailerSmtp.ts"
import { MailFromConfig } from "./NodemailerMessage.ts"

/**
 * Mail over SMTP when SMTP_URL is set; else each mail as an .eml file in `<GOTICKET_DATA_DIR>/mail`, so that a fresh
 * machine needs no mail server and the mails can still be opened and checked. Logs which, and where, at startup.
 */
export const MailerLive: Layer.Layer<Mailer, Config.ConfigError> = Layer.unwrap(
  Effect.gen(function* () {
    const configured = yield* Config.option(Config.Redacted("SMTP_URL"))
    if (Option.isSome(configured)) {
      const smtp = yield* MailerSmtpConfig
      yield* Effect.logInfo(`mail: over SMTP to ${smtpServerName(Redacted.value(smtp.url))}, from ${smtp.from}`)
      return MailerSmtp.layer(smtp)
    }
    const { dataDir } = yield* AppConfig
    const from = yield* MailFromConfig
    const directory = resolve(join(dataDir, "mail"))
    yield* Effect.logInfo(`mail: no SMTP_URL, each mail is written as an .eml file into ${directory}`)
    return MailerFile.layer({ directory, from })
  })
)
