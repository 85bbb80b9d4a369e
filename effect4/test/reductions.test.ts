/**
 * The explorer's reductions against `reduce: false` on every path of `npm run survey`
 * (bench/reductions.ts, as its own process on the built packages): interrupt mode with the
 * root and the holder as target, and yield mode, report the same failures at the same points
 * reduced and in full; exhaustive mode with one preemption the same distinct failures. Unit programs on each equivalence's edges are in
 * packages/vitest/test/Reductions.test.ts.
 */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))

it("every survey path, in four modes: reduced and full explorations report the same failures", async () => {
  const { code, stdout } = await new Promise<{ code: unknown; stdout: string }>((resolve) =>
    execFile(
      process.execPath,
      ["--disable-warning=ExperimentalWarning", "--import", "tsx", `${root}bench/reductions.ts`],
      { encoding: "utf8", cwd: root, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => resolve({ code: error === null ? 0 : error.code, stdout })
    )
  )
  const lines = stdout.trim().split("\n")
  expect(lines.filter((l) => l.startsWith("DIFFERENT"))).toEqual([])
  // 37 paths × 4 modes, each line saying "same".
  expect(lines.filter((l) => l.startsWith("same: "))).toHaveLength(148)
  expect(lines.at(-1)).toBe("0 differing")
  expect(code).toBe(0)
}, 300_000)
