import { execFileSync, spawnSync } from "node:child_process"

/** Whether promtool (Debian's prometheus package) is here: required under CI=true (.ci/run installs it). */
export const promtoolFound = (() => {
  const found = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status === 0
  if (!found && process.env.CI === "true") throw new Error("promtool is missing: apt-get install -y prometheus")
  return found
})()

/** Runs promtool with the arguments (and standard input); throws with its output when it refuses. */
export const promtool = (args: ReadonlyArray<string>, input?: string): string =>
  execFileSync("promtool", args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] })
