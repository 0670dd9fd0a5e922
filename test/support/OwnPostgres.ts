import { execFile, execFileSync, spawnSync } from "node:child_process"
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, it } from "vitest"
import { freePort, sleep } from "./Processes.ts"

/**
 * A PostgreSQL server of the test's own (its own data directory and port, its socket in the data directory), to
 * restart, kill and stop at will without touching the shared server the other suites use. Started with `pg_ctl`, so
 * the postmaster is not our child: `stopNow` runs at process exit too, and `destroy` removes the data directory.
 * As root (CI containers), every binary runs as the `postgres` user, which owns the directory (initdb refuses root).
 */

/** The directory of the PostgreSQL binaries: PG_BIN, else the newest /usr/lib/postgresql/N/bin, else pg_config's. */
const binDir = (): string => {
  if (process.env.PG_BIN !== undefined) return process.env.PG_BIN
  const root = "/usr/lib/postgresql"
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, "bin", "pg_ctl")))
      .sort((a, b) => Number(b) - Number(a))
    if (versions[0] !== undefined) return join(root, versions[0], "bin")
  }
  return execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim()
}

/** Whether this machine can run a PostgreSQL of our own (its binaries are there). */
export const canRunOwnPostgres = (): boolean => {
  try {
    return existsSync(join(binDir(), "pg_ctl")) && existsSync(join(binDir(), "initdb"))
  } catch {
    return false
  }
}

const asRoot = typeof process.getuid === "function" && process.getuid() === 0

export class OwnPostgres {
  private stopped = true
  private readonly onExit = () => this.stopNow()

  readonly dataDir: string
  readonly port: number
  private readonly bin: string

  private constructor(dataDir: string, port: number, bin: string) {
    this.dataDir = dataDir
    this.port = port
    this.bin = bin
    process.once("exit", this.onExit)
  }

  /** initdb into a fresh temporary directory and start the server on a free port (trust authentication). */
  static async create(): Promise<OwnPostgres> {
    const dir = mkdtempSync(join(tmpdir(), "goticket-own-pg-"))
    const server = new OwnPostgres(dir, await freePort(), binDir())
    try {
      if (asRoot) {
        const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim())
        const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim())
        chownSync(dir, uid, gid)
      }
      chmodSync(dir, 0o700)
      server.runSync("initdb", ["-D", server.pgdata, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
      await server.start()
      return server
    } catch (error) {
      server.destroy()
      throw error
    }
  }

  get pgdata() {
    return join(this.dataDir, "pgdata")
  }

  /** The URL of a database on this server (`postgres` unless named). */
  url(database = "postgres") {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`
  }

  /** The server's own log (start-up, shutdown, crash recovery), for a failure message. */
  log(): string {
    try {
      return readFileSync(join(this.dataDir, "server.log"), "utf8")
    } catch {
      return "(no server log)"
    }
  }

  private command(tool: string, args: ReadonlyArray<string>): readonly [string, ReadonlyArray<string>] {
    const command = join(this.bin, tool)
    return asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args]
  }

  /** Runs a tool to its end, blocking (set-up, and the stop at process exit). */
  private runSync(tool: string, args: ReadonlyArray<string>): string {
    const [file, argv] = this.command(tool, args)
    const result = spawnSync(file, argv, { encoding: "utf8", timeout: 60_000, cwd: this.dataDir })
    if (result.status !== 0)
      throw new Error(`${tool} ${args.join(" ")} failed (${result.status ?? result.signal}): ${result.stderr}`)
    return result.stdout
  }

  /** Runs a tool to its end without blocking the event loop (the test's clients keep calling meanwhile). */
  private run(tool: string, args: ReadonlyArray<string>): Promise<string> {
    const [file, argv] = this.command(tool, args)
    return new Promise((resolve, reject) =>
      execFile(file, argv, { encoding: "utf8", timeout: 60_000, cwd: this.dataDir }, (error, stdout, stderr) =>
        error === null
          ? resolve(stdout)
          : reject(new Error(`${tool} ${args.join(" ")} failed: ${error.message} ${stderr}`))
      )
    )
  }

  /** Starts the server and waits until it takes connections. */
  async start() {
    const options = [
      `-p ${this.port}`,
      "-c listen_addresses=127.0.0.1",
      `-k ${this.dataDir}`,
      // Faster on a test machine; a kill (not a machine crash) loses nothing the OS was handed. Commits stay
      // synchronous: an acknowledged commit is in the WAL, which an immediate shutdown must not lose.
      "-c fsync=off",
      "-c full_page_writes=off",
      "-c max_connections=200"
    ].join(" ")
    this.stopped = false
    await this.run("pg_ctl", [
      "-D",
      this.pgdata,
      "-l",
      join(this.dataDir, "server.log"),
      "-o",
      options,
      "-w",
      "-t",
      "60",
      "start"
    ])
  }

  /** Stops the server: `fast` (sessions are ended, a clean shutdown) or `immediate` (the processes are killed). */
  async stop(mode: "fast" | "immediate") {
    await this.run("pg_ctl", ["-D", this.pgdata, "-m", mode, "-w", "-t", "60", "stop"])
    this.stopped = true
  }

  /** `pg_ctl restart -m <mode>`: down for as long as the stop and the start take. */
  async restart(mode: "fast" | "immediate") {
    await this.stop(mode)
    await this.start()
  }

  /** Down for `downMs`: stop, wait, start. */
  async outage(mode: "fast" | "immediate", downMs: number) {
    await this.stop(mode)
    await sleep(downMs)
    await this.start()
  }

  /** Stops at once if running (at exit, or before removing the directory); never throws. */
  stopNow() {
    if (this.stopped) return
    try {
      this.runSync("pg_ctl", ["-D", this.pgdata, "-m", "immediate", "-w", "-t", "60", "stop"])
    } catch {
      // Gone already.
    }
    this.stopped = true
  }

  /** Stops the server and removes its data directory. */
  destroy() {
    this.stopNow()
    process.removeListener("exit", this.onExit)
    rmSync(this.dataDir, { recursive: true, force: true })
  }
}

/**
 * Declares a suite that needs a PostgreSQL of its own (`initdb` and `pg_ctl` on this machine). Present: `suite()`
 * declares it. Missing: with CI=true a suite of that name fails with the reason (CI must never pass without it);
 * otherwise it is reported skipped, with the reason in its title and in a warning.
 */
export const describeWithOwnPostgres = (name: string, suite: () => void): void => {
  if (canRunOwnPostgres()) {
    describe(name, suite)
    return
  }
  const reason = "initdb and pg_ctl were not found (PG_BIN, /usr/lib/postgresql/N/bin, pg_config --bindir)"
  if (process.env.CI === "true") {
    describe(name, () => {
      it("needs initdb and pg_ctl under CI=true", () => {
        throw new Error(`${reason}; CI=true, so this suite fails instead of being skipped. Install PostgreSQL.`)
      })
    })
    return
  }
  console.warn(`[own-postgres] skipping "${name}": ${reason}.`)
  describe.skip(`${name} [skipped: ${reason}]`, () => {
    it("needs initdb and pg_ctl", () => {})
  })
}
