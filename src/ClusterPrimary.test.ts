import { describe, expect, it } from "@effect/vitest"
import { workerExecArgv } from "./ClusterPrimary.ts"

describe("the workers' heap bound", () => {
  it("is added to the primary's own arguments when nothing sets one", () => {
    expect(workerExecArgv(["--enable-source-maps"], undefined, 256)).toEqual([
      "--enable-source-maps",
      "--max-old-space-size=256"
    ])
  })

  it("is left to the operator when NODE_OPTIONS or the primary's arguments set one", () => {
    expect(workerExecArgv([], "--trace-warnings --max-old-space-size=512", 256)).toEqual([])
    expect(workerExecArgv(["--max-old-space-size=1024"], "", 256)).toEqual(["--max-old-space-size=1024"])
  })
})
