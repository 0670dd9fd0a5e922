import { describe, expect, it } from "@effect/vitest"
import { Duration } from "effect"
import { clientAddress, type Rated, rateLimitHeaders, tightest, trafficClassOf } from "./TrafficClasses.ts"

describe("traffic classes", () => {
  it("rates each endpoint under the class its abuse calls for", () => {
    expect(trafficClassOf("POST", "/v1/auth/login")).toBe("auth")
    expect(trafficClassOf("POST", "/v1/auth/register")).toBe("auth")
    expect(trafficClassOf("GET", "/verify-email")).toBe("auth")
    expect(trafficClassOf("POST", "/v1/auth/password-reset")).toBe("auth")
    expect(trafficClassOf("POST", "/v1/me/password")).toBe("auth")
    expect(trafficClassOf("POST", "/v1/me/email")).toBe("auth")
    expect(trafficClassOf("POST", "/v1/me/two-factor/enrolment/confirm")).toBe("auth")
    expect(trafficClassOf("DELETE", "/v1/me/two-factor")).toBe("auth")
    expect(trafficClassOf("GET", "/v1/me/two-factor")).toBe("reads")
    expect(trafficClassOf("DELETE", "/v1/me")).toBe("writes")
    expect(trafficClassOf("POST", "/v1/reservations")).toBe("holds")
    expect(trafficClassOf("POST", "/v1/reservations/3f2b/checkout")).toBe("holds")
    expect(trafficClassOf("DELETE", "/v1/reservations/3f2b")).toBe("holds")
    expect(trafficClassOf("GET", "/v1/reservations/3f2b")).toBe("reads")
    expect(trafficClassOf("POST", "/v1/events/3f2b/publish")).toBe("writes")
    expect(trafficClassOf("POST", "/v1/reservations/3f2b/checkout/extra")).toBe("writes")
    expect(trafficClassOf("GET", "/health/ready")).toBe("exempt")
    expect(trafficClassOf("GET", "/metrics")).toBe("exempt")
    expect(trafficClassOf("POST", "/v1/payments/webhook")).toBe("exempt")
    expect(trafficClassOf("OPTIONS", "/v1/reservations")).toBe("exempt")
  })

  it("takes the client's address from the socket unless proxies are trusted", () => {
    expect(clientAddress("::ffff:10.0.0.5", "1.2.3.4", 0)).toBe("10.0.0.5")
    expect(clientAddress("10.0.0.5", "1.2.3.4", 1)).toBe("1.2.3.4")
    // Whatever the client wrote before the proxies' entries is ignored.
    expect(clientAddress("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.9", 2)).toBe("1.2.3.4")
    // Fewer entries than trusted proxies: the request did not come through them all.
    expect(clientAddress("10.0.0.5", "1.2.3.4", 2)).toBe("10.0.0.5")
    expect(clientAddress(undefined, undefined, 0)).toBe("unknown")
  })

  const rated = (allowed: boolean, remaining: number, limit = 10): Rated => ({
    policy: { name: `p${limit}`, limit, window: Duration.minutes(1) },
    decision: {
      allowed,
      limit,
      remaining,
      resetAfter: Duration.millis(1_500),
      retryAfter: allowed ? Duration.zero : Duration.millis(2_100)
    }
  })

  it("reports a refusal first, else the quota closest to running out", () => {
    expect(tightest([rated(true, 5), rated(false, 0, 3), rated(true, 1)])?.policy.limit).toBe(3)
    expect(tightest([rated(true, 5), rated(true, 1, 4)])?.policy.limit).toBe(4)
    expect(tightest([])).toBeUndefined()
  })

  it("says when to come back, in whole seconds rounded up", () => {
    expect(rateLimitHeaders(rated(false, 0))).toEqual({
      "ratelimit-limit": "10",
      "ratelimit-remaining": "0",
      "ratelimit-reset": "2",
      "ratelimit-policy": "10;w=60",
      "retry-after": "3"
    })
    expect(rateLimitHeaders(rated(true, 4))).not.toHaveProperty("retry-after")
  })
})
