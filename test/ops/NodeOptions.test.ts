import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { parse } from "yaml"

/*
 * Every production start runs Node with the options `npm start` gives it (README: Quick start): the V8 heap's bounds
 * and no allocation-site pretenuring. A deployment that dropped one would run the hold path measurably slower (or,
 * without the old space's bound, grow far past what it keeps alive), with nothing else to show for it.
 */

const read = (file: string) => readFileSync(file, "utf8")

/** The `--` options of a `node … <entry>.js` command, in order. */
const nodeOptions = (command: ReadonlyArray<string>): ReadonlyArray<string> => {
  const node = command.indexOf("node")
  expect(node, `no node in ${command.join(" ")}`).toBeGreaterThanOrEqual(0)
  const entry = command.findIndex((word, index) => index > node && word.endsWith(".js"))
  return command.slice(node + 1, entry).filter((word) => word.startsWith("--"))
}
const words = (command: string) => command.trim().split(/\s+/)
/** A start of the service's API or worker (not of a bench or sandbox process). */
const startsService = (command: ReadonlyArray<string>) =>
  command.some((word) => word === "dist/src/main.js" || word === "dist/src/worker.js")

const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts
const expected = nodeOptions(words(scripts.start ?? ""))

describe("Node options of the production starts", () => {
  it("npm start bounds the heap and turns allocation-site pretenuring off", () => {
    expect(expected).toEqual([
      "--max-old-space-size=512",
      "--max-semi-space-size=32",
      "--no-allocation-site-pretenuring"
    ])
  })

  it("npm run worker, the image, compose and the ECS roles start Node with npm start's options", () => {
    const starts: Record<string, ReadonlyArray<string>> = {}
    starts["npm run worker"] = words(scripts.worker ?? "")
    const cmd = read("Dockerfile")
      .split("\n")
      .find((line) => line.startsWith("CMD "))
    starts.Dockerfile = JSON.parse((cmd ?? "CMD []").slice(4)) as Array<string>
    const compose = parse(read("docker-compose.yml")) as { services: Record<string, { command?: Array<string> }> }
    for (const [name, service] of Object.entries(compose.services))
      if (service.command !== undefined && startsService(service.command))
        starts[`docker-compose.yml ${name}`] = service.command
    const split = parse(read("docker-compose.split.yml")) as { services: Record<string, { command?: Array<string> }> }
    for (const [name, service] of Object.entries(split.services)) {
      const shell = service.command?.find((part) => startsService(words(part)))
      if (shell !== undefined) starts[`docker-compose.split.yml ${name}`] = words(shell)
    }
    for (const [index, match] of [...read("infra/ecs.tf").matchAll(/command\s*=\s*(\[[^\]]*\])/g)].entries()) {
      const command = JSON.parse(match[1] ?? "[]") as Array<string>
      if (startsService(command)) starts[`infra/ecs.tf command ${index + 1}`] = command
    }

    expect(Object.keys(starts).length).toBeGreaterThanOrEqual(6)
    for (const [where, command] of Object.entries(starts)) expect(nodeOptions(command), where).toEqual(expected)
  })
})
