/**
 * The upstream findings on effect 4.1 (docs/findings/, "On Effect 4"): each reproduction in
 * test/findings/ is a plain Effect program, no explorer, run here as its own process. Those
 * of the Effect 3 findings that effect 4.1 fixed print "not reproduced" and exit 0 (so that the
 * day one comes back, its test fails here); those still present print the first (budget, N)
 * that shows the bug and exit 1.
 */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))

/** The reproduction's exit code and the one line it prints. */
const reproduce = (name: string) =>
  new Promise<{ code: number | string | null | undefined; seen: unknown }>((resolve) =>
    execFile(
      process.execPath,
      [
        "--disable-warning=ExperimentalWarning",
        "--import",
        "tsx",
        `${root}test/findings/${name}.ts`
      ],
      { encoding: "utf8", cwd: root },
      (error, stdout) =>
        resolve({
          code: error === null ? 0 : error.code,
          seen: stdout.trim() === "" ? stdout : JSON.parse(stdout.trim())
        })
    )
  )

/** Effect 3 findings that effect 4.1 fixed: budgets 10 to 2048, N = 0 to 100, nothing. */
const fixed = [
  "scopedref-set",
  "rcref-get",
  "pool-get",
  "effect-all-concurrency",
  "effect-cached",
  "cache-get",
  "stream-flatmap-switch",
  "fiberset-run",
  "sql-transaction-wait"
]

/** [reproduction, what it prints while the bug is present] */
const present: ReadonlyArray<readonly [string, unknown]> = [
  [
    "scopedcache-get",
    { budget: 10, turns: 1, finished: true, openAtExit: 1, openLater: 1, acquiredAfterExit: 0 }
  ]
]

describe("upstream findings on effect 4.1", () => {
  for (const name of fixed) {
    it(`test/findings/${name}.ts: fixed in 4.1, exits 0 ("not reproduced")`, async () => {
      expect(await reproduce(name)).toEqual({ code: 0, seen: "not reproduced" })
    }, 120_000)
  }
  for (const [name, seen] of present) {
    it(`test/findings/${name}.ts: still present, exits 1 printing what the report describes`, async () => {
      expect(await reproduce(name)).toEqual({ code: 1, seen })
    }, 120_000)
  }
})

/** Leads of the Effect 4 survey a plain program does not reproduce (docs/findings/README.md). */
const leads = ["rcmap-get"]

describe("Effect 4 leads a plain program does not reproduce", () => {
  for (const name of leads) {
    it(`test/findings/${name}.ts: exits 0 ("not reproduced")`, async () => {
      expect(await reproduce(name)).toEqual({ code: 0, seen: "not reproduced" })
    }, 120_000)
  }
})
