import { HttpApi, OpenApi } from "@effect/platform"
import { AdminApi } from "./AdminApi.ts"
import { AuditApi } from "./AuditApi.ts"
import { AuthApi, MeApi } from "./AuthApi.ts"
import { EventsApi } from "./EventsApi.ts"
import { InternalServerError, MalformedRequest, PayloadTooLarge, RateLimited, UnsupportedMediaType } from "./errors.ts"
import { HealthApi } from "./HealthApi.ts"
import { CheckInsApi, OrdersApi, PaymentsApi, TicketsApi } from "./OrdersApi.ts"
import { OrganizerApi } from "./OrganizerApi.ts"
import { PrivacyApi } from "./PrivacyApi.ts"
import { ReservationsApi } from "./ReservationsApi.ts"
import { WebhooksApi } from "./WebhooksApi.ts"

/** The public REST contract. Handlers live in src/http/handlers; the OpenAPI document is derived from this. */
export class GoTicketApi extends HttpApi.make("goticket")
  .add(HealthApi)
  .add(AuthApi)
  .add(MeApi)
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
  .addError(MalformedRequest)
  .addError(PayloadTooLarge)
  .addError(RateLimited)
  .addError(UnsupportedMediaType)
  .addError(InternalServerError)
  .annotate(OpenApi.Title, "GoTicket API")
  .annotate(OpenApi.Version, "0.1.0")
  .annotate(
    OpenApi.Description,
    "Event ticketing: organizers publish events with ticket types and seat maps; customers hold seats, check out and pay, and receive tickets that door staff check in. Errors are JSON with a stable `_tag` and a human-readable `message`."
  ) {}
