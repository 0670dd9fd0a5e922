import { Schema } from "effect"
import { HttpApi } from "effect/http-api"
import type { HoldRequest } from "../domain/reservations/HoldRequest.ts"
import { GoTicketApi } from "./api/GoTicketApi.ts"
import { payloadParseOptions } from "./api/payload.ts"

/** A response of the route: status and JSON body, and where a new hold is read (201). */
export interface Answer {
  readonly status: number
  readonly body: string
  readonly location?: string
}

/**
 * The endpoint as HttpApi serves it, read from the API definition itself (HttpApi.reflect): its header and payload
 * schemas with the API's parse options, and for the success and each declared error its status and JSON codec. So
 * the route decodes and answers exactly what the OpenAPI document says, and cannot drift from it.
 */
export const holdContract = () => {
  const endpoint = GoTicketApi.groups.reservations.endpoints.hold
  const payloads = endpoint.payload.get("application/json")
  if (payloads === undefined || payloads.encoding._tag !== "Json" || endpoint.headers === undefined)
    throw new Error("POST /v1/reservations no longer takes a JSON body and headers")
  const answers: Array<{
    readonly status: number
    readonly is: (u: unknown) => boolean
    readonly encode: (u: unknown) => unknown
  }> = []
  let success: { readonly status: number; readonly encode: (u: unknown) => unknown } | undefined
  HttpApi.reflect(GoTicketApi, {
    predicate: (candidate) => candidate.endpoint === endpoint,
    onGroup: () => {},
    onEndpoint: ({ successes, errors }) => {
      const [status, schemas] = [...successes][0] ?? []
      if (status === undefined || schemas === undefined || schemas.length !== 1 || successes.size !== 1)
        throw new Error("POST /v1/reservations no longer has one success")
      // The hold it encodes was built from rows the database constrains: encoded as the endpoint does, not re-checked.
      success = {
        status,
        encode: Schema.encodeUnknownSync(schemas[0] as Schema.Codec<unknown, unknown>, { disableChecks: true })
      }
      for (const [status, schemas] of errors)
        for (const schema of schemas)
          answers.push({
            status,
            is: Schema.is(schema as Schema.Codec<unknown, unknown>),
            encode: Schema.encodeUnknownSync(schema as Schema.Codec<unknown, unknown>)
          })
    }
  })
  if (success === undefined) throw new Error("POST /v1/reservations is not in the API")
  return {
    decodeHeaders: Schema.decodeUnknownExit(
      endpoint.headers as unknown as Schema.Codec<{ readonly "idempotency-key": string }, unknown>
    ),
    decodePayload: Schema.decodeUnknownExit(
      Schema.Union(payloads.schemas) as unknown as Schema.Codec<HoldRequest, unknown>,
      payloadParseOptions
    ),
    success,
    /** The answer of a failure the endpoint declares, or undefined for anything else (a defect, then). */
    refusal: (error: unknown): Answer | undefined => {
      const found = answers.find((a) => a.is(error))
      return found === undefined ? undefined : { status: found.status, body: JSON.stringify(found.encode(error)) }
    }
  }
}
