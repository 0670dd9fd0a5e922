import * as Prom from "prom-client"
import { registry } from "./Metrics.ts"

/**
 * Whether each configured dependency answers (1) or not (0): `database` and `broker` as found at each scrape,
 * `redis` as its client's connection reports it (ready → 1; closed or failing → 0). A dependency the process runs
 * without (no REDIS_URL, no AMQP_URL: the in-process twin) reports 1.
 */
export const dependencyUp = new Prom.Gauge({
  name: "goticket_dependency_up",
  help: "Whether a dependency answers: 1 up, 0 down (database, redis, broker)",
  labelNames: ["dependency"] as const,
  registers: [registry]
})
for (const dependency of ["database", "redis", "broker"]) dependencyUp.set({ dependency }, 1)
