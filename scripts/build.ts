/**
 * `npm run build`: the service's entry points compiled to JavaScript in `dist/` (esbuild: one bundle each, our own
 * modules inlined, packages from node_modules left as imports), so that production and the benchmarks start
 * `node dist/src/main.js` with no TypeScript at run time. `--bench` adds the benchmarks' Fastify peer.
 */
import { build } from "esbuild"

const started = performance.now()
const entryPoints = [
  "src/main.ts",
  "src/worker.ts",
  "src/payment-sandbox.ts",
  ...(process.argv.includes("--bench") ? ["bench/baseline/server.ts"] : [])
]
await build({
  entryPoints,
  outdir: "dist",
  outbase: ".",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning"
})
console.log(`built ${entryPoints.length} entry points into dist/ in ${Math.round(performance.now() - started)} ms`)
