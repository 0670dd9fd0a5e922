import type { PgClient } from "@effect/sql-pg"
import { Layer } from "effect"
import type { SqlClient } from "effect/sql"
import { LogLevelLive, StartupTasks } from "../Application.ts"
import { HttpAppLive, NodeServerLive, PublishOwnAddress } from "../http/HttpServerLive.ts"
import { RemoteBookingLive } from "../rpc/gateway/RemoteBooking.ts"
import { AccountSettings } from "../services/accounts/AccountSettings.ts"
import { Accounts } from "../services/accounts/Accounts.ts"
import { ActiveAccounts } from "../services/accounts/ActiveAccounts.ts"
import { JwtAccessTokensLive, JwtSecretLive } from "../services/accounts/JwtAccessTokens.ts"
import { PasswordCheck } from "../services/accounts/PasswordCheck.ts"
import { PasswordRecovery } from "../services/accounts/PasswordRecovery.ts"
import { PublicBaseUrl } from "../services/accounts/PublicBaseUrl.ts"
import { RefreshTokensPg } from "../services/accounts/RefreshTokensPg.ts"
import { ScryptPasswordHasher } from "../services/accounts/ScryptPasswordHasher.ts"
import { SecurityTokensPg } from "../services/accounts/SecurityTokensPg.ts"
import { TwoFactorAuth } from "../services/accounts/TwoFactorAuth.ts"
import { TwoFactorRepositoryPg } from "../services/accounts/TwoFactorRepositoryPg.ts"
import { UserRepositoryPg } from "../services/accounts/UserRepositoryPg.ts"
import { AuditLogPg } from "../services/audit/AuditLogPg.ts"
import { Catalog } from "../services/catalog/Catalog.ts"
import { EventRepositoryPg } from "../services/catalog/EventRepositoryPg.ts"
import { EventBusLive } from "../services/events/EventBusLive.ts"
import { OutboxPg } from "../services/events/OutboxPg.ts"
import { MailerLive } from "../services/notifications/MailerLive.ts"
import { LoggerLive } from "../services/observability/Logging.ts"
import { MetricsStartupLive } from "../services/observability/MetricsStartup.ts"
import { TracingLive } from "../services/observability/Tracing.ts"
import { EventOrderReports } from "../services/orders/EventOrderReports.ts"
import { EventOrdersPg } from "../services/orders/EventOrdersPg.ts"
import { HmacTicketCodesLive } from "../services/orders/HmacTicketCodes.ts"
import { OrganizerApiKeyRepositoryPg } from "../services/organizerkeys/OrganizerApiKeyRepositoryPg.ts"
import { OrganizerApiKeys } from "../services/organizerkeys/OrganizerApiKeys.ts"
import { PersonalDataPg } from "../services/privacy/PersonalDataPg.ts"
import { Privacy } from "../services/privacy/Privacy.ts"
import { InventoryCacheLive } from "../services/reservations/InventoryCacheLive.ts"
import { ReservationRepositoryPg } from "../services/reservations/ReservationRepositoryPg.ts"
import { LoginThrottle } from "../services/security/LoginThrottle.ts"
import { MailThrottle } from "../services/security/MailThrottle.ts"
import { RateLimiterLive } from "../services/security/RateLimiterLive.ts"
import { ResendThrottle } from "../services/security/ResendThrottle.ts"
import { TrafficControl } from "../services/security/TrafficControl.ts"
import { VoucherThrottle } from "../services/security/VoucherThrottle.ts"
import { ServiceKeyRepositoryPg } from "../services/servicekeys/ServiceKeyRepositoryPg.ts"
import { ServiceKeys } from "../services/servicekeys/ServiceKeys.ts"
import { type DatabaseKind, DatabaseLive } from "../services/sql/Database.ts"
import { Readiness } from "../services/startup/Readiness.ts"
import { SalesReports } from "../services/stats/SalesReports.ts"
import { SalesStatsPg } from "../services/stats/SalesStatsPg.ts"
import { VoucherRepositoryPg } from "../services/vouchers/VoucherRepositoryPg.ts"
import { Vouchers } from "../services/vouchers/Vouchers.ts"
import { WaitingListRepositoryPg } from "../services/waitinglist/WaitingListRepositoryPg.ts"
import { WaitingLists } from "../services/waitinglist/WaitingLists.ts"
import { OrganizerWebhooks } from "../services/webhooks/OrganizerWebhooks.ts"
import { WebhookRepositoryPg } from "../services/webhooks/WebhookRepositoryPg.ts"

