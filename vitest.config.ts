import { defineConfig } from "vitest/config"

/*
 * One run (`npm test`), files in parallel. The tests that stop and start RabbitMQ (test/broker) do it to a node of
 * their own (test/support/RabbitMqServer.ts), never to the machine's shared broker, so they run beside the others.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    sequence: { concurrent: false },
    include: ["src/**/*.test.ts", "test/**/*.test.ts"]
  }
})
