import { execFile } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freePort, Processes, repoRoot, type Spawned, sleep } from "../support/Processes.ts"

/*
 * The Bruno collection (bruno/): a request for every endpoint of the API, and the purchase flow (register, log in,
 * list events, hold, check out, pay at the sandbox provider, get the confirmed order) run by `bru run`
 * (@usebruno/cli) against the embedded default, started as `npm start` starts it.
 */

const collection = join(repoRoot, "bruno")

/** Every request of the collection as "METHOD /path" with {{params}} in place of :params. */
const requests = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) return entry === "environments" ? [] : requests(path)
    if (!entry.endsWith(".bru")) return []
    const match = /^(get|post|put|patch|delete) \{\n {2}url: \{\{baseUrl\}\}([^?\n]*)/m.exec(readFileSync(path, "utf8"))
    return match === null ? [] : [`${match[1]?.toUpperCase()} ${match[2]}`]
  })

/** Every endpoint the API declares (src/http), as "METHOD /path" with {{params}}. */
const endpoints = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) return endpoints(path)
    if (!entry.endsWith(".ts") || entry.endsWith(".test.ts")) return []
    return [
      ...readFileSync(path, "utf8").matchAll(/HttpApiEndpoint\.(get|post|put|patch|delete)\("[^"]+", "([^"]+)"/g)
    ].map(([, method, route]) => `${method?.toUpperCase()} ${route?.replace(/:([A-Za-z]+)/g, "{{$1}}")}`)
  })

describe("the Bruno collection (bruno/)", () => {
  it("has a request for every endpoint of the API", () => {
    const declared = new Set(endpoints(join(repoRoot, "src", "http")))
    expect(declared.size).toBeGreaterThan(40)
    const collected = new Set(requests(collection))
    for (const endpoint of declared) expect(collected, endpoint).toContain(endpoint)
    for (const request of collected) expect(declared, request).toContain(request)
  })
})

const procs = new Processes()
let base = ""
let service: Spawned | undefined

beforeAll(async () => {
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  service = procs.spawn("service", "src/main.ts", {
    PORT: String(port),
    GOTICKET_DATA_DIR: mkdtempSync(join(tmpdir(), "goticket-bruno-")),
    // Registration answers 201 at once, as the collection's flow expects (no mailbox to read in a collection run).
    EMAIL_VERIFICATION: "off"
  })
  const deadline = Date.now() + 150_000
  for (;;) {
    if (service.hasExited() || Date.now() > deadline)
      throw new Error(`the service did not become ready\n${procs.logs(80)}`)
    const status = await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(2_000) })
      .then(async (r) => {
        await r.text()
        return r.status
      })
      .catch(() => 0)
    if (status === 200) break
    await sleep(100)
  }
}, 180_000)

afterAll(async () => {
  await procs.killAll()
})

type BruReport = ReadonlyArray<{
  summary: { totalRequests: number; failedRequests: number; failedTests: number; passedTests: number }
  results: ReadonlyArray<{ test: { filename: string }; response: { status: number } }>
}>

describe("bru run purchase, against the embedded default", () => {
  it("buys two tickets: register, log in, list events, hold, check out, pay at the sandbox, the order confirmed", async () => {
    const report = join(mkdtempSync(join(tmpdir(), "goticket-bru-")), "report.json")
    const bru = join(repoRoot, "node_modules", ".bin", "bru")
    const run = await promisify(execFile)(
      bru,
      ["run", "purchase", "--env", "local", "--env-var", `baseUrl=${base}`, "--reporter-json", report],
      { cwd: collection, timeout: 90_000 }
    ).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`bru run failed\n${error.stdout}\n${error.stderr}\n${procs.logs(40)}`)
    })
    const [result] = JSON.parse(readFileSync(report, "utf8")) as BruReport
    expect(
      result?.results.map((r) => [r.test.filename, r.response.status]),
      run.stdout
    ).toEqual([
      ["purchase/01-register.bru", 201],
      ["purchase/02-login.bru", 200],
      ["purchase/03-list-events.bru", 200],
      ["purchase/04-get-event.bru", 200],
      ["purchase/05-hold.bru", 201],
      ["purchase/06-checkout.bru", 202],
      ["purchase/07-pay.bru", 200],
      ["purchase/08-get-order.bru", 200]
    ])
    expect(result?.summary).toMatchObject({ totalRequests: 8, failedRequests: 0, failedTests: 0, passedTests: 8 })
  }, 120_000)
})
