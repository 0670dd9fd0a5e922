/**
 * `npm run build`: the service's entry points compiled to JavaScript in `dist/` (esbuild: one bundle each), so that
 * production, the benchmarks and the operator CLI start `node dist/src/main.js` (`dist/src/cli/main.js`) with no
 * TypeScript at run time. `--bench` adds the benchmarks' Fastify peer; `--force` builds even when `dist/` is newer
 * than every source. It reports on stderr: stdout stays the built command's own (`npm run -s goticket -- … --json`).
 *
 * The packages are bundled too (only what each entry point uses of them, one copy of `effect` for all): a process
 * that imports `effect`, `@effect/sql-pg`, `ioredis`, OpenTelemetry and the rest from node_modules loads every module
 * of their entry points. Measured on this machine with a real PostgreSQL and Redis, one API process at idle: 187 MB
 * RSS with the packages left as imports, 144 MB bundled, and ready sooner. Left as imports, on purpose:
 * - the embedded PostgreSQL (`@electric-sql/pglite*`): loaded only when no DATABASE_URL is set, and it finds its
 *   WebAssembly and data files next to its own modules;
 * - `msgpackr`: it loads its optional native extension (`msgpackr-extract`) by path at run time.
 * `require`, `__filename` and `__dirname` are defined for the CommonJS packages inside the ESM bundle.
 */
import { existsSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { build } from "esbuild"

const started = performance.now()
const bench = process.argv.includes("--bench")
const entryPoints = [
  "src/main.ts",
  // Its own file, imported by main.js where the service runs: the cluster's primary never loads it.
  "src/ServiceMain.ts",
  "src/worker.ts",
  "src/payment-sandbox.ts",
  "src/cli/main.ts",
  ...(bench ? ["bench/baseline/server.ts"] : [])
]

/** Newest modification time (ms) of a file, or of the files under a directory. */
const newest = (path: string): number => {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), stat.mtimeMs)
}

const outputs = entryPoints.map((entry) => join("dist", entry.replace(/\.ts$/, ".js")))
const builtAt = Math.min(...outputs.map((out) => (existsSync(out) ? statSync(out).mtimeMs : 0)))
const sourcesAt = Math.max(
  newest("src"),
  newest("package-lock.json"),
  newest("scripts/build.ts"),
  bench ? newest("bench/baseline") : 0
)
if (!process.argv.includes("--force") && builtAt > sourcesAt) {
  console.error(`dist/ is up to date (${entryPoints.length} entry points)`)
  process.exit(0)
}

await build({
  entryPoints,
  outdir: "dist",
  outbase: ".",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  external: ["@electric-sql/pglite", "@electric-sql/pglite-socket", "msgpackr"],
  banner: {
    js: [
      'import { createRequire as __goticketRequire } from "node:module";',
      'import { fileURLToPath as __goticketPath } from "node:url";',
      "const require = __goticketRequire(import.meta.url);",
      "const __filename = __goticketPath(import.meta.url);",
      'const __dirname = __goticketPath(new URL(".", import.meta.url));'
    ].join(" ")
  },
  sourcemap: "linked",
  sourcesContent: false,
  logLevel: "warning"
})
console.error(`built ${entryPoints.length} entry points into dist/ in ${Math.round(performance.now() - started)} ms`)
