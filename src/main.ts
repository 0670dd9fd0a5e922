import { runAsPrimary } from "./ClusterPrimary.ts"

/**
 * `npm start`: with WORKERS > 1 this process is the cluster's primary and only forks and watches its workers (each
 * of which runs this file again and starts the service); otherwise the service runs here. The service is a module
 * of its own (built as its own file, dist/src/ServiceMain.js), imported only where it runs, so the primary loads
 * none of it.
 */
const service = new URL(import.meta.url.endsWith(".ts") ? "./ServiceMain.ts" : "./ServiceMain.js", import.meta.url)
if (!(await runAsPrimary())) await import(service.href)
