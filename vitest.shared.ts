import { fileURLToPath } from "node:url"
import type { ViteUserConfig } from "vitest/config"
import { syncCommon } from "./tools/sync-common.mjs"

// The packages' copies of common/ (generated, not committed) are current before any test runs.
syncCommon()

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/**
 * Every project resolves the workspace packages to their sources. No test relies on vitest's
 * default 5 s bound: the machines that run this suite have 2 shared cores, often busy, and a
 * test that explores a program at every step takes seconds there. A test that hangs still
 * fails, after this bound; tests that need more say so themselves.
 */
export const shared: ViteUserConfig = {
  test: { testTimeout: 60_000, hookTimeout: 60_000 },
  resolve: {
    alias: [
      { find: /^@scopeguard\/core$/, replacement: here("./packages/core/src/index.ts") },
      { find: /^@scopeguard\/vitest$/, replacement: here("./packages/vitest/src/index.ts") },
      { find: /^@scopeguard\/platform$/, replacement: here("./packages/platform/src/index.ts") }
    ]
  }
}
