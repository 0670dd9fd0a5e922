import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Redis } from "ioredis"

/** The connection name of the test's own clients. */
const PROBE = "goticket-test-probe"

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Whether nothing listens on this port of 127.0.0.1 right now. */
const portIsFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.once("error", () => resolve(false))
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)))
  })

/** A free port in 6300–6399 (the range the suites use for Redis servers of their own), from a random start. */
export const freeRedisPort = async (): Promise<number> => {
  const start = Math.floor(Math.random() * 100)
  for (let i = 0; i < 100; i++) {
    const port = 6300 + ((start + i) % 100)
    if (await portIsFree(port)) return port
  }
  throw new Error("no free port in 6300-6399")
}

/**
 * A redis-server of the test's own on a free port (never the shared one): no automatic snapshots, no AOF. Its data
 * directory survives a kill, so `save()` then `kill()` and `start()` restarts it from that snapshot, the way a
 * production Redis with RDB persistence comes back with an older state; without `save()` it comes back empty.
 */
export class RedisServer {
  private child: ChildProcess | undefined
  private readonly dir = mkdtempSync(join(tmpdir(), "goticket-redis-"))
  readonly port: number
  private constructor(port: number) {
    this.port = port
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freeRedisPort())
    await server.start()
    return server
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** Starts the server (again), and waits until it answers PING. */
  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error("redis-server is already running")
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        this.dir,
        "--dbfilename",
        "dump.rdb"
      ],
      { stdio: "ignore" }
    )
    this.child = child
    child.once("exit", () => {
      if (this.child === child) this.child = undefined
    })
    const deadline = Date.now() + 10_000
    for (;;) {
      const client = this.client()
      try {
        await client.connect()
        if ((await client.ping()) === "PONG") return
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} never answered: ${String(error)}`)
      } finally {
        client.disconnect()
      }
      await sleep(50)
    }
  }

  /** Kills the server at once (SIGKILL: nothing is written on the way down), and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.child
    if (child === undefined) return
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()))
    child.kill("SIGKILL")
    await gone
    this.child = undefined
  }

  /** Kills the server and starts it again: empty, or from the last `save()`. */
  async restart(): Promise<void> {
    await this.kill()
    await this.start()
  }

  /** A client of the test's own, connected on demand, that never retries. */
  client(): Redis {
    const client = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectionName: PROBE
    })
    // A refused connection is the answer while the server starts; the command's own rejection reports it.
    client.on("error", () => {})
    return client
  }

  /** Runs `f` with a connected client of the test's own. */
  async with<A>(f: (redis: Redis) => Promise<A>): Promise<A> {
    const client = this.client()
    try {
      await client.connect()
      return await f(client)
    } finally {
      client.disconnect()
    }
  }

  /** How many connections other than the test's own clients the server has (the service's, through a proxy). */
  otherClients(): Promise<number> {
    return this.with(async (redis) => {
      const list = String(await redis.client("LIST"))
      return list.split("\n").filter((line) => line.includes(" name=") && !line.includes(` name=${PROBE} `)).length
    })
  }

  /** A snapshot on disk, which the next start loads. */
  save(): Promise<void> {
    return this.with(async (redis) => {
      await redis.save()
    })
  }

  async stop(): Promise<void> {
    await this.kill()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/**
 * A TCP proxy in front of a server: `cut()` drops every connection and refuses new ones (the network between the
 * service and Redis is gone, Redis itself keeps its data and its run id), `heal()` lets connections through again.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>()
  private up = true
  private readonly server: Server
  readonly port: number
  private constructor(server: Server, port: number) {
    this.server = server
    this.port = port
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const port = await freeRedisPort()
    let proxy: TcpProxy | undefined
    const server = createServer((socket) => {
      if (proxy === undefined || !proxy.up) {
        socket.destroy()
        return
      }
      const upstream = tcpConnect(targetPort, "127.0.0.1")
      proxy.sockets.add(socket)
      proxy.sockets.add(upstream)
      const drop = () => {
        socket.destroy()
        upstream.destroy()
        proxy?.sockets.delete(socket)
        proxy?.sockets.delete(upstream)
      }
      socket.on("error", drop).on("close", drop)
      upstream.on("error", drop).on("close", drop)
      socket.pipe(upstream)
      upstream.pipe(socket)
    })
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(port, "127.0.0.1", () => resolve())
    })
    proxy = new TcpProxy(server, port)
    return proxy
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  cut(): void {
    this.up = false
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
  }

  heal(): void {
    this.up = true
  }

  close(): Promise<void> {
    this.cut()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}
