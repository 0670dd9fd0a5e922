import { Effect, Option } from "effect"
import type { HttpServerRequest } from "effect/http"
import { AccessTokens } from "../domain/accounts/AccessTokens.ts"
import { clientAddress, type Rated, trafficClassOf } from "../services/security/TrafficClasses.ts"
import { TrafficConfig } from "../services/security/TrafficConfig.ts"
import { TrafficControl } from "../services/security/TrafficControl.ts"

/** What the gate found out about a request before it is routed. */
export interface Admission {
  /** The client's address (see TRUST_PROXY_HOPS). */
  readonly ip: string
  /** The rate decision to report in headers, undefined when the request is not rated. */
  readonly rated: Rated | undefined
}

/** Rates every request before it reaches the API; a refusal is answered 429 by the request pipeline. */
export interface TrafficGate {
  readonly admit: (request: HttpServerRequest.HttpServerRequest) => Effect.Effect<Admission>
}

const BEARER = /^Bearer\s+(\S+)$/i

export const makeTrafficGate = Effect.gen(function* () {
  const traffic = yield* TrafficControl
  const tokens = yield* AccessTokens
  const { trustedProxies } = yield* TrafficConfig
  return {
    admit: (request) =>
      Effect.gen(function* () {
        const forwarded = request.headers["x-forwarded-for"]
        const ip = clientAddress(Option.getOrUndefined(request.remoteAddress), forwarded, trustedProxies)
        const trafficClass = trafficClassOf(request.method, request.url.split("?")[0] ?? "")
        // Holds are rated per customer too: only a valid token names one (a forged one must not spend a victim's
        // quota). Verified tokens are cached, so this costs a map lookup on the hot path.
        const bearer = trafficClass === "holds" ? BEARER.exec(request.headers.authorization ?? "")?.[1] : undefined
        const userId =
          bearer === undefined
            ? undefined
            : Option.getOrUndefined(yield* Effect.option(Effect.map(tokens.verify(bearer), (a) => a.userId)))
        return { ip, rated: yield* traffic.admit({ trafficClass, ip, userId }) }
      })
  } satisfies TrafficGate
})
