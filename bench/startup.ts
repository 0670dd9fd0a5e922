/**
 * Start-up benchmark: `npm run bench:startup` (builds dist/ first). How long `npm start` with nothing configured takes
 * to be ready: the compiled service as `npm start` runs it (dist/src/start.js) on the embedded database, the demo data seeded, from the
 * process's spawn to the first 200 of /health/ready (polled every 20 ms), on a fresh data directory and then
 * BENCH_RESTARTS (2) more times on that same, reused directory (BENCH_DATA_DIR: that directory, kept; when it
 * already holds a database there is no fresh run). Prints each run's time and the service's own
 * "started in" figure. BENCH_PHASES=1 also prints each line the service logged on the way, with the time it arrived.
 */
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"

const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 2)
const PHASES = process.env.BENCH_PHASES === "1"
const root = join(import.meta.dirname, "..")
/** BENCH_DATA_DIR: a data directory of your own (kept); else a new one in the temporary directory (removed). */
const ownDir = process.env.BENCH_DATA_DIR
const dataDir = ownDir ?? mkdtempSync(join(tmpdir(), "goticket-bench-startup-"))
const fresh = !existsSync(join(dataDir, "pgdata"))

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const run = async (label: string) => {
  const port = await freePort()
  const started = performance.now()
  const service = spawn(process.execPath, ["dist/src/start.js"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      GOTICKET_DATA_DIR: dataDir,
      ...(process.env.NODE_COMPILE_CACHE === undefined ? {} : { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE })
    },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  const phases: Array<string> = []
  const read = (chunk: string) => {
    output += chunk
    const at = ((performance.now() - started) / 1000).toFixed(2).padStart(6)
    for (const line of chunk.split("\n")) if (line.trim() !== "") phases.push(`  ${at} s  ${line.slice(0, 150)}`)
  }
  service.stdout.setEncoding("utf8").on("data", read)
  service.stderr.setEncoding("utf8").on("data", read)
  let listening: number | undefined
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.status,
      () => 0
    )
    if (status !== 0 && listening === undefined) listening = performance.now() - started
    if (status === 200) break
    if (service.exitCode !== null || performance.now() - started > 300_000)
      throw new Error(`the service did not become ready:\n${output}`)
    await sleep(20)
  }
  const ready = performance.now() - started
  const own = /started in (\d+\.\d) s/.exec(output)?.[1] ?? "?"
  const stopped = new Promise((resolve) => service.on("exit", resolve))
  service.kill("SIGTERM")
  await stopped
  console.log(
    `${PHASES ? `${phases.join("\n")}\n` : ""}${label.padEnd(8)} ready ${(ready / 1000).toFixed(1)} s (listening from ${((listening ?? ready) / 1000).toFixed(1)} s; the service says ${own} s); load ${loadavg()[0]?.toFixed(1)}`
  )
}

try {
  if (fresh) await run("fresh")
  for (let i = 1; i <= RESTARTS; i++) await run(`reused ${i}`)
} finally {
  if (ownDir === undefined) rmSync(dataDir, { recursive: true, force: true })
}
