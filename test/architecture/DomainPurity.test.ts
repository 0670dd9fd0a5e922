import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import { describe, expect, it } from "@effect/vitest"

const DOMAIN = join(import.meta.dirname, "../../src/domain")
/** What src/domain may import: effect itself, @effect/workflow for saga definitions, and its own files. */
const allowed = (specifier: string) =>
  specifier === "effect" ||
  specifier.startsWith("effect/") ||
  specifier === "@effect/workflow" ||
  specifier.startsWith("@effect/workflow/") ||
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
  it("imports nothing but effect, @effect/workflow and other domain files", () => {
    const offenders = filesUnder(DOMAIN).flatMap((file) =>
      importsOf(readFileSync(file, "utf8"))
        .filter((specifier) => !allowed(specifier))
        .map((specifier) => `${relative(DOMAIN, file)} imports ${specifier}`)
    )
    expect(offenders).toEqual([])
  })

  it("has files to check (the scan is not vacuous)", () => {
    expect(filesUnder(DOMAIN).length).toBeGreaterThan(5)
  })
})
