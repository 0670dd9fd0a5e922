/**
 * Registration-mail benchmark: `npm run bench:registration-mail` (builds dist/ first); about a minute, most of it the
 * embedded database starting.
 *
 * How soon a registration's confirmation mail goes out after its answer when many people register at once: the
 * compiled service (dist/src/main.js) on the embedded database in a fresh data directory, production password hashing
 * (SCRYPT_LOG2_N 15), EMAIL_VERIFICATION=required, RATE_LIMITS=off, no SMTP_URL (mails are .eml files). BENCH_USERS
 * (300) registrations are sent at once; each answer's time is taken, and the mail directory is watched for the file of
 * each address. Prints, per registration, the wait from its answer to its mail (p50, p95, max) and the answers' own
 * latency, and exits non-zero when a mail is missing.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

const USERS = Number(process.env.BENCH_USERS ?? 300)
const root = join(import.meta.dirname, "..")
const dataDir = mkdtempSync(join(tmpdir(), "goticket-bench-mail-"))
const mailDir = join(dataDir, "mail")

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const pct = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

const port = await freePort()
const base = `http://127.0.0.1:${port}`
const service = spawn(process.execPath, ["dist/src/main.js"], {
  cwd: root,
  env: {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(port),
    GOTICKET_DATA_DIR: dataDir,
    SEED_DEMO: "false",
    RATE_LIMITS: "off",
    LOG_LEVEL: "Warn"
  },
  stdio: ["ignore", "ignore", "inherit"]
})
const started = Date.now()
for (;;) {
  const ok = await fetch(`${base}/health/ready`).then(
    (r) => r.ok,
    () => false
  )
  if (ok) break
  if (Date.now() - started > 300_000) throw new Error("the service did not become ready")
  await sleep(100)
}
console.log(`service ready in ${((Date.now() - started) / 1000).toFixed(1)} s; ${USERS} registrations at once`)

const mailSeen = new Map<string, number>()
let watching = true
const watch = (async () => {
  const read = new Set<string>()
  while (watching) {
    let names: Array<string> = []
    try {
      names = readdirSync(mailDir).filter((n) => n.endsWith(".eml") && !read.has(n))
    } catch {}
    const now = Date.now()
    for (const name of names) {
      read.add(name)
      const to = /^To: .*?([\w.+-]+@example\.com)/im.exec(readFileSync(join(mailDir, name), "utf8"))?.[1]
      if (to !== undefined && !mailSeen.has(to)) mailSeen.set(to, now)
    }
    await sleep(10)
  }
})()

const run = crypto.randomUUID().slice(0, 8)
const sent = Date.now()
const answers = await Promise.all(
  Array.from({ length: USERS }, async (_, i) => {
    const email = `bench-${run}-${i}@example.com`
    const response = await fetch(`${base}/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: "a-long-password", name: "Bench", accountType: "customer" })
    })
    await response.text()
    return { email, status: response.status, at: Date.now() }
  })
)
const deadline = Date.now() + 60_000
while (mailSeen.size < USERS && Date.now() < deadline) await sleep(50)
watching = false
await watch
service.kill("SIGTERM")

const lags = answers.flatMap((a) => {
  const seen = mailSeen.get(a.email)
  return seen === undefined ? [] : [seen - a.at]
})
const latency = answers.map((a) => a.at - sent)
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
console.log(
  `answers: ${answers.filter((a) => a.status === 202).length}/${USERS} 202; latency p50 ${s(pct(latency, 50))}, p95 ${s(pct(latency, 95))}, max ${s(Math.max(...latency))}`
)
console.log(
  `mail after its answer: ${lags.length}/${USERS} mails; p50 ${s(pct(lags, 50))}, p95 ${s(pct(lags, 95))}, max ${s(Math.max(...lags))}`
)
if (lags.length < USERS) process.exitCode = 1
