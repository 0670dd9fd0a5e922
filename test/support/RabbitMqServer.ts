import { type ChildProcess, execFile, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"
import { afterAll, beforeAll, describe, it } from "@effect/vitest"
import * as amqp from "amqplib"
import { freePort } from "./Processes.ts"

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * The directory of RabbitMQ's own scripts (rabbitmq-server, rabbitmqctl): RABBITMQ_SCRIPTS_DIR, else the packaged
 * /usr/lib/rabbitmq/bin (Debian's /usr/sbin ones are wrappers that switch to the `rabbitmq` user, its HOME and its
 * cookie, i.e. the shared node's), else wherever `rabbitmq-server` is on the PATH. Null: RabbitMQ is not installed.
 */
export const rabbitMqScriptsDir = (): string | null => {
  const candidates = [
    process.env.RABBITMQ_SCRIPTS_DIR,
    "/usr/lib/rabbitmq/bin",
    ...(process.env.PATH ?? "").split(delimiter)
  ].filter((dir): dir is string => dir !== undefined && dir !== "")
  return candidates.find((dir) => executable(join(dir, "rabbitmq-server"))) ?? null
}

/**
 * A RabbitMQ node of the test's own, never the machine's shared broker: its own node name, AMQP and distribution
 * ports (both on 127.0.0.1), no plugins (so no management or Prometheus listener), its database and logs in a
 * temporary directory, and its own Erlang cookie there (HOME points at that directory for the node and for every
 * `rabbitmqctl -n <node>` the test runs, so the shared node's cookie is neither needed nor touched). The test may
 * stop and start its application, or kill it, at will; `stop()` shuts the node down and deletes the directory.
 * Starting an Erlang node takes seconds (up to ~20 s on a busy machine): one per test file.
 */
export class RabbitMqServer {
  private child: ChildProcess | undefined
  private output = ""
  readonly dir = mkdtempSync(join(tmpdir(), "goticket-rabbitmq-"))
  readonly node: string
  readonly scripts: string
  readonly port: number
  readonly distPort: number
  private constructor(scripts: string, port: number, distPort: number) {
    this.scripts = scripts
    this.port = port
    this.distPort = distPort
    this.node = `goticket-test-${port}-${randomBytes(3).toString("hex")}@localhost`
    writeFileSync(join(this.dir, ".erlang.cookie"), randomBytes(20).toString("hex").toUpperCase(), { mode: 0o400 })
    writeFileSync(join(this.dir, "rabbitmq.conf"), `listeners.tcp.1 = 127.0.0.1:${port}\n`)
    writeFileSync(join(this.dir, "enabled_plugins"), "[].\n")
    // An empty environment file instead of /etc/rabbitmq/rabbitmq-env.conf, which names the shared node.
    writeFileSync(join(this.dir, "rabbitmq-env.conf"), "")
  }

  /** Prepares a node on free ports (not started). */
  static async make(): Promise<RabbitMqServer> {
    const scripts = rabbitMqScriptsDir()
    if (scripts === null) throw new Error("rabbitmq-server is not installed (or set RABBITMQ_SCRIPTS_DIR)")
    const port = await freePort()
    let distPort = await freePort()
    while (distPort === port) distPort = await freePort()
    return new RabbitMqServer(scripts, port, distPort)
  }

  static async start(): Promise<RabbitMqServer> {
    const server = await RabbitMqServer.make()
    await server.start()
    return server
  }

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`
  }

  /** The environment of the node and of the CLI aimed at it. */
  private env(): NodeJS.ProcessEnv {
    const { RABBITMQ_NODENAME: _n, RABBITMQ_NODE_PORT: _p, RABBITMQ_CONFIG_FILE: _c, ...inherited } = process.env
    return {
      ...inherited,
      HOME: this.dir,
      RABBITMQ_NODENAME: this.node,
      RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_DIST_PORT: String(this.distPort),
      RABBITMQ_CONF_ENV_FILE: join(this.dir, "rabbitmq-env.conf"),
      RABBITMQ_CONFIG_FILE: join(this.dir, "rabbitmq.conf"),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(this.dir, "advanced.config"),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(this.dir, "enabled_plugins"),
      RABBITMQ_MNESIA_BASE: join(this.dir, "mnesia"),
      RABBITMQ_LOG_BASE: join(this.dir, "log"),
      RABBITMQ_PID_FILE: join(this.dir, "rabbitmq.pid"),
      // Distribution on the loopback only; epmd (shared by every node of the machine) too if this node starts it.
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: "-kernel inet_dist_use_interface {127,0,0,1}",
      ERL_EPMD_ADDRESS: "127.0.0.1"
    }
  }

  /** Starts the node (again), and waits until it accepts an AMQP connection. */
  async start(timeoutMs = 120_000): Promise<void> {
    if (this.child !== undefined) throw new Error(`${this.node} is already running`)
    this.output = ""
    const child = spawn(join(this.scripts, "rabbitmq-server"), [], {
      cwd: this.dir,
      env: this.env(),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true
    })
    this.child = child
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString("utf8")).slice(-4_000)
    }
    child.stdout?.on("data", keep)
    child.stderr?.on("data", keep)
    let exited: string | undefined
    // A test process that dies without its afterAll must not leave the node behind.
    const killOnExit = () => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
        try {
          process.kill(-child.pid, "SIGKILL")
        } catch {
          // gone already
        }
    }
    process.once("exit", killOnExit)
    child.once("exit", (code, signal) => {
      exited = `exited (${signal ?? code})`
      process.off("exit", killOnExit)
      if (this.child === child) this.child = undefined
    })
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (exited !== undefined) throw new Error(`RabbitMQ node ${this.node} ${exited}: ${this.output.trim()}`)
      if (await this.accepts()) return
      if (Date.now() > deadline) {
        await this.kill()
        throw new Error(`RabbitMQ node ${this.node} did not answer within ${timeoutMs} ms: ${this.output.trim()}`)
      }
      await sleep(250)
    }
  }

  /** Whether the node accepts an AMQP connection now. */
  async accepts(): Promise<boolean> {
    try {
      const connection = await amqp.connect(this.url, { timeout: 1_000 })
      connection.on("error", () => {})
      await connection.close().catch(() => {})
      return true
    } catch {
      return false
    }
  }

  /** `rabbitmqctl -n <this node> ...args`: its standard output. */
  ctl(args: ReadonlyArray<string>, timeoutMs = 120_000): Promise<string> {
    return new Promise((resolve, reject) =>
      execFile(
        join(this.scripts, "rabbitmqctl"),
        ["-n", this.node, ...args],
        { cwd: this.dir, env: this.env(), timeout: timeoutMs },
        (error, stdout, stderr) =>
          error === null
            ? resolve(stdout)
            : reject(new Error(`rabbitmqctl -n ${this.node} ${args.join(" ")}: ${error.message} ${stderr}`.trim()))
      )
    )
  }

  /** Stops the RabbitMQ application (the Erlang node stays up): connections drop, new ones are refused. */
  stopApp(): Promise<string> {
    return this.ctl(["stop_app"])
  }

  /** Starts the application again (`start_app` returns once it is up). */
  startApp(): Promise<string> {
    return this.ctl(["start_app"])
  }

  /** The queues of this node, by name. */
  async queues(): Promise<Array<string>> {
    return (await this.ctl(["list_queues", "name", "--quiet", "--no-table-headers"]))
      .split("\n")
      .map((line) => line.trim())
      .filter((name) => name !== "")
  }

  /** Kills the node's whole process group at once (the start script, the Erlang VM and its helpers). */
  async kill(): Promise<void> {
    const child = this.child
    if (child === undefined || child.pid === undefined) return
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()))
    try {
      process.kill(-child.pid, "SIGKILL")
    } catch {
      child.kill("SIGKILL")
    }
    await gone
    this.child = undefined
  }

  /** Shuts the node down (gracefully, else killed) and deletes its directory. */
  async stop(): Promise<void> {
    const child = this.child
    if (child !== undefined) {
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()))
      try {
        await Promise.race([this.ctl(["shutdown"], 30_000), sleep(30_000)])
        await Promise.race([gone, sleep(10_000)])
      } catch {
        // killed below
      }
      await this.kill()
    }
    rmSync(this.dir, { recursive: true, force: true })
  }

  /** The node's log so far (for a failing test's message). */
  log(): string {
    try {
      return readFileSync(join(this.dir, "log", `${this.node}.log`), "utf8")
    } catch {
      return this.output
    }
  }
}

/**
 * Declares a suite that needs a RabbitMQ node of its own (one it may stop and start): the node is prepared before the
 * suite is declared (its URL is known), started before the suite's first hook and shut down after its last one.
 * RabbitMQ not installed: with CI=true a suite of that name fails with the reason; otherwise it is reported skipped,
 * with the reason in its title and in a warning.
 */
export const describeWithOwnRabbitMq = async (name: string, suite: (broker: RabbitMqServer) => void): Promise<void> => {
  const scripts = rabbitMqScriptsDir()
  if (scripts === null) {
    const reason = "rabbitmq-server is not installed (not in /usr/lib/rabbitmq/bin, RABBITMQ_SCRIPTS_DIR or the PATH)"
    if (process.env.CI === "true") {
      describe(name, () => {
        it("needs rabbitmq-server under CI=true", () => {
          throw new Error(`${reason}; CI=true, so this suite fails instead of being skipped. Install RabbitMQ.`)
        })
      })
      return
    }
    console.warn(`[rabbitmq] skipping "${name}": ${reason}.`)
    describe.skip(`${name} [skipped: ${reason}]`, () => {
      it("needs rabbitmq-server", () => {})
    })
    return
  }
  const broker = await RabbitMqServer.make()
  describe(name, () => {
    // Registered before the suite's own hooks (its layers'), so the node is up before them and down after them.
    beforeAll(() => broker.start(), 150_000)
    afterAll(() => broker.stop(), 60_000)
    suite(broker)
  })
}
