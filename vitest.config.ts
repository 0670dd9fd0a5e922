import { readdirSync } from "node:fs"
import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from "vitest/config"

/**
 * One run (`npm test`), in groups: every test file except `test/broker/**` first (files in parallel), then each
 * broker file alone, one after the other. The broker tests stop and start the local RabbitMQ, which would break any
 * suite running at the same time: a project of a higher `sequence.groupOrder` starts only once every project of a
 * lower one has finished.
 */
const brokerFiles = readdirSync(new URL("./test/broker", import.meta.url))
  .filter((file) => file.endsWith(".test.ts"))
  .sort()

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    sequence: { concurrent: false },
    projects: [
      {
        extends: true,
        test: {
          name: "goticket",
          include: ["src/**/*.test.ts", "test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/broker/**"]
        }
      },
      ...brokerFiles.map(
        (file, index): TestProjectInlineConfiguration => ({
          extends: true,
          test: {
            name: `broker:${file.replace(/\.test\.ts$/, "")}`,
            include: [`test/broker/${file}`],
            sequence: { concurrent: false, groupOrder: 1 + index }
          }
        })
      )
    ]
  }
})
