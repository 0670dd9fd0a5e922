import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"

const CLI = join(import.meta.dirname, "../../src/cli")

const importsOf = (source: string) =>
  [
    ...source.matchAll(
      /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|import\s+["']([^"']+)["']/g
    )
  ].map((m) => m[1] ?? m[2] ?? m[3] ?? "")

describe("the operator CLI is an RPC client", () => {
  it("imports the RPC client, the domain and libraries, never the server, an application service or an adapter", () => {
    const offenders = readdirSync(CLI)
      .filter((name) => name.endsWith(".ts"))
      .flatMap((name) =>
        importsOf(readFileSync(join(CLI, name), "utf8"))
          .filter(
            (specifier) =>
              specifier.startsWith(".") && /\/(services|http|rpc\/server)\/|Application\.ts$/.test(specifier)
          )
          .map((specifier) => `${name} imports ${specifier}`)
      )
    expect(offenders).toEqual([])
  })
})
