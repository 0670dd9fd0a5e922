import { mkdtempSync, readdirSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { build, type Plugin } from "esbuild"
import { describe, expect, it } from "vitest"

/*
 * The k6 scripts (load/): k6 is not installable here, so each script is bundled by esbuild (a syntax or import
 * error fails) with k6's modules standing in as stubs, then imported: its options, scenarios and thresholds are
 * read as k6 would read them, and it must export setup and a default function. k6 resolves no npm package: the
 * scripts may import only k6's own modules and each other.
 */

const k6Stubs: Record<string, string> = {
  k6: "export const check = () => true; export const fail = (m) => { throw new Error(m) }; export const sleep = () => {}",
  "k6/http":
    "export default { get() {}, post() {}, setResponseCallback() {}, expectedStatuses: (...s) => ({ statuses: s }) }",
  "k6/metrics":
    "export class Counter { constructor(name) { this.name = name } add() {} }\nexport class Trend extends Counter {}"
}

/** What a k6 script exports once loaded, and the modules it imported from outside load/. */
const load = async (file: string) => {
  const imported = new Set<string>()
  const plugin: Plugin = {
    name: "k6",
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        imported.add(args.path)
        return { path: args.path, namespace: "k6" }
      })
      b.onLoad({ filter: /.*/, namespace: "k6" }, (args) => {
        const contents = k6Stubs[args.path]
        if (contents === undefined) throw new Error(`${file} imports ${args.path}, which k6 cannot resolve`)
        return { contents, loader: "js" }
      })
    }
  }
  const out = await build({
    entryPoints: [join("load", file)],
    bundle: true,
    format: "esm",
    platform: "neutral",
    write: false,
    logLevel: "silent",
    plugins: [plugin]
  })
  const path = join(mkdtempSync(join(tmpdir(), "goticket-k6-")), file.replace(/\.js$/, ".mjs"))
  writeFileSync(path, out.outputFiles[0]?.text ?? "")
  ;(globalThis as { __ENV?: Record<string, string> }).__ENV = {}
  return { module: (await import(pathToFileURL(path).href)) as Record<string, unknown>, imported }
}

type Options = {
  scenarios: Record<string, { executor: string }>
  thresholds: Record<string, ReadonlyArray<string>>
}

describe("the k6 scripts (load/)", () => {
  it("are the flash sale and the checkout, with their shared helpers", () => {
    expect(readdirSync("load").sort()).toEqual(["README.md", "checkout.js", "common.js", "flash-sale.js"])
  })

  for (const [file, scenario, threshold] of [
    ["flash-sale.js", "flash_sale", "goticket_server_errors"],
    ["checkout.js", "checkout", "goticket_checkout_failures"]
  ] as const)
    it(`${file} loads as a k6 module: setup, a default function, a scenario and thresholds that fail the run`, async () => {
      const { module, imported } = await load(file)
      expect(typeof module.default).toBe("function")
      expect(typeof module.setup).toBe("function")
      const options = module.options as Options
      expect(Object.keys(options.scenarios)).toEqual([scenario])
      expect(options.thresholds[threshold]).toEqual(["count==0"])
      expect(options.thresholds.checks).toEqual(["rate==1"])
      for (const name of imported) expect(Object.keys(k6Stubs)).toContain(name)
    })
})
