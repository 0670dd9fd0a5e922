import { HttpApi, OpenApi } from "effect/http-api"
import { AccountRecoveryApi, AccountSecurityApi } from "./AccountSecurityApi.ts"
import { AdminApi } from "./AdminApi.ts"
import { AuditApi } from "./AuditApi.ts"
import { AuthApi, MeApi } from "./AuthApi.ts"
import { GatewayErrors, RouteTagger } from "./Authentication.ts"
import { EventsApi } from "./EventsApi.ts"
import { HealthApi } from "./HealthApi.ts"
import { CheckInsApi, OrdersApi, PaymentsApi, TicketsApi } from "./OrdersApi.ts"
import { OrganizerApi } from "./OrganizerApi.ts"
import { PrivacyApi } from "./PrivacyApi.ts"
import { payloadParseOptions } from "./payload.ts"
import { ReservationsApi } from "./ReservationsApi.ts"
import { WebhooksApi } from "./WebhooksApi.ts"

/**
 * The public REST contract. Handlers live in src/http/handlers; the OpenAPI document is derived from this.
 * Every endpoint gets the gateway's own errors (GatewayErrors) and the route tagging for the request log
 * (RouteTagger, outermost, so that it also runs when authentication refuses).
 */
export class GoTicketApi extends HttpApi.make("goticket")
  .add(HealthApi)
  .add(AuthApi)
  .add(AccountRecoveryApi)
  .add(MeApi)
  .add(AccountSecurityApi)
  .add(PrivacyApi)
  .add(EventsApi)
  .add(OrganizerApi)
  .add(ReservationsApi)
  .add(OrdersApi)
  .add(TicketsApi)
  .add(CheckInsApi)
  .add(PaymentsApi)
  .add(WebhooksApi)
  .add(AdminApi)
  .add(AuditApi)
  .middleware(GatewayErrors)
  .middleware(RouteTagger)
  .annotate(HttpApi.PayloadParseOptions, payloadParseOptions)
  .annotate(OpenApi.Title, "GoTicket API")
  .annotate(OpenApi.Version, "0.1.0")
  .annotate(
    OpenApi.Description,
    "Event ticketing: organizers publish events with ticket types and seat maps; customers hold seats, check out and pay, and receive tickets that door staff check in. Errors are JSON with a stable `_tag` and a human-readable `message`."
  ) {}
