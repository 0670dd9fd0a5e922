import { type ChildProcess, spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { createServer } from "node:net"
import { join } from "node:path"

/** The repository root (test/support/ is two levels below it). */
export const repoRoot = join(import.meta.dirname, "..", "..")

/** A port nobody listens on right now: bind port 0, read it, close. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no port was assigned"))))
    })
  })

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** What a child printed, line by line with a time offset, capped so a chatty child cannot eat the memory. */
class LogBuffer {
  private readonly lines: Array<string> = []
  private partial = { stdout: "", stderr: "" }
  private dropped = 0
  /** Lines ever added, dropped ones included: a position in the output that survives the cap. */
  total = 0
  private readonly started: number
  private readonly max: number
  constructor(started: number, max = 20_000) {
    this.started = started
    this.max = max
  }
  push(stream: "stdout" | "stderr", chunk: string) {
    const text = this.partial[stream] + chunk
    const parts = text.split("\n")
    this.partial[stream] = parts.pop() ?? ""
    for (const line of parts) this.add(stream, line)
  }
  flush() {
    for (const stream of ["stdout", "stderr"] as const) {
      if (this.partial[stream] !== "") this.add(stream, this.partial[stream])
      this.partial[stream] = ""
    }
  }
  note(line: string) {
    this.add("stdout", `---- ${line}`)
  }
  private add(stream: "stdout" | "stderr", line: string) {
    const at = ((Date.now() - this.started) / 1000).toFixed(2).padStart(7)
    this.lines.push(`${at}s ${stream === "stderr" ? "E " : "  "}${line}`)
    this.total++
    if (this.lines.length > this.max) {
      this.lines.shift()
      this.dropped++
    }
  }
  /** The lines added since position `from` (as far as they are still kept). */
  since(from: number): ReadonlyArray<string> {
    return this.lines.slice(Math.max(0, this.lines.length - (this.total - from)))
  }
  all(): ReadonlyArray<string> {
    this.flush()
    return this.dropped > 0 ? [`(${this.dropped} earlier lines dropped)`, ...this.lines] : [...this.lines]
  }
}

export interface Spawned {
  readonly name: string
  readonly pid: number
  /** Resolves once the process (group) is gone, with its exit code or signal. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  readonly hasExited: () => boolean
}

/**
 * Child processes running the service's TypeScript sources with this Node (its type stripping: no build step in the
 * tests), each in its own process group, so that signals reach anything it starts too (`kill(-pid)`).
 * Everything they print is kept, per name, across restarts, for `logs()` on failure. `killAll()` (afterAll) and a
 * process `exit` hook make sure no child outlives the test run.
 */
export class Processes {
  private readonly started = Date.now()
  private readonly buffers = new Map<string, LogBuffer>()
  private readonly running = new Set<ChildProcess>()
  private readonly children = new Map<Spawned, ChildProcess>()
  private readonly onExit = () => {
    for (const child of this.running) killGroup(child, "SIGKILL")
  }

  constructor() {
    process.once("exit", this.onExit)
  }

  private buffer(name: string) {
    let buffer = this.buffers.get(name)
    if (buffer === undefined) {
      buffer = new LogBuffer(this.started)
      this.buffers.set(name, buffer)
    }
    return buffer
  }

  /** Starts `node <script>` from the repository root with exactly `env` (plus PATH and HOME). */
  spawn(name: string, script: string, env: Record<string, string>): Spawned {
    const log = this.buffer(name)
    const child = spawn(process.execPath, [script], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? "/tmp",
        ...(process.env.TMPDIR === undefined ? {} : { TMPDIR: process.env.TMPDIR }),
        ...env
      },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"]
    })
    if (child.pid === undefined) throw new Error(`could not start ${name} (${script})`)
    log.note(`started ${script} as pid ${child.pid}`)
    this.running.add(child)
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => log.push("stdout", chunk))
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => log.push("stderr", chunk))
    let done = false
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => {
        done = true
        this.running.delete(child)
        // The process is gone; make sure nothing it started outlives it.
        killGroup(child, "SIGKILL")
        log.note(`pid ${child.pid} exited (code ${code}, signal ${signal})`)
        resolve({ code, signal })
      })
    )
    const spawned: Spawned = { name, pid: child.pid, exited, hasExited: () => done }
    this.children.set(spawned, child)
    return spawned
  }

  /** SIGKILLs the child's whole process group and waits until it is gone. */
  async kill(spawned: Spawned, signal: NodeJS.Signals = "SIGKILL") {
    const child = this.children.get(spawned)
    if (child === undefined || spawned.hasExited()) return
    this.buffer(spawned.name).note(`sending ${signal} to the process group of pid ${child.pid}`)
    killGroup(child, signal)
    await Promise.race([spawned.exited, sleep(10_000)])
    // Wait for every process of the group (a child of it may still hold ports).
    for (let i = 0; i < 100 && groupAlive(child); i++) await sleep(50)
  }

  async killAll() {
    await Promise.all([...this.children.keys()].map((spawned) => this.kill(spawned)))
    process.removeListener("exit", this.onExit)
  }

  /** Every child's output, by name, for a failure message. */
  logs(tailLines = 400): string {
    const out: Array<string> = []
    for (const [name, buffer] of this.buffers) {
      const lines = buffer.all()
      out.push(
        `======== ${name} (${lines.length} lines${lines.length > tailLines ? `, last ${tailLines}` : ""}) ========`
      )
      out.push(...lines.slice(-tailLines).map((line) => (line.length > 2_000 ? `${line.slice(0, 2_000)} …` : line)))
    }
    return out.join("\n")
  }

  /** How many lines `name` has printed so far: pass it to `waitForOutput` to look only at what comes next. */
  position(name: string): number {
    return this.buffer(name).total
  }

  /** Waits until `name` prints a line matching `pattern` after `from`; answers the line, or undefined on timeout. */
  async waitForOutput(name: string, pattern: RegExp, from: number, timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const hit = this.buffer(name)
        .since(from)
        .find((line) => pattern.test(line))
      if (hit !== undefined || Date.now() > deadline) return hit
      await sleep(20)
    }
  }

  /** Lines of one child's output that contain `needle`. */
  grep(name: string, needle: string | RegExp): ReadonlyArray<string> {
    const lines = this.buffers.get(name)?.all() ?? []
    return lines.filter((line) => (typeof needle === "string" ? line.includes(needle) : needle.test(line)))
  }

  /**
   * Polls `url` (GET, short timeout per attempt: a fresh node server may accept before it answers) until it
   * answers 2xx; fails early if the child exits, or after `timeoutMs`.
   */
  async waitReady(spawned: Spawned, url: string, timeoutMs = 30_000): Promise<number> {
    const start = Date.now()
    let last = "no answer yet"
    while (Date.now() - start < timeoutMs) {
      if (spawned.hasExited()) throw new Error(`${spawned.name} exited before it was ready (${last})`)
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(1_000) })
        await response.text()
        if (response.ok) return Date.now() - start
        last = `answered ${response.status}`
      } catch (error) {
        last = String((error as Error).cause ?? error)
      }
      await sleep(100)
    }
    throw new Error(`${spawned.name} was not ready at ${url} within ${timeoutMs} ms (${last})`)
  }
}

/**
 * Whether any process of the child's group still runs. On Linux, zombies (dead, not yet reaped by an init that
 * may be slow to do it) do not count: they hold no port and no connection.
 */
const groupAlive = (child: ChildProcess): boolean => {
  if (child.pid === undefined) return false
  try {
    process.kill(-child.pid, 0)
  } catch {
    return false
  }
  if (process.platform !== "linux") return true
  try {
    return readdirSync("/proc").some((entry) => {
      if (!/^\d+$/.test(entry)) return false
      try {
        // pid (comm) state ppid pgrp …; comm may contain spaces and parentheses, so split after the last ")".
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
        return Number(pgrp) === child.pid && state !== "Z" && state !== "X"
      } catch {
        return false
      }
    })
  } catch {
    return true
  }
}

const killGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // The group is gone already.
  }
}
