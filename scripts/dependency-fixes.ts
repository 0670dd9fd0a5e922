/**
 * Fixes to bundled dependencies, applied by `npm run build` (an esbuild plugin) to the JavaScript it bundles from
 * node_modules, until the packages carry them. Each names the file, the exact text it replaces and why; a build fails
 * when that text is not found (an upgrade changed the file: check whether the fix is still needed, then drop or adapt
 * it). The tests run the packages as installed: none of these changes what a caller can observe, only memory.
 */
import { readFile } from "node:fs/promises"
import type { Plugin } from "esbuild"

interface DependencyFix {
  /** Path suffix of the file in node_modules. */
  readonly file: string
  readonly find: string
  readonly replace: string
  readonly why: string
}

export const dependencyFixes: ReadonlyArray<DependencyFix> = [
  {
    file: "@effect/sql-pg/dist/PgConnection.js",
    why:
      "@effect/sql-pg 4.0.5, multiplexed connections: a finished statement stays in `pipelineInFlight` (with its " +
      "plan, its encoded frame and its rows) until the connection's pipeline is empty at once, which a connection " +
      "that always has a statement in flight never is. In the seated flash sale a heap snapshot held 1,042 finished " +
      "statements and the ~100,000 seat rows they had read (the live heap grew from 55 to 100 MB). The fix releases " +
      "each statement as it finishes and compacts the queue every 128 statements.",
    find: [
      "    this.pipelineHead++;",
      "    // The next statement's rows can be in this same chunk, so its reader has to",
      "    // be in place before the parser reads on.",
      "    this.session.parser.readField = this.pipelineInFlight[this.pipelineHead]?.machine.readField;",
      "    if (!entry.abandoned) Deferred.doneUnsafe(entry.deferred, result);",
      "    if (this.pipelineHead === this.pipelineInFlight.length) {",
      "      this.pipelineInFlight.length = 0;",
      "      this.pipelineHead = 0;",
      "    }",
      "  };"
    ].join("\n"),
    replace: [
      "    this.pipelineHead++;",
      "    this.pipelineInFlight[this.pipelineHead - 1] = undefined;",
      "    this.session.parser.readField = this.pipelineInFlight[this.pipelineHead]?.machine.readField;",
      "    if (!entry.abandoned) Deferred.doneUnsafe(entry.deferred, result);",
      "    if (this.pipelineHead === this.pipelineInFlight.length) {",
      "      this.pipelineInFlight.length = 0;",
      "      this.pipelineHead = 0;",
      "    } else if (this.pipelineHead >= 128) {",
      "      this.pipelineInFlight.splice(0, this.pipelineHead);",
      "      this.pipelineHead = 0;",
      "    }",
      "  };"
    ].join("\n")
  }
]

/** Applies `dependencyFixes` to the files esbuild loads, and fails the build when one no longer applies. */
export const dependencyFixesPlugin: Plugin = {
  name: "dependency-fixes",
  setup(build) {
    for (const fix of dependencyFixes) {
      const filter = new RegExp(`node_modules[\\\\/]${fix.file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`)
      build.onLoad({ filter }, async (args) => {
        const source = await readFile(args.path, "utf8")
        const at = source.indexOf(fix.find)
        if (at === -1 || source.indexOf(fix.find, at + 1) !== -1)
          throw new Error(`dependency fix for ${fix.file} does not apply (${fix.why.slice(0, 60)}…)`)
        return { contents: source.replace(fix.find, fix.replace), loader: "js" }
      })
    }
  }
}
