import { fileURLToPath } from "node:url"
import type { ViteUserConfig } from "vitest/config"

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/** Every project resolves the workspace packages to their sources. */
export const shared: ViteUserConfig = {
  resolve: {
    alias: [
      { find: /^@scopeguard\/core$/, replacement: here("./packages/core/src/index.ts") },
      { find: /^@scopeguard\/vitest$/, replacement: here("./packages/vitest/src/index.ts") },
      { find: /^@scopeguard\/platform$/, replacement: here("./packages/platform/src/index.ts") }
    ]
  }
}
