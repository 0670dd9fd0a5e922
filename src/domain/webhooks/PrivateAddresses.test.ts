import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { isNonPublicAddress } from "./PrivateAddresses.ts"
import { checkWebhookUrl } from "./WebhookRules.ts"

describe("addresses a webhook may not reach", () => {
  it("are loopback, private, link-local (cloud metadata), CGNAT, multicast and reserved, in v4 and v6", () => {
    for (const ip of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "::1",
      "::",
      "[fd00::1]",
      "fe80::1",
      "::ffff:10.0.0.1",
      "::ffff:a9fe:a9fe"
    ])
      expect(isNonPublicAddress(ip), ip).toBe(true)
    for (const ip of ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"])
      expect(isNonPublicAddress(ip), ip).toBe(false)
  })

  it("refuses such URLs at registration, https or not; loopback over http stays allowed in development", () => {
    const production = { allowHttpLoopback: false }
    for (const url of [
      "https://169.254.169.254/latest/meta-data",
      "https://10.0.0.7/hooks",
      "https://[::1]/hooks",
      "https://[::ffff:192.168.0.1]/"
    ])
      expect(checkWebhookUrl(url, production), url).toMatchObject({
        _tag: "Failure",
        failure: { message: expect.stringMatching(/public address/) }
      })
    expect(Result.isSuccess(checkWebhookUrl("https://hooks.example.com/x", production))).toBe(true)
    expect(Result.isSuccess(checkWebhookUrl("http://127.0.0.1:8080/x", { allowHttpLoopback: true }))).toBe(true)
    expect(
      Result.isSuccess(checkWebhookUrl("https://10.0.0.7/x", { allowHttpLoopback: false, allowPrivateNetworks: true }))
    ).toBe(true)
  })
})
