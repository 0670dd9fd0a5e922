import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import { describe, expect, it } from "@effect/vitest"

const DOMAIN = join(import.meta.dirname, "../../src/domain")
/**
 * Effect 4 ships its infrastructure modules inside `effect` itself: HTTP, SQL, RPC, the cluster, sockets, child
 * processes, workers and the OTLP exporters. The domain may use none of them.
 */
const INFRASTRUCTURE =
  /^effect\/(http|http-api|sql|rpc|cluster|socket|process|workers|observability|persistence|net)(\/|$)/

/** What src/domain may import: effect itself (effect/workflow for saga definitions included) and its own files. */
const allowed = (specifier: string) =>
  specifier === "effect" ||
  (specifier.startsWith("effect/") && !INFRASTRUCTURE.test(specifier)) ||
  (specifier.startsWith(".") && !/(^|\/)(services|http|rpc)(\/|$)/.test(specifier))

const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return filesUnder(path)
    // Unit tests sit beside the code and may use the test runner; the production code may not.
    return path.endsWith(".ts") && !path.endsWith(".test.ts") ? [path] : []
  })

const importsOf = (source: string) =>
  [...source.matchAll(/(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map(
    (m) => m[1] ?? m[2] ?? ""
  )

describe("the domain stays pure", () => {
  it("imports nothing but effect (no HTTP, SQL, RPC or cluster module) and other domain files", () => {
    const offenders = filesUnder(DOMAIN).flatMap((file) =>
      importsOf(readFileSync(file, "utf8"))
        .filter((specifier) => !allowed(specifier))
        .map((specifier) => `${relative(DOMAIN, file)} imports ${specifier}`)
    )
    expect(offenders).toEqual([])
  })

  it("refuses Effect's infrastructure modules (the rule can fail)", () => {
    expect(
      ["effect/sql", "effect/http-api", "effect/cluster", "effect/rpc/RpcServer", "../services/x"].filter(allowed)
    ).toEqual([])
    expect(["effect", "effect/workflow", "effect/Schema", "./Order.ts"].every(allowed)).toBe(true)
  })

  it("has files to check (the scan is not vacuous)", () => {
    expect(filesUnder(DOMAIN).length).toBeGreaterThan(5)
  })
})
