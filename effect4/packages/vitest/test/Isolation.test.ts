/**
 * `isolate`: under test services (`it.effect`) each run gets a TestClock and a TestConsole of
 * its own, so that what one run leaves on them (time moved on, output) cannot reach the next;
 * `isolate: false` keeps the caller's.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Console, Effect } from "effect"
import { TestClock, TestConsole } from "effect/testing"
import { Interruption } from "@scopeguard/vitest"

/** Each run notes the time it starts at, writes a line, and moves its clock on by a second. */
const makeProgram = () => {
  const starts: Array<number> = []
  const logged: Array<number> = []
  const program = Effect.gen(function* () {
    starts.push(yield* Clock.currentTimeMillis)
    logged.push((yield* TestConsole.logLines).length)
    yield* Console.log("run")
    yield* TestClock.adjust("1 second")
  })
  return { starts, logged, program }
}

describe("isolate", () => {
  it.effect("under it.effect, every run starts at time 0 with an empty console (the default)", () =>
    Effect.gen(function* () {
      const { starts, logged, program } = makeProgram()
      const report = yield* Interruption.explore(program, { mode: "interrupt", progress: false })
      expect(report.isolated).toBe(true)
      // 45 points, 34 of them run (11 share a run): the two dry runs and the 26 runs
      // interrupted after the program's first step noted a start; the 8 interrupted before it
      // did not.
      expect([report.steps, report.runs, starts.length]).toEqual([45, 34, 28])
      expect(new Set(starts)).toEqual(new Set([0]))
      expect(new Set(logged)).toEqual(new Set([0]))
      // The caller's own clock and console were not touched by the runs.
      expect(yield* Clock.currentTimeMillis).toBe(0)
      expect(yield* TestConsole.logLines).toEqual([])
    })
  )

  it.effect("isolate: false, the runs share the caller's clock and console", () =>
    Effect.gen(function* () {
      const { starts, program } = makeProgram()
      const report = yield* Interruption.explore(program, {
        mode: "interrupt",
        isolate: false,
        progress: false
      })
      expect(report.isolated).toBe(false)
      // Each run that got as far as the adjustment moved the shared clock on: both dry runs,
      // then the last five runs (the clock at 3000 to 7000 after them); the 21 runs before
      // them, interrupted before it, started at 2000 and left it there.
      expect(starts).toEqual([0, 1000, ...Array<number>(22).fill(2000), 3000, 4000, 5000, 6000])
      expect(yield* Clock.currentTimeMillis).toBe(7000)
    })
  )

  it.live("not on test services (it.live), nothing to isolate", () =>
    Effect.gen(function* () {
      const report = yield* Interruption.explore(Effect.yieldNow, { progress: false })
      expect(report.isolated).toBe(false)
      const replayed = yield* Interruption.replay(Effect.yieldNow, "", { isolate: true })
      expect(replayed.failure).toBeUndefined()
    })
  )
})
