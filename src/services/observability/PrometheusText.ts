import type { MetricPair } from "effect"
import { Effect, Metric, MetricState, Option } from "effect"

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')
const escapeHelp = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")
const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_:]/g, "_")

const labels = (tags: ReadonlyArray<{ readonly key: string; readonly value: string }>, extra: string[] = []) => {
  const all = [...tags.map((t) => `${sanitize(t.key)}="${escapeLabel(t.value)}"`), ...extra]
  return all.length === 0 ? "" : `{${all.join(",")}}`
}

const num = (n: number | bigint) =>
  typeof n === "bigint" ? n.toString() : Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN"

/**
 * Every metric Effect has recorded, in the Prometheus text exposition format (version 0.0.4): counters, gauges,
 * histograms (cumulative buckets, _sum, _count), summaries and frequencies (one series per observed value).
 */
export const prometheusText: Effect.Effect<string> = Effect.map(Metric.snapshot, (pairs) => {
  const families = new Map<string, { type: string; help: string; lines: string[] }>()
  const family = (name: string, type: string, help: string) => {
    let found = families.get(name)
    if (!found) {
      found = { type, help, lines: [] }
      families.set(name, found)
    }
    return found
  }
  for (const pair of pairs as ReadonlyArray<MetricPair.MetricPair.Untyped>) {
    const name = sanitize(pair.metricKey.name)
    const help = Option.getOrElse(pair.metricKey.description, () => name)
    const tags = pair.metricKey.tags
    const state = pair.metricState
    if (MetricState.isCounterState(state)) {
      family(name, "counter", help).lines.push(`${name}${labels(tags)} ${num(state.count)}`)
    } else if (MetricState.isGaugeState(state)) {
      family(name, "gauge", help).lines.push(`${name}${labels(tags)} ${num(state.value)}`)
    } else if (MetricState.isHistogramState(state)) {
      const f = family(name, "histogram", help)
      for (const [bound, count] of state.buckets) {
        f.lines.push(`${name}_bucket${labels(tags, [`le="${num(bound)}"`])} ${count}`)
      }
      f.lines.push(`${name}_bucket${labels(tags, ['le="+Inf"'])} ${state.count}`)
      f.lines.push(`${name}_sum${labels(tags)} ${num(state.sum)}`, `${name}_count${labels(tags)} ${state.count}`)
    } else if (MetricState.isSummaryState(state)) {
      const f = family(name, "summary", help)
      for (const [quantile, value] of state.quantiles) {
        if (Option.isSome(value)) f.lines.push(`${name}${labels(tags, [`quantile="${quantile}"`])} ${num(value.value)}`)
      }
      f.lines.push(`${name}_sum${labels(tags)} ${num(state.sum)}`, `${name}_count${labels(tags)} ${state.count}`)
    } else if (MetricState.isFrequencyState(state)) {
      const f = family(name, "counter", help)
      for (const [value, count] of state.occurrences) {
        f.lines.push(`${name}${labels(tags, [`value="${escapeLabel(value)}"`])} ${count}`)
      }
    }
  }
  const out: string[] = []
  for (const [name, f] of [...families.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`, ...f.lines)
  }
  return `${out.join("\n")}\n`
})
