import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { promtool, promtoolFound } from "../support/Promtool.ts"

describe("the Prometheus alert rules (ops/prometheus)", () => {
  it.skipIf(!promtoolFound)(
    "pass promtool check rules, and each alert fires on its condition (promtool test rules)",
    () => {
      expect(promtool(["check", "rules", "ops/prometheus/alerts.yml"])).toContain("SUCCESS")
      expect(promtool(["test", "rules", "ops/prometheus/alerts.test.yml"])).toContain("SUCCESS")
    }
  )
})

/** Every TypeScript source under a folder, concatenated (where the metric names are declared). */
const readdirText = (dir: string): string =>
  readdirSync(dir)
    .map((entry) => join(dir, entry))
    .map((path) =>
      statSync(path).isDirectory() ? readdirText(path) : path.endsWith(".ts") ? readFileSync(path, "utf8") : ""
    )
    .join("\n")

describe("the Grafana dashboard (ops/grafana/goticket.json)", () => {
  it("reads only series the service exports", () => {
    const dashboard = JSON.parse(readFileSync("ops/grafana/goticket.json", "utf8"))
    const exported = readFileSync("src/http/RouteMetrics.ts", "utf8") + readdirText("src")
    const names = new Set<string>()
    for (const panel of dashboard.panels)
      for (const target of panel.targets ?? [])
        for (const match of String(target.expr).matchAll(
          /\b((?:goticket|http_server)_[a-z_]+?)(?:_bucket|_count|_sum)?\b/g
        ))
          names.add(match[1] as string)
    for (const name of names) expect(exported, name).toContain(`"${name}"`)
  })
})
