import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, References } from "effect"
import { applicationOver } from "../../src/Application.ts"
import { pgClientEmbedded } from "../../src/services/sql/Database.ts"
import { MigrationsLive } from "../../src/services/sql/Migrations.ts"
import { directoryMailbox, smtpMailbox } from "../support/Mailbox.ts"
import { describeWithRabbitMq } from "../support/RabbitMq.ts"
import { serviceOnRealServers } from "../support/RealServers.ts"
import { SmtpSink } from "../support/SmtpSink.ts"
import { client, testConfig } from "../support/TestServer.ts"
import {
  ADMIN,
  metricsShowOutboxLag,
  poisonGoesToDeadLetters,
  purchaseMailsAndCounts,
  redeliveryChangesNothing,
  webhookFollowsPurchase
} from "./EventPipeline.scenarios.ts"

const quiet = Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn"))

// The embedded default, as `npm start` runs with nothing configured: PGlite, the in-process bus, mail as files.
describe("event pipeline on the embedded default (PGlite, in-process bus, mail files)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "goticket-events-"))
  const server = applicationOver(MigrationsLive.pipe(Layer.provideMerge(pgClientEmbedded(undefined)))).pipe(
    quiet,
    Layer.provide(
      ConfigProvider.layer(
        testConfig({
          GOTICKET_DATA_DIR: dataDir,
          ADMIN_EMAIL: ADMIN.email,
          ADMIN_PASSWORD: ADMIN.password,
          CONSUMER_MAX_ATTEMPTS: "2",
          CONSUMER_RETRY_BASE_MS: "20"
        })
      )
    )
  )
  layer(server, { excludeTestServices: true, timeout: "120 seconds" })("", (it) => {
    const mailbox = directoryMailbox(join(dataDir, "mail"))
    it.effect("a purchase mails its tickets and counts in the stats; a refund too", () =>
      Effect.flatMap(client, (api) => purchaseMailsAndCounts(api, mailbox))
    )
    it.effect("a redelivered event has no second effect", () =>
      Effect.flatMap(client, (api) => redeliveryChangesNothing(api, mailbox))
    )
    it.effect("an organizer webhook receives the purchase's events", () =>
      Effect.flatMap(client, webhookFollowsPurchase)
    )
    it.effect("/metrics reports the outbox lag", () => Effect.flatMap(client, metricsShowOutboxLag))
    it.effect("a poison event lands in the dead letters; an admin lists and replays it", () =>
      Effect.flatMap(client, poisonGoesToDeadLetters)
    )
  })
})

// The real servers: PostgreSQL, RabbitMQ (an exchange and queues of this suite's own) and an SMTP server.
await describeWithRabbitMq("event pipeline on the real servers (PostgreSQL, RabbitMQ, SMTP)", (url) => {
  const server = serviceOnRealServers(url, "Warn")
  layer(server, { excludeTestServices: true, timeout: "120 seconds" })("", (it) => {
    it.effect("a purchase mails its tickets and counts in the stats; a refund too", () =>
      Effect.gen(function* () {
        const api = yield* client
        return yield* purchaseMailsAndCounts(api, smtpMailbox(yield* SmtpSink))
      })
    )
    it.effect("a redelivered event has no second effect", () =>
      Effect.gen(function* () {
        const api = yield* client
        return yield* redeliveryChangesNothing(api, smtpMailbox(yield* SmtpSink))
      })
    )
    it.effect("an organizer webhook receives the purchase's events", () =>
      Effect.flatMap(client, webhookFollowsPurchase)
    )
  })
})
