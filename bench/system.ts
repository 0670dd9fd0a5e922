// What the benchmarks read off the machine: free ports and process CPU from /proc.
import { type ChildProcess, execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"
import { setTimeout as sleep } from "node:timers/promises"

/** A port nobody listens on right now (bound on port 0, then released). */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** Kernel clock ticks per second, the unit of the CPU times in /proc/<pid>/stat. */
export const clockTicks = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100
  } catch {
    return 100
  }
})()

/** Fields of /proc/<pid>/stat after the command name: [0] state, [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime. */
export const statOf = (pid: number): Array<number> | undefined => {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8")
    return text
      .slice(text.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number)
  } catch {
    return undefined
  }
}

/** SIGTERM, then SIGKILL if the process is still there 15 s later. */
export const stop = async (proc: { readonly name: string; readonly child: ChildProcess }) => {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return
  const exited = new Promise((resolve) => proc.child.once("exit", resolve))
  proc.child.kill("SIGTERM")
  if ((await Promise.race([exited, sleep(15_000, "timeout")])) === "timeout") {
    console.warn(`${proc.name} ignored SIGTERM for 15 s; killing it`)
    proc.child.kill("SIGKILL")
    await exited
  }
}
