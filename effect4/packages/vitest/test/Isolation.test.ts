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
      const report = yield* Interruption.explore(program, { progress: false })
      expect(report.isolated).toBe(true)
      // The two dry runs, and every run interrupted after the program's first step.
      expect(starts.length).toBeGreaterThan(2)
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
      const report = yield* Interruption.explore(program, { isolate: false, progress: false })
      expect(report.isolated).toBe(false)
      // Each run that got as far as the adjustment moved the shared clock on.
      expect(starts[0]).toBe(0)
      expect(starts[1]).toBe(1000)
      expect(yield* Clock.currentTimeMillis).toBeGreaterThanOrEqual(2000)
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