/**
 * What a gateway reads and writes itself: accounts and tokens (every request authenticates here), the catalog
 * (public reads, organizers' edits), organizer webhooks, audit, privacy, sales reports, and the outbox and bus for
 * /metrics and the dead-letter endpoints. Holds, orders, tickets and sagas are the booking role's (the one exception:
 * erasing an account ends its holds in the erasure's own transaction).
 */
export const GatewayRepositoriesPg = Layer.mergeAll(
  UserRepositoryPg,
  RefreshTokensPg,
  SecurityTokensPg,
  TwoFactorRepositoryPg,
  EventRepositoryPg,
  SalesStatsPg,
  OutboxPg,
  WebhookRepositoryPg,
  AuditLogPg,
  PersonalDataPg,
  // Admins manage the service keys over REST (ServiceKeys, as the booking role's RPC procedures do).
  ServiceKeyRepositoryPg,
  OrganizerApiKeyRepositoryPg,
  // Erasing an account (PersonalDataPg) ends its live holds in the same transaction.
  ReservationRepositoryPg,
  // Organizers' vouchers (the redemptions are the booking role's, in the hold).
  VoucherRepositoryPg,
  // The organizer's order search, attendee list and their exports: reads only.
  EventOrdersPg,
  // Waiting lists: joined and switched here; their offers are made by the database wherever units come back.
  WaitingListRepositoryPg
)

/**
 * The application services of a gateway: the same Layers as one process for what it does itself, and the booking
 * services (Reservations, Orders, OrderWatch, PaymentWebhooks) as RPC clients of the booking role
 * (RemoteBooking.ts). No workflow engine: the sagas run on the booking and worker roles.
 */
export const GatewayServicesLive = Layer.mergeAll(
  SalesReports.layer,
  AccountSettings.layer,
  TwoFactorAuth.layer,
  ServiceKeys.layer,
  Vouchers.layer,
  WaitingLists.layer,
  OrganizerApiKeys.layer,
  EventOrderReports.layer,
  RemoteBookingLive
).pipe(
  Layer.provideMerge(
    Layer.mergeAll(
      Accounts.layer,
      Catalog.layer,
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
      Layer.provideMerge(
        Layer.mergeAll(
          JwtAccessTokensLive,
          ScryptPasswordHasher,
          InventoryCacheLive,
          // Ticket codes are verified here too (the order search finds an order by the code of its ticket).
          HmacTicketCodesLive,
          EventBusLive,
          RateLimiterLive,
          MailerLive
        ).pipe(Layer.provideMerge(JwtSecretLive))
      )
    )
  )
)

/** ROLE=gateway: the REST API (unchanged handlers) over the gateway's services. */
export const gatewayOver = <E>(database: Layer.Layer<SqlClient.SqlClient | PgClient.PgClient | DatabaseKind, E>) =>
  Layer.mergeAll(HttpAppLive, PublishOwnAddress, StartupTasks, MetricsStartupLive).pipe(
    Layer.provideMerge(Layer.merge(NodeServerLive, Readiness.layer)),
    Layer.provideMerge(GatewayServicesLive),
    Layer.provideMerge(PublicBaseUrl.layer),
    Layer.provideMerge(GatewayRepositoriesPg),
    Layer.provideMerge(database)
  )

export const GatewayLive = gatewayOver(DatabaseLive).pipe(
  Layer.provide(TracingLive),
  Layer.provide(Layer.mergeAll(LoggerLive, LogLevelLive))
)
