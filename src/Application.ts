import type { PgClient } from "@effect/sql-pg"
import { Cause, Config, Effect, Exit, Layer, type LogLevel, Option, References, Runtime } from "effect"
import type { SqlClient } from "effect/sql"
import type { Email } from "./domain/accounts/User.ts"
import { maskEmail } from "./domain/shared/Redaction.ts"
import { announceReady, HttpAppLive, NodeServerLive, PublishOwnAddress } from "./http/HttpServerLive.ts"
import { RpcHandlersLive, RpcServerLive } from "./rpc/server/RpcServerLive.ts"
import { AccountSettings } from "./services/accounts/AccountSettings.ts"
import { Accounts } from "./services/accounts/Accounts.ts"
import { ActiveAccounts } from "./services/accounts/ActiveAccounts.ts"
import { JwtAccessTokensLive, JwtSecretLive } from "./services/accounts/JwtAccessTokens.ts"
import { PasswordCheck } from "./services/accounts/PasswordCheck.ts"
import { PasswordRecovery } from "./services/accounts/PasswordRecovery.ts"
import { PublicBaseUrl } from "./services/accounts/PublicBaseUrl.ts"
import { RefreshTokenPurgeLive } from "./services/accounts/RefreshTokenPurge.ts"
import { RefreshTokensPg } from "./services/accounts/RefreshTokensPg.ts"
import { RegistrationMails } from "./services/accounts/RegistrationMails.ts"
import { registrationMailsConsumer } from "./services/accounts/RegistrationMailsConsumer.ts"
import { ScryptPasswordHasher } from "./services/accounts/ScryptPasswordHasher.ts"
import { SecurityTokensPg } from "./services/accounts/SecurityTokensPg.ts"
import { TwoFactorAuth } from "./services/accounts/TwoFactorAuth.ts"
import { TwoFactorRepositoryPg } from "./services/accounts/TwoFactorRepositoryPg.ts"
import { UserRepositoryPg } from "./services/accounts/UserRepositoryPg.ts"
import { AuditLogPg } from "./services/audit/AuditLogPg.ts"
import { Catalog } from "./services/catalog/Catalog.ts"
import { EventRepositoryPg } from "./services/catalog/EventRepositoryPg.ts"
import { AppConfig } from "./services/config/AppConfig.ts"
import { validate } from "./services/config/validate.ts"
import { VoidedTicketsPg } from "./services/door/VoidedTicketsPg.ts"
import { EventBusLive } from "./services/events/EventBusLive.ts"
import { consumerLayer } from "./services/events/EventConsumers.ts"
import { InboxPg } from "./services/events/InboxPg.ts"
import { InProcessRecoveryLive } from "./services/events/InProcessRecovery.ts"
import { OutboxPg } from "./services/events/OutboxPg.ts"
import { OutboxRelayLive } from "./services/events/OutboxRelay.ts"
import { MailerLive } from "./services/notifications/MailerLive.ts"
import { notificationsConsumer } from "./services/notifications/NotificationsConsumer.ts"
import { LoggerLive } from "./services/observability/Logging.ts"
import { MetricsStartupLive } from "./services/observability/MetricsStartup.ts"
import { TracingLive } from "./services/observability/Tracing.ts"
import { WorkerMetricsServerLive } from "./services/observability/WorkerMetricsServer.ts"
import { EventOrderReports } from "./services/orders/EventOrderReports.ts"
import { EventOrdersPg } from "./services/orders/EventOrdersPg.ts"
import { HmacTicketCodesLive } from "./services/orders/HmacTicketCodes.ts"
import { Orders } from "./services/orders/Orders.ts"
import { OrderRepositoryWithUpdates } from "./services/orders/OrderUpdatesLive.ts"
import { OrderWatch } from "./services/orders/OrderWatch.ts"
import { PaymentReconciliationLive } from "./services/orders/PaymentReconciliation.ts"
import { PaymentWebhooks } from "./services/orders/PaymentWebhooks.ts"
import { SagaSweeperLive } from "./services/orders/SagaSweeper.ts"
import { OrganizerApiKeyRepositoryPg } from "./services/organizerkeys/OrganizerApiKeyRepositoryPg.ts"
import { OrganizerApiKeys } from "./services/organizerkeys/OrganizerApiKeys.ts"
import { InProcessWebhookEndpoint, PaymentGatewayLive } from "./services/payments/PaymentGatewayLive.ts"
import { PersonalDataPg } from "./services/privacy/PersonalDataPg.ts"
import { Privacy } from "./services/privacy/Privacy.ts"
import { CatalogSnapshots } from "./services/reservations/CatalogSnapshots.ts"
import { ExpiryWorkerLive } from "./services/reservations/ExpiryWorker.ts"
import { InventoryCacheLive } from "./services/reservations/InventoryCacheLive.ts"
import { ReservationRepositoryPg } from "./services/reservations/ReservationRepositoryPg.ts"
import { Reservations } from "./services/reservations/Reservations.ts"
import { LoginThrottle } from "./services/security/LoginThrottle.ts"
import { MailThrottle } from "./services/security/MailThrottle.ts"
import { RateLimiterLive } from "./services/security/RateLimiterLive.ts"
import { ResendThrottle } from "./services/security/ResendThrottle.ts"
import { TrafficControl } from "./services/security/TrafficControl.ts"
import { VoucherThrottle } from "./services/security/VoucherThrottle.ts"
import { seedDemo } from "./services/seed/DemoSeed.ts"
import { ServiceKeyRepositoryPg } from "./services/servicekeys/ServiceKeyRepositoryPg.ts"
import { ServiceKeys } from "./services/servicekeys/ServiceKeys.ts"
import { BackgroundDatabaseLive, type DatabaseKind, DatabaseLive } from "./services/sql/Database.ts"
import { Readiness } from "./services/startup/Readiness.ts"
import { SalesReports } from "./services/stats/SalesReports.ts"
import { salesStatsConsumer } from "./services/stats/SalesStatsConsumer.ts"
import { SalesStatsPg } from "./services/stats/SalesStatsPg.ts"
import { ConfirmationResend } from "./services/support/ConfirmationResend.ts"
import { VoucherRepositoryPg } from "./services/vouchers/VoucherRepositoryPg.ts"
import { Vouchers } from "./services/vouchers/Vouchers.ts"
import { WithheldHoldsPg } from "./services/vouchers/WithheldHoldsPg.ts"
import { WaitingListExpiryLive } from "./services/waitinglist/WaitingListExpiry.ts"
import { WaitingListMails } from "./services/waitinglist/WaitingListMails.ts"
import { waitingListMailsConsumer } from "./services/waitinglist/WaitingListMailsConsumer.ts"
import { WaitingListRepositoryPg } from "./services/waitinglist/WaitingListRepositoryPg.ts"
import { WaitingLists } from "./services/waitinglist/WaitingLists.ts"
import { OrganizerWebhooks } from "./services/webhooks/OrganizerWebhooks.ts"
import { WebhookDeliveryWorker } from "./services/webhooks/WebhookDeliveryWorker.ts"
import { WebhookRepositoryPg } from "./services/webhooks/WebhookRepositoryPg.ts"
import { organizerWebhooksConsumer } from "./services/webhooks/WebhooksConsumer.ts"
import {
  CheckoutSettingsLive,
  RunnerPortOffset,
  SagasLive,
  WorkflowEngineSql
} from "./services/workflow/WorkflowEngineLive.ts"

