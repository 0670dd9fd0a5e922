import { execFileSync } from "node:child_process"
import { deleteTopology, type TestTopology } from "./RabbitMq.ts"

/**
 * Deletes a test topology whose queues the test did not declare itself (the service under test did): its exchange
 * and every queue named with its prefix, as `rabbitmqctl` lists them. Best effort: a leftover is only clutter.
 */
export const dropQueuesWithPrefix = async (url: string, topology: TestTopology): Promise<void> => {
  try {
    const names = execFileSync("rabbitmqctl", ["list_queues", "name", "--quiet", "--no-table-headers"], {
      encoding: "utf8",
      timeout: 20_000
    })
      .split("\n")
      .map((line) => line.trim())
      .filter((name) => name.startsWith(`${topology.queuePrefix}.`))
    await deleteTopology(url, topology.exchange, names)
  } catch (error) {
    console.warn(`[rabbitmq] could not delete ${topology.queuePrefix}.*: ${String(error)}`)
  }
}
