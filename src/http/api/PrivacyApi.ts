import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { InvalidCredentials } from "../../domain/accounts/errors.ts"
import { ErasureRefused } from "../../domain/privacy/errors.ts"
import { PersonalDataExport } from "../../domain/privacy/PersonalDataExport.ts"
import { Authentication } from "./Authentication.ts"
import { RateLimited } from "./errors.ts"
import { payload } from "./payload.ts"

/** The caller's current password, proven again: an access token alone must not erase an account. */
export const EraseAccountRequest = payload(
  Schema.Struct({
    password: Schema.String.check(Schema.isMaxCodePoints(256, { message: "must be at most 256 characters" }))
  }),
  "EraseAccountRequest"
)

/** Privacy (GDPR): the caller's data export and the erasure of their account. */
export class PrivacyApi extends HttpApiGroup.make("privacy")
  .add(
    HttpApiEndpoint.get("exportMyData", "/v1/me/export", { success: PersonalDataExport })
      .annotate(OpenApi.Summary, "Everything GoTicket holds about the caller, as one JSON document")
      .annotate(
        OpenApi.Description,
        "Account, orders, tickets, holds, refunds, events organized, staff roles and webhook endpoints. Sent as an attachment (goticket-export.json). Credentials are left out: no password hash, no ticket codes, no webhook secrets. No card data exists: the platform never receives any."
      )
  )
  .add(
    HttpApiEndpoint.delete("eraseMe", "/v1/me", {
      payload: EraseAccountRequest,
      success: HttpApiSchema.NoContent,
      error: [
        InvalidCredentials.pipe(HttpApiSchema.status(401)),
        ErasureRefused.pipe(HttpApiSchema.status(409)),
        RateLimited
      ]
    })
      .annotate(OpenApi.Summary, "Erase the caller's account (pseudonymise their personal data)")
      .annotate(
        OpenApi.Description,
        "Needs the current password. Email, name and password are replaced, live holds released, webhook endpoints deleted; orders, tickets and refunds stay for accounting under the now anonymous account. Refused (409) while an order waits for payment or while the caller organizes a published event still to come."
      )
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Privacy") {}
