// Writes the Effect-free modules of `common/` into the packages of both editions, as
// `src/internal/common/<module>.ts`. They are written once, in `common/`, and each published
// package carries its own copy (a package cannot import from outside itself), so the copies
// are generated, never committed (.gitignore): by the root's install (postinstall), and before
// every type check, build, pack and vitest run of either edition.
//
// Run: node tools/sync-common.mjs
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import process from "node:process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")

/** Which modules each package uses. */
const targets = {
  "packages/core": ["rules", "timer"],
  "packages/platform": ["rules", "ledger"],
  "packages/vitest": ["progress", "ranges", "sites"],
  "effect4/packages/core": ["rules", "timer"],
  "effect4/packages/platform": ["rules", "ledger"],
  "effect4/packages/vitest": ["progress", "ranges", "sites"]
}

export const syncCommon = () => {
  for (const [target, modules] of Object.entries(targets)) {
    const dir = join(root, target, "src/internal/common")
    mkdirSync(dir, { recursive: true })
    for (const module of modules) {
      const text =
        `// Generated from common/${module}.ts by tools/sync-common.mjs: edit that file, not this copy.\n` +
        readFileSync(join(root, "common", `${module}.ts`), "utf8")
      const file = join(dir, `${module}.ts`)
      let current
      try {
        current = readFileSync(file, "utf8")
      } catch {
        current = undefined
      }
      // Written only when it changed: an unchanged copy leaves tsc's incremental build alone.
      if (current !== text) writeFileSync(file, text)
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) syncCommon()
