import { writeFileSync } from "node:fs"
import { Session } from "node:inspector"
import { join } from "node:path"

/**
 * CPU_PROFILE_DIR set: SIGUSR2 starts a CPU profile of this process, the next SIGUSR2 writes it to that directory
 * (`<pid>-<n>.cpuprofile`, for Chrome DevTools or any .cpuprofile reader). For profiling one phase of a live
 * service (a sale, a benchmark's load) without the start-up and set-up that `node --cpu-prof` would include.
 */
export const profileOnSignal = (dir: string | undefined) => {
  if (dir === undefined || dir === "") return
  const session = new Session()
  session.connect()
  let running = false
  let count = 0
  process.on("SIGUSR2", () => {
    if (!running) {
      running = true
      session.post("Profiler.enable", () => session.post("Profiler.start"))
      return
    }
    running = false
    session.post("Profiler.stop", (error, result) => {
      if (error === null)
        writeFileSync(join(dir, `${process.pid}-${++count}.cpuprofile`), JSON.stringify(result.profile))
    })
  })
}
