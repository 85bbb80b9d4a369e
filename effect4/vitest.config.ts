import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"
import { syncCommon } from "../tools/sync-common.mjs"
import { ciReport } from "../vitest.report.js"

// The packages' copies of common/ (generated, not committed) are current before any test runs.
syncCommon()

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/** Every project resolves the edition's packages to their sources. */
const resolve = {
  alias: [
    { find: /^@scopeguard\/core$/, replacement: here("./packages/core/src/index.ts") },
    { find: /^@scopeguard\/vitest$/, replacement: here("./packages/vitest/src/index.ts") },
    { find: /^@scopeguard\/platform$/, replacement: here("./packages/platform/src/index.ts") }
  ]
}

/**
 * A bound for every test and hook that holds on a loaded 2-core machine (vitest's 5 s default
 * does not); a test that needs a tighter one says so itself.
 */
const bounds = { testTimeout: 60_000, hookTimeout: 60_000 }

/** The Effect 4 edition: one vitest project per package. */
export default defineConfig({
  test: {
    ...ciReport("effect4"),
    projects: [
      { resolve, test: { ...bounds, name: "core", include: ["packages/core/test/**/*.test.ts"] } },
      {
        resolve,
        test: { ...bounds, name: "vitest", include: ["packages/vitest/test/**/*.test.ts"] }
      },
      {
        resolve,
        test: { ...bounds, name: "platform", include: ["packages/platform/test/**/*.test.ts"] }
      },
      { resolve, test: { ...bounds, name: "integration", include: ["test/**/*.test.ts"] } }
    ]
  }
})
