import { spawnSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { parse } from "yaml"
import { promtool, promtoolFound } from "../support/Promtool.ts"

/*
 * The local stack (docker-compose.yml) with its observability: Jaeger for traces, Prometheus scraping the API and
 * loading the alert rules, Grafana provisioned with the GoTicket dashboard. No Docker engine here: `docker-compose
 * config -q` (Debian's docker-compose, which .ci/run installs) validates the file, and the mounts are checked to exist.
 */

const composeFound = (() => {
  const found = spawnSync("docker-compose", ["version"], { stdio: "ignore" }).status === 0
  if (!found && process.env.CI === "true")
    throw new Error("docker-compose is missing: apt-get install -y docker-compose")
  return found
})()

type Service = {
  image?: string
  build?: unknown
  environment?: Record<string, string>
  volumes?: ReadonlyArray<string>
  depends_on?: Record<string, unknown>
}
const compose = parse(readFileSync("docker-compose.yml", "utf8"), { merge: true }) as {
  services: Record<string, Service>
  volumes: Record<string, unknown>
}
const service = (name: string): Service => {
  const found = compose.services[name]
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`)
  return found
}
/** A service's bind mounts as [host path, container path]. */
const binds = (name: string) =>
  (service(name).volumes ?? [])
    .filter((volume) => volume.startsWith("./"))
    .map((volume) => volume.split(":") as [string, string, ...string[]])

describe("docker-compose.yml", () => {
  it.skipIf(!composeFound)("passes docker-compose config -q", () => {
    const run = spawnSync("docker-compose", ["config", "-q"], {
      encoding: "utf8",
      env: { ...process.env, JWT_SECRET: "compose-config-check" }
    })
    expect(run.stderr).toBe("")
    expect(run.status).toBe(0)
  })

  it.skipIf(!composeFound)(
    "with docker-compose.split.yml (gateway, booking, worker) passes docker-compose config -q",
    () => {
      const run = spawnSync(
        "docker-compose",
        ["-f", "docker-compose.yml", "-f", "docker-compose.split.yml", "config", "-q"],
        {
          encoding: "utf8",
          env: { ...process.env, JWT_SECRET: "compose-config-check", BOOKING_SERVICE_KEY: "gtk_compose-config-check" }
        }
      )
      expect(run.stderr).toBe("")
      expect(run.status).toBe(0)
    }
  )

  it("runs the roles, the data stores, Jaeger, Prometheus and Grafana; every mount and named volume exists", () => {
    for (const name of ["api", "worker", "postgres", "redis", "rabbitmq", "jaeger", "prometheus", "grafana"])
      expect(compose.services).toHaveProperty(name)
    expect(service("api").environment?.ROLE).toBe("api")
    for (const role of ["api", "worker"])
      expect(service(role).environment?.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("http://jaeger:4318")
    for (const [name, definition] of Object.entries(compose.services)) {
      for (const [host] of binds(name)) expect(existsSync(host), `${name} mounts ${host}`).toBe(true)
      for (const volume of definition.volumes ?? [])
        if (!volume.startsWith("./")) expect(compose.volumes).toHaveProperty(volume.split(":")[0] as string)
      for (const dependency of Object.keys(definition.depends_on ?? {}))
        expect(compose.services, `${name} depends on ${dependency}`).toHaveProperty(dependency)
    }
  })

  it("has Prometheus scrape the API's and the workers' /metrics and load ops/prometheus/alerts.yml", () => {
    const mounts = Object.fromEntries(binds("prometheus"))
    const configPath = mounts["./ops/prometheus/prometheus.yml"]
    expect(configPath).toBe("/etc/prometheus/prometheus.yml")
    const config = parse(readFileSync("ops/prometheus/prometheus.yml", "utf8")) as {
      rule_files: string[]
      scrape_configs: Array<{ metrics_path: string; dns_sd_configs: Array<{ names: string[]; port: number }> }>
    }
    // Rule files are relative to the config file: mounted beside it.
    for (const rules of config.rule_files) expect(mounts[`./ops/prometheus/${rules}`]).toBe(`/etc/prometheus/${rules}`)
    expect(config.rule_files).toContain("alerts.yml")
    const targets = config.scrape_configs.flatMap((job) =>
      job.dns_sd_configs.flatMap((sd) => sd.names.map((name) => `${name}:${sd.port}${job.metrics_path}`))
    )
    expect(targets.sort()).toEqual(["api:3000/metrics", "worker:9464/metrics"])
  })

  it.skipIf(!promtoolFound)("gives Prometheus a config that promtool check config accepts", () => {
    expect(promtool(["check", "config", "ops/prometheus/prometheus.yml"])).toContain("SUCCESS")
  })

  it("provisions Grafana with the Prometheus data source and the GoTicket dashboard", () => {
    const mounts = Object.fromEntries(binds("grafana"))
    const datasources = parse(readFileSync("ops/grafana/provisioning/datasources/prometheus.yml", "utf8")) as {
      datasources: Array<{ type: string; url: string }>
    }
    expect(mounts["./ops/grafana/provisioning/datasources"]).toBe("/etc/grafana/provisioning/datasources")
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ type: "prometheus", url: "http://prometheus:9090" })
    ])
    const dashboards = parse(readFileSync("ops/grafana/provisioning/dashboards/goticket.yml", "utf8")) as {
      providers: Array<{ type: string; options: { path: string } }>
    }
    expect(mounts["./ops/grafana/provisioning/dashboards"]).toBe("/etc/grafana/provisioning/dashboards")
    const dashboardDir = dashboards.providers[0]?.options.path
    expect(mounts["./ops/grafana/goticket.json"]).toBe(`${dashboardDir}/goticket.json`)
    expect(JSON.parse(readFileSync("ops/grafana/goticket.json", "utf8")).title).toBe("GoTicket")
  })
})
