import { defineWorkspace } from "vitest/config"
import { shared } from "./vitest.shared.js"

/** One vitest project per package, and one for the cross-package tests in `test/`. */
export default defineWorkspace([
  {
    ...shared,
    test: { ...shared.test, name: "core", include: ["packages/core/test/**/*.test.ts"] }
  },
  {
    ...shared,
    test: { ...shared.test, name: "vitest", include: ["packages/vitest/test/**/*.test.ts"] }
  },
  {
    ...shared,
    test: { ...shared.test, name: "platform", include: ["packages/platform/test/**/*.test.ts"] }
  },
  { ...shared, test: { ...shared.test, name: "integration", include: ["test/**/*.test.ts"] } }
])