/** The PostgreSQL adapters of every repository port (and of OrderUpdates, which goes with the database kind). */
export const RepositoriesPg = Layer.mergeAll(
  UserRepositoryPg,
  RefreshTokensPg,
  SecurityTokensPg,
  TwoFactorRepositoryPg,
  EventRepositoryPg,
  ReservationRepositoryPg,
  OrderRepositoryWithUpdates,
  SalesStatsPg,
  OutboxPg,
  InboxPg,
  WebhookRepositoryPg,
  AuditLogPg,
  PersonalDataPg,
  ServiceKeyRepositoryPg,
  OrganizerApiKeyRepositoryPg,
  VoidedTicketsPg,
  VoucherRepositoryPg,
  EventOrdersPg,
  WithheldHoldsPg,
  WaitingListRepositoryPg
)

/** The durable sagas on the PostgreSQL-backed workflow engine, with the sweeper that keeps them all running. */
export const SagasOnEngine = SagaSweeperLive.pipe(
  Layer.provideMerge(SagasLive),
  Layer.provideMerge(WorkflowEngineSql),
  Layer.provideMerge(CheckoutSettingsLive)
)

/** Application services over their ports. */
export const ServicesLive = Layer.mergeAll(
  SalesReports.layer,
  OrderWatch.layer,
  ServiceKeys.layer,
  OrganizerApiKeys.layer,
  AccountSettings.layer,
  TwoFactorAuth.layer,
  Vouchers.layer,
  EventOrderReports.layer,
  ConfirmationResend.local,
  WaitingLists.layer
).pipe(
  Layer.provideMerge(
    Layer.mergeAll(
      Accounts.layer,
      Catalog.layer,
      Reservations.layer,
      Orders.layer,
      PaymentWebhooks.layer,
      OrganizerWebhooks.layer,
      Privacy.layer,
      PasswordRecovery.layer,
      PasswordCheck.layer
    ).pipe(
      Layer.provideMerge(
        Layer.mergeAll(
          TrafficControl.layer,
          LoginThrottle.layer,
          MailThrottle.layer,
          VoucherThrottle.layer,
          ResendThrottle.layer,
          ActiveAccounts.layer
        )
      ),
      Layer.provideMerge(SagasOnEngine),
      Layer.provideMerge(CatalogSnapshots.layer),
      Layer.provideMerge(
        Layer.mergeAll(
          JwtAccessTokensLive,
          ScryptPasswordHasher,
          InventoryCacheLive,
          HmacTicketCodesLive,
          PaymentGatewayLive,
          EventBusLive,
          RateLimiterLive,
          MailerLive
        ).pipe(Layer.provideMerge(JwtSecretLive))
      )
    )
  )
)

