import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DEMO_EVENT_TITLE, DEMO_ORGANIZER_EMAIL, DEMO_ORGANIZER_PASSWORD } from "../../src/services/seed/DemoSeed.ts"
import { freePort, Processes, repoRoot, type Spawned, sleep } from "../support/Processes.ts"

/*
 * A newcomer's first start, as the README's Quick start has it: no DATABASE_URL (the embedded PGlite on a fresh data
 * directory, the demo data seeded, the sandbox provider and the worker role in the process), nothing else configured.
 */

const procs = new Processes()
const dataDir = mkdtempSync(join(tmpdir(), "goticket-quickstart-"))
let port = 0
let base = ""
let service: Spawned | undefined
/** What /health/ready answered before its first 200, and what the first calls after it answered. */
const startup = { notReadyAnswers: 0, events: undefined as unknown, login: 0 }

beforeAll(async () => {
  port = await freePort()
  base = `http://127.0.0.1:${port}`
  service = procs.spawn("service", "src/main.ts", { PORT: String(port), GOTICKET_DATA_DIR: dataDir })
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
    if (status === 503) startup.notReadyAnswers++ // the server listens before it is ready
    await sleep(10)
  }
  // The very first calls after the first 200, as a newcomer who waited for "ready" would make them.
  startup.events = await (await fetch(`${base}/v1/events`)).json()
  startup.login = (
    await fetch(`${base}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: DEMO_ORGANIZER_EMAIL, password: DEMO_ORGANIZER_PASSWORD })
    })
  ).status
}, 180_000)

afterAll(async () => {
  await procs.killAll()
})

describe("npm start on a fresh data directory", () => {
  it("is ready only once the demo data is there: the first calls after ready list the demo event and log its organizer in", () => {
    expect((startup.events as { items: ReadonlyArray<{ title: string }> }).items.map((e) => e.title)).toContain(
      DEMO_EVENT_TITLE
    )
    expect(startup.login).toBe(200)
  })

  it("says where it serves once it is ready, with how long it took", async () => {
    const line = await procs.waitForOutput("service", /GoTicket is ready on/, 0, 5_000)
    expect(line).toContain(`http://127.0.0.1:${port}`)
    expect(line).toMatch(/started in \d+\.\d s/)
    // The demo event was created before the service said it was ready.
    const lines = procs.grep("service", /demo event created|GoTicket is ready on/)
    expect(lines[0]).toContain("demo event created")
  })
})

/** The README's "Try it" block, exactly as written there, pointed at this test's port. */
const tryItCommands = () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8")
  const section = readme.slice(readme.indexOf("## Try it"))
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1]
  if (block === undefined) throw new Error("the README has no sh block under ## Try it")
  return block.replaceAll("localhost:3000", `localhost:${port}`)
}

describe("the README's Try it, verbatim, against that fresh start", () => {
  it("publishes an event, sells two tickets and hands them over with their codes, first time", async () => {
    const script = tryItCommands()
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        const child = spawn("bash", ["-c", `set -eo pipefail\n${script}`], {
          cwd: repoRoot,
          env: { ...process.env, GOTICKET_DATA_DIR: dataDir }
        })
        let out = ""
        let err = ""
        child.stdout.setEncoding("utf8").on("data", (c: string) => {
          out += c
        })
        child.stderr.setEncoding("utf8").on("data", (c: string) => {
          err += c
        })
        child.on("close", (exit) => resolve({ code: exit, stdout: out, stderr: err }))
      }
    )
    const shown = `exit ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`
    expect(code, shown).toBe(0)
    expect(stdout, shown).toContain(DEMO_EVENT_TITLE)
    expect(stdout, shown).toMatch(/confirmed/i) // the page the mailed link opened
    expect(stdout, shown).not.toMatch(/"_tag"|error/i)
    // The long-poll's answer: confirmed, two tickets with their codes; and the stream saw it happen.
    expect(stdout, shown).toMatch(/"status": "confirmed",\s*"tickets": \[\s*\{\s*"id": "[^"]+",\s*"code": "GT1\./)
    expect(stdout.match(/"code": "GT1\./g)?.length, shown).toBe(2)
    expect(stdout, shown).toMatch(/event: status[\s\S]*"status":"pending_payment"[\s\S]*"status":"confirmed"/)
  }, 120_000)
})
