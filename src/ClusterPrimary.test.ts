import { describe, expect, it } from "@effect/vitest"
import { workerExecArgv } from "./ClusterPrimary.ts"

describe("the workers' heap bound", () => {
  it("is added to the primary's own arguments when nothing sets one", () => {
    expect(workerExecArgv(["--enable-source-maps"], undefined, 256)).toEqual([
      "--enable-source-maps",
      "--max-old-space-size=256"
    ])
  })

  it("replaces the bound on the primary's own command line, which is the primary's", () => {
    expect(workerExecArgv(["--max-old-space-size=256", "--enable-source-maps"], undefined, 512)).toEqual([
      "--enable-source-maps",
      "--max-old-space-size=512"
    ])
  })

  it("is left to the operator when NODE_OPTIONS sets one (it bounds every process)", () => {
    expect(workerExecArgv([], "--trace-warnings --max-old-space-size=512", 256)).toEqual([])
    expect(workerExecArgv(["--max-old-space-size=1024"], "--max-old-space-size=512", 256)).toEqual([])
  })
})