/**
 * Start-up tasks: the configured admin account, and the demo event (default on the embedded database). The server
 * already listens; once they are done the service is ready (`/health/ready` answers 200) and says where it serves.
 */
export const StartupTasks = Layer.effectDiscard(
  Effect.gen(function* () {
    const config = yield* AppConfig
    const accounts = yield* Accounts
    const readiness = yield* Readiness
    if (Option.isSome(config.adminEmail) && Option.isSome(config.adminPassword)) {
      yield* accounts.ensureAdmin(config.adminEmail.value.trim().toLowerCase() as Email, config.adminPassword.value)
      yield* Effect.logInfo("admin account ensured").pipe(
        Effect.annotateLogs({ email: maskEmail(config.adminEmail.value) })
      )
    }
    const seed = Option.getOrElse(config.seedDemo, () => Option.isNone(config.databaseUrl))
    if (seed) yield* seedDemo
    yield* readiness.markReady
    yield* announceReady
  })
)

/**
 * The event pipeline: the outbox relay, the consumers (notifications, sales projection, organizer webhooks,
 * registration mails) and the webhook delivery worker, over the bus (RabbitMQ at AMQP_URL, else in process) and the mailer.
 */
export const EventPipelineLive = Layer.mergeAll(
  // The relay starts once the consumers have declared their queues (layers provided are built first).
  OutboxRelayLive.pipe(
    Layer.provide(InProcessRecoveryLive),
    Layer.provide(
      Layer.mergeAll(
        consumerLayer(notificationsConsumer),
        consumerLayer(salesStatsConsumer),
        consumerLayer(organizerWebhooksConsumer),
        consumerLayer(registrationMailsConsumer).pipe(Layer.provide(RegistrationMails.layer)),
        consumerLayer(waitingListMailsConsumer).pipe(Layer.provide(WaitingListMails.layer))
      )
    )
  ),
  WebhookDeliveryWorker
).pipe(Layer.provide(MailerLive))

/**
 * What runs in the background: hold expiry, the event pipeline, the payment reconciliation and the purge of dead
 * refresh tokens (the sagas run wherever the engine is).
 */
export const BackgroundWorkLive = Layer.mergeAll(
  ExpiryWorkerLive,
  WaitingListExpiryLive,
  // Its repositories over a pool of their own (BackgroundDatabaseLive): a backlog never takes the API's connections.
  EventPipelineLive.pipe(Layer.provide(Layer.fresh(RepositoriesPg)), Layer.provide(BackgroundDatabaseLive)),
  PaymentReconciliationLive,
  RefreshTokenPurgeLive
)

