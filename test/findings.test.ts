/**
 * The upstream findings (docs/findings/): each reproduction in test/findings/ is a plain
 * Effect program, no explorer, that exits 1 while the bug is present. Each test runs one as
 * its own process and asserts the buggy outcome its report describes, so that the day an
 * upgrade fixes one, its test fails here and the report (and the README's table) is updated.
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
      ["--import", "tsx", `${root}test/findings/${name}.ts`],
      { encoding: "utf8", cwd: root },
      (error, stdout) =>
        resolve({
          code: error === null ? 0 : error.code,
          seen: stdout.trim() === "" ? stdout : JSON.parse(stdout.trim())
        })
    )
  )

const leak = (turns: number) => ({
  turns,
  finished: true,
  openAtExit: 1,
  openLater: 1,
  acquiredAfterExit: 0
})
const hang = (turns: number) => ({
  turns,
  finished: false,
  openAtExit: 0,
  openLater: 0,
  acquiredAfterExit: 0
})

/** [reproduction, what it prints while the bug is present] */
const findings: ReadonlyArray<readonly [string, unknown]> = [
  ["stream-flatmap-switch", leak(1)],
  ["effect-cached", { turns: 1, later: "interrupted" }],
  ["cache-get", { turns: 3, later: "hung" }],
  [
    "sql-transaction-wait",
    { query: "returned", transaction: "blocked until the connection was free" }
  ],
  ["scopedref-set", leak(4)],
  ["rcref-get", leak(4)],
  ["scopedcache-get", leak(7)],
  ["fiberset-run", leak(16)],
  ["effect-all-concurrency", hang(1)],
  ["pool-get", hang(1)],
  ["keyedpool-get", { turns: 4, finished: true, openAtExit: 0, openLater: 0, acquiredAfterExit: 2 }]
]

describe("upstream findings: each plain reproduction still shows its bug", () => {
  for (const [name, seen] of findings) {
    it(`test/findings/${name}.ts exits 1, printing what the report describes`, async () => {
      expect(await reproduce(name)).toEqual({ code: 1, seen })
    }, 90_000)
  }
})
