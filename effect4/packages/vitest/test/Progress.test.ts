/**
 * The explorer's progress, as in the Effect 3 edition (the lines are common/progress.ts, written
 * once for both): printed once an exploration has taken a second, on a terminal as one line
 * rewritten in place, elsewhere a line every 5 seconds; nothing with `progress: false`. Timed by
 * an injected clock: every reading of it advances it by `tick` ms.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { Interruption } from "@scopeguard/vitest"
import type { Console } from "../src/internal/common/progress.js"
import { ProgressConsole } from "../src/internal/explorer.js"

/** A console whose clock reads 0, tick, 2 × tick, …, and that records what is written. */
const fakeConsole = (tick: number, isTTY: boolean) => {
  let time = 0
  const writes: Array<string> = []
  const console: Console = {
    now: () => {
      const now = time
      time += tick
      return now
    },
    isTTY,
    write: (text) => {
      writes.push(text)
    }
  }
  return { writes, console }
}

const program = Effect.forEach(Array.from({ length: 3 }), () => Effect.yieldNow)
/** Fails every run that was interrupted. */
const check = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isSuccess(exit) ? Effect.void : Effect.fail("interrupted")

describe("progress", () => {
  it.effect(
    "elsewhere than a terminal, a line every 5 s from the first second, and a last line",
    () =>
      Effect.gen(function* () {
        const { console, writes } = fakeConsole(1000, false)
        const report = yield* Interruption.explore(program, { mode: "interrupt", check }).pipe(
          Effect.provideService(ProgressConsole, console)
        )
        // 24 points, 17 of them run (7 covered by the reductions): point i is done when the
        // clock reads i s (it read 0 when the exploration began), a line at 1, 6, 11, 16 and 21 s,
        // and the last one counts every point explored, run or covered (regression: it counted
        // the runs, "17/24 points").
        expect([report.steps, report.runs]).toEqual([24, 17])
        expect(writes).toEqual([
          "scopeguard explorer: 1/24 points, 1 failing, 1.0s elapsed, ~23s left\n",
          "scopeguard explorer: 6/24 points, 6 failing, 6.0s elapsed, ~18s left\n",
          "scopeguard explorer: 11/24 points, 11 failing, 11s elapsed, ~13s left\n",
          "scopeguard explorer: 16/24 points, 16 failing, 16s elapsed, ~8.0s left\n",
          "scopeguard explorer: 21/24 points, 21 failing, 21s elapsed, ~3.0s left\n",
          "scopeguard explorer: 24/24 points, 24 failing, done in 25s\n"
        ])
      })
  )

  it.effect(
    "on a terminal, one line rewritten in place (\\r) at most every 200 ms, ended by a newline",
    () =>
      Effect.gen(function* () {
        const { console, writes } = fakeConsole(100, true)
        yield* Interruption.explore(program, { mode: "interrupt", check }).pipe(
          Effect.provideService(ProgressConsole, console)
        )
        // Point i is done at i × 100 ms: the first line at 1 s (point 10), then every 200 ms.
        expect(writes).toEqual([
          "\rscopeguard explorer: 10/24 points, 10 failing, 1.0s elapsed, ~1.4s left\x1b[K",
          "\rscopeguard explorer: 12/24 points, 12 failing, 1.2s elapsed, ~1.2s left\x1b[K",
          "\rscopeguard explorer: 14/24 points, 14 failing, 1.4s elapsed, ~1.0s left\x1b[K",
          "\rscopeguard explorer: 16/24 points, 16 failing, 1.6s elapsed, ~0.8s left\x1b[K",
          "\rscopeguard explorer: 18/24 points, 18 failing, 1.8s elapsed, ~0.6s left\x1b[K",
          "\rscopeguard explorer: 20/24 points, 20 failing, 2.0s elapsed, ~0.4s left\x1b[K",
          "\rscopeguard explorer: 22/24 points, 22 failing, 2.2s elapsed, ~0.2s left\x1b[K",
          "\rscopeguard explorer: 24/24 points, 24 failing, 2.4s elapsed, ~0.0s left\x1b[K",
          "\rscopeguard explorer: 24/24 points, 24 failing, done in 2.5s\x1b[K\n"
        ])
      })
  )

  it.effect("nothing with progress: false, nor when the exploration takes under a second", () =>
    Effect.gen(function* () {
      const off = fakeConsole(1000, false)
      yield* Interruption.explore(program, { check, progress: false }).pipe(
        Effect.provideService(ProgressConsole, off.console)
      )
      const quick = fakeConsole(10, false)
      yield* Interruption.explore(program, { check }).pipe(
        Effect.provideService(ProgressConsole, quick.console)
      )
      expect([off.writes, quick.writes]).toEqual([[], []])
    })
  )

  it.effect("exhaustive mode counts schedules; a console that throws turns the progress off", () =>
    Effect.gen(function* () {
      const { console, writes } = fakeConsole(3000, false)
      // Two fibers: schedules with one preemption, each read of the clock 3 s later.
      const race = Effect.all([Effect.yieldNow, Effect.yieldNow], { concurrency: 2 })
      const report = yield* Interruption.explore(race, {
        mode: "exhaustive",
        preemptions: 1
      }).pipe(Effect.provideService(ProgressConsole, console))
      const schedules = report.exhaustive!.schedules
      expect(schedules).toBeGreaterThan(2)
      expect(writes.at(-1)).toMatch(
        new RegExp(
          `^scopeguard explorer: ${schedules}/10000 schedules, 0 failing, done in \\d+s\n$`
        )
      )
      expect(writes.slice(0, -1).every((w) => / schedules, 0 failing, /.test(w))).toBe(true)
      const throwing: Console = {
        now: () => {
          throw new Error("no clock")
        },
        isTTY: false,
        write: () => {}
      }
      const still = yield* Interruption.explore(program, { check }).pipe(
        Effect.provideService(ProgressConsole, throwing)
      )
      expect(still.steps).toBe(24)
    })
  )
})