/**
 * ROLE: `all` (the default: the API and the background work in one process) or `api` (the API only, while
 * processes started with `npm run worker` do the background work); for a split deployment `gateway` (REST, the
 * booking services over RPC: src/roles/Gateway.ts) and `booking` (the RPC server over the domain and the
 * database: src/roles/Booking.ts), chosen in src/main.ts.
 */
export const RoleConfig = Config.Literals(["all", "api", "gateway", "booking"], "ROLE").pipe(Config.withDefault("all"))

const backgroundUnlessApiOnly = Layer.unwrap(
  Effect.gen(function* () {
    const role = yield* RoleConfig
    return role === "all" ? BackgroundWorkLive : Layer.empty
  })
)

/** The whole service over a given database layer (the real one in production, a test database in tests). */
export const applicationOver = <E>(database: Layer.Layer<SqlClient.SqlClient | PgClient.PgClient | DatabaseKind, E>) =>
  Layer.mergeAll(
    HttpAppLive,
    PublishOwnAddress,
    RpcServerLive.pipe(Layer.provide(RpcHandlersLive)),
    StartupTasks,
    InProcessWebhookEndpoint,
    backgroundUnlessApiOnly,
    MetricsStartupLive
  ).pipe(
    Layer.provideMerge(Layer.merge(NodeServerLive, Readiness.layer)),
    Layer.provideMerge(ServicesLive),
    Layer.provideMerge(PublicBaseUrl.layer),
    Layer.provideMerge(RepositoriesPg),
    Layer.provideMerge(database)
  )

/** The worker role: the background work without the HTTP API (`npm run worker`). */
export const workerOver = <E>(database: Layer.Layer<SqlClient.SqlClient | PgClient.PgClient | DatabaseKind, E>) =>
  Layer.mergeAll(BackgroundWorkLive, MetricsStartupLive, WorkerMetricsServerLive).pipe(
    Layer.provideMerge(ServicesLive),
    Layer.provideMerge(PublicBaseUrl.withoutServer),
    Layer.provideMerge(RepositoriesPg),
    Layer.provideMerge(database),
    // A runner name of its own, so that an API process and a worker on one host never share one.
    Layer.provide(Layer.succeed(RunnerPortOffset, 1000))
  )

const logLevels: Record<string, LogLevel.LogLevel> = {
  ALL: "All",
  TRACE: "Trace",
  DEBUG: "Debug",
  INFO: "Info",
  WARN: "Warn",
  ERROR: "Error",
  FATAL: "Fatal",
  OFF: "None",
  NONE: "None"
}

/** LOG_LEVEL: All, Trace, Debug, Info (default), Warn, Error, Fatal or Off (any case). */
export const LogLevelConfig = Config.String("LOG_LEVEL").pipe(
  Config.withDefault("Info"),
  Config.map((level) => level.toUpperCase()),
  validate({
    message: "LOG_LEVEL must be one of All, Trace, Debug, Info, Warn, Error, Fatal, Off",
    validation: (level) => level in logLevels
  }),
  Config.map((level): LogLevel.LogLevel => logLevels[level] ?? "Info")
)

export const LogLevelLive = Layer.unwrap(
  Effect.gen(function* () {
    return Layer.succeed(References.MinimumLogLevel, yield* LogLevelConfig)
  })
)

/**
 * How the processes end: as Effect's default, except that a stop by SIGTERM/SIGINT (the main fiber interrupted, and
 * nothing else wrong) exits with 0, as a graceful shutdown did with Effect 3 (Effect 4 would exit with 130).
 */
export const gracefulTeardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)

export const ApplicationLive = applicationOver(DatabaseLive).pipe(
  Layer.provide(TracingLive),
  Layer.provide(Layer.mergeAll(LoggerLive, LogLevelLive))
)

export const WorkerLive = workerOver(DatabaseLive).pipe(
  Layer.provide(TracingLive),
  Layer.provide(Layer.mergeAll(LoggerLive, LogLevelLive))
)
