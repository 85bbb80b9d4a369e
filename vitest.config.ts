import { defineConfig } from "vitest/config"
import projects from "./vitest.workspace.js"
import { ciReport } from "./vitest.report.js"

// The projects are listed in vitest.workspace.ts; vitest 3.2 reads them from `test.projects`.
export default defineConfig({ test: { projects, ...ciReport("effect3") } })
