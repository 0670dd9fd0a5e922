import { Effect, Metric } from "effect"

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')
const escapeHelp = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")
const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_:]/g, "_")

const labels = (attributes: Metric.Metric.AttributeSet | undefined, extra: string[] = []) => {
  const all = [
    ...Object.entries(attributes ?? {}).map(([key, value]) => `${sanitize(key)}="${escapeLabel(value)}"`),
    ...extra
  ]
  return all.length === 0 ? "" : `{${all.join(",")}}`
}

const num = (n: number | bigint) =>
  typeof n === "bigint" ? n.toString() : Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN"

/**
 * Every metric Effect has recorded, in the Prometheus text exposition format (version 0.0.4): counters, gauges,
 * histograms (cumulative buckets, _sum, _count), summaries and frequencies (one series per observed value).
 */
export const prometheusText: Effect.Effect<string> = Effect.map(Metric.snapshot, (snapshots) => {
  const families = new Map<string, { type: string; help: string; lines: string[] }>()
  const family = (name: string, type: string, help: string) => {
    let found = families.get(name)
    if (!found) {
      found = { type, help, lines: [] }
      families.set(name, found)
    }
    return found
  }
  for (const metric of snapshots) {
    const name = sanitize(metric.id)
    const help = metric.description ?? name
    const tags = metric.attributes
    switch (metric.type) {
      case "Counter": {
        family(name, "counter", help).lines.push(`${name}${labels(tags)} ${num(metric.state.count)}`)
        break
      }
      case "Gauge": {
        family(name, "gauge", help).lines.push(`${name}${labels(tags)} ${num(metric.state.value)}`)
        break
      }
      case "Histogram": {
        const state = metric.state
        const f = family(name, "histogram", help)
        // The boundaries end with Infinity, written once below as le="+Inf".
        for (const [bound, count] of state.buckets) {
          if (bound !== Number.POSITIVE_INFINITY) {
            f.lines.push(`${name}_bucket${labels(tags, [`le="${num(bound)}"`])} ${count}`)
          }
        }
        f.lines.push(`${name}_bucket${labels(tags, ['le="+Inf"'])} ${state.count}`)
        f.lines.push(`${name}_sum${labels(tags)} ${num(state.sum)}`, `${name}_count${labels(tags)} ${state.count}`)
        break
      }
      case "Summary": {
        const state = metric.state
        const f = family(name, "summary", help)
        for (const [quantile, value] of state.quantiles) {
          if (value !== undefined) f.lines.push(`${name}${labels(tags, [`quantile="${quantile}"`])} ${num(value)}`)
        }
        f.lines.push(`${name}_sum${labels(tags)} ${num(state.sum)}`, `${name}_count${labels(tags)} ${state.count}`)
        break
      }
      case "Frequency": {
        const f = family(name, "counter", help)
        for (const [value, count] of metric.state.occurrences) {
          f.lines.push(`${name}${labels(tags, [`value="${escapeLabel(value)}"`])} ${count}`)
        }
        break
      }
    }
  }
  const out: string[] = []
  for (const [name, f] of [...families.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`, ...f.lines)
  }
  return `${out.join("\n")}\n`
})
