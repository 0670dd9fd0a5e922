import { HttpApi, OpenApi } from "effect/http-api"
import { AccountRecoveryApi, AccountSecurityApi } from "./AccountSecurityApi.ts"
import { AdminApi } from "./AdminApi.ts"
import { AuditApi } from "./AuditApi.ts"
import { AuthApi, MeApi } from "./AuthApi.ts"
import { GatewayErrors, RouteTagger } from "./Authentication.ts"
import { EventsApi } from "./EventsApi.ts"
import { HealthApi } from "./HealthApi.ts"
import { finishDocument } from "./OpenApiDocument.ts"
import { CheckInsApi, OrdersApi, PaymentsApi, TicketsApi } from "./OrdersApi.ts"
import { OrganizerApi } from "./OrganizerApi.ts"
import { OrganizerApiKeysApi } from "./OrganizerApiKeysApi.ts"
import { OrganizerOrdersApi } from "./OrganizerOrdersApi.ts"
import { PrivacyApi } from "./PrivacyApi.ts"
import { payloadParseOptions } from "./payload.ts"
import { ReservationsApi } from "./ReservationsApi.ts"
import { ServiceKeysApi } from "./ServiceKeysApi.ts"
import { VouchersApi } from "./VouchersApi.ts"
import { WaitingListsApi } from "./WaitingListsApi.ts"
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
  .add(VouchersApi)
  .add(WaitingListsApi)
  .add(OrganizerApiKeysApi)
  .add(OrganizerOrdersApi)
  .add(ReservationsApi)
  .add(OrdersApi)
  .add(TicketsApi)
  .add(CheckInsApi)
  .add(PaymentsApi)
  .add(WebhooksApi)
  .add(AdminApi)
  .add(ServiceKeysApi)
  .add(AuditApi)
  .middleware(GatewayErrors)
  .middleware(RouteTagger)
  .annotate(HttpApi.PayloadParseOptions, payloadParseOptions)
  .annotate(OpenApi.Title, "GoTicket API")
  .annotate(OpenApi.Version, "0.1.0")
  .annotate(OpenApi.Servers, [{ url: "/", description: "The server that serves this document" }])
  .annotate(
    OpenApi.Description,
    [
      "Event ticketing: organizers publish events with ticket types and seat maps; customers hold seats, check out and pay, and receive tickets that door staff check in.",
      "",
      "Errors are JSON with a stable `_tag` and a `message` sentence. A request that does not match this document is answered 400 `HttpApiDecodeError`: `message` names the first field and the rule it breaks, and `issues` lists every problem with its `path`, a `code` (missing, unexpected, invalid_type, invalid_value, too_long, too_short, pattern, out_of_range, not_integer, ambiguous) and a `message`.",
      "",
      "Text anywhere in a request must not contain NUL characters (U+0000) or half of a UTF-16 surrogate pair (unpaired U+D800–U+DFFF): such a request is refused with 400. Bodies are JSON (`Content-Type: application/json`), nested at most 32 levels; fields this document does not list are refused.",
      "",
      "Every answer carries `x-request-id`; rate-limited routes carry `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy`, and a 429 carries `Retry-After`. A method a path does not document is answered 405 with `Allow`."
    ].join("\n")
  )
  .annotate(OpenApi.Transform, finishDocument) {}
