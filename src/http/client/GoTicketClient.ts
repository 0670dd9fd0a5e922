import type { Effect } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { HttpApiClient } from "effect/http-api"
import { GoTicketApi } from "../api/GoTicketApi.ts"

/**
 * A typed client of the REST API, derived from the same contract as the server and its OpenAPI document
 * (GoTicketApi): every group is a property (`client.reservations.hold(...)`), requests are encoded and answers
 * decoded with the endpoint's schemas, and the documented errors arrive as typed failures (`_tag`).
 */
export type GoTicketClient = HttpApiClient.ForApi<typeof GoTicketApi>

export interface GoTicketClientOptions {
  /** Where the API is, e.g. `http://localhost:3000`. */
  readonly baseUrl: string
  /** An access token from login or refresh, sent as `Authorization: Bearer …` with every request. */
  readonly accessToken?: string | undefined
}

/**
 * A client of the API at `baseUrl`, calling as the owner of `accessToken` (anonymously without one). Needs an
 * `HttpClient` (FetchHttpClient.layer, or the platform's).
 */
export const makeGoTicketClient = (
  options: GoTicketClientOptions
): Effect.Effect<GoTicketClient, never, HttpClient.HttpClient> =>
  HttpApiClient.make(GoTicketApi, {
    baseUrl: options.baseUrl,
    transformClient: (client) =>
      options.accessToken === undefined
        ? client
        : HttpClient.mapRequest(client, HttpClientRequest.bearerToken(options.accessToken))
  })
