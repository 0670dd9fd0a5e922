// What the benchmarks read off the machine: free ports, process CPU and memory from /proc, and stopping a process.
import { type ChildProcess, execFileSync } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
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

/** A process and its live descendants (the service's workers when it runs with WORKERS > 1). */
export const processTree = (root: number): Array<number> => {
  const children = new Map<number, Array<number>>()
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    const parent = statOf(Number(entry))?.[1]
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), Number(entry)])
  }
  const tree = [root]
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] as number) ?? []))
  return tree
}

/** CPU time (user + system) of a process so far in ms; NaN when it is not there. */
export const cpuMs = (pid: number | undefined) => {
  const f = pid === undefined ? undefined : statOf(pid)
  return f === undefined ? Number.NaN : (((f[11] ?? 0) + (f[12] ?? 0)) * 1000) / clockTicks
}

/** CPU time of a process and its live descendants so far in ms (the ones that are gone count 0). */
export const treeCpuMs = (pid: number) => processTree(pid).reduce((ms, p) => ms + (cpuMs(p) || 0), 0)

/**
 * A memory line of /proc/<pid>/status in MB (VmHWM: peak resident, VmRSS: resident now), summed over the process
 * and its live descendants; NaN when none was read.
 */
export const memoryMb = (pid: number, field: "VmHWM" | "VmRSS") => {
  const each = memoryMbPerProcess(pid, field)
  const total = each.reduce((sum, mb) => sum + mb, 0)
  return total === 0 ? Number.NaN : total
}

/** The same line for each process of the tree (the process first, then its live descendants), in MB. */
export const memoryMbPerProcess = (pid: number, field: "VmHWM" | "VmRSS"): Array<number> =>
  processTree(pid).map((p) => {
    try {
      const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${p}/status`, "utf8"))
      return match ? Number(match[1]) / 1024 : 0
    } catch {
      return 0
    }
  })
