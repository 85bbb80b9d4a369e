/**
 * The upstream findings (docs/findings/): each reproduction in test/findings/ is a plain
 * Effect program, no explorer, that exits 1 while the bug is present. Each test runs one as
 * its own process and asserts the buggy outcome its report describes, so that the day an
 * upgrade fixes one, its test fails here and the report (and the README's table) is updated.
 * The SQL one is in findings-sql.test.ts: its driver's native addon is built for Node 20 only.
 */
import { describe, expect, it } from "vitest"
import { reproduce } from "./reproduce.js"

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
