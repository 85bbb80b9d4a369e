/**
 * The explorer's progress (issue 18, item 3): printed once an exploration has taken a second,
 * on a terminal as one line rewritten in place, elsewhere a line every 5 seconds; nothing with
 * `progress: false`. Timed by an injected clock: every reading of it advances it by `tick` ms.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { InvalidOptionsError } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"
import { type Console, ProgressConsole } from "../src/internal/progress.js"

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

/** 23 steps: 24 points. */
const program = Effect.forEach(Array.from({ length: 3 }), () => Effect.void)
/** Fails every run that was interrupted: point 0 passes, the others fail until the last ones. */
const check = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isSuccess(exit) ? Effect.void : Effect.fail("interrupted")

describe("progress", () => {
  it.effect(
    "elsewhere than a terminal, a line every 5 s from the first second, and a last line",
    () =>
      Effect.gen(function* () {
        const { console, writes } = fakeConsole(1000, false)
        // Point i is done when the clock reads i seconds (it read 0 when the exploration began).
        const report = yield* Interruption.explore(program, { mode: "interrupt", check }).pipe(
          Effect.provideService(ProgressConsole, console)
        )
        expect(report.steps).toBe(23)
        // Point i (of 23) is done at i s: lines at 1, 6, 11, 16 and 21 s (2 of 24 points done at
        // 1 s, 22 to go at 0.5 s a point: ~11 s left), and the last when it ends, at 24 s.
        expect(writes).toEqual([
          "scopeguard explorer: 2/24 points, 1 failing, 1.0s elapsed, ~11s left\n",
          "scopeguard explorer: 7/24 points, 6 failing, 6.0s elapsed, ~15s left\n",
          "scopeguard explorer: 12/24 points, 11 failing, 11s elapsed, ~11s left\n",
          "scopeguard explorer: 17/24 points, 16 failing, 16s elapsed, ~6.6s left\n",
          "scopeguard explorer: 22/24 points, 21 failing, 21s elapsed, ~1.9s left\n",
          "scopeguard explorer: 24/24 points, 23 failing, done in 24s\n"
        ])
      }),
    120_000
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
          "\rscopeguard explorer: 11/24 points, 10 failing, 1.0s elapsed, ~1.2s left\x1b[K",
          "\rscopeguard explorer: 13/24 points, 12 failing, 1.2s elapsed, ~1.0s left\x1b[K",
          "\rscopeguard explorer: 15/24 points, 14 failing, 1.4s elapsed, ~0.8s left\x1b[K",
          "\rscopeguard explorer: 17/24 points, 16 failing, 1.6s elapsed, ~0.7s left\x1b[K",
          "\rscopeguard explorer: 19/24 points, 18 failing, 1.8s elapsed, ~0.5s left\x1b[K",
          "\rscopeguard explorer: 21/24 points, 20 failing, 2.0s elapsed, ~0.3s left\x1b[K",
          "\rscopeguard explorer: 23/24 points, 22 failing, 2.2s elapsed, ~0.1s left\x1b[K",
          "\rscopeguard explorer: 24/24 points, 23 failing, done in 2.4s\x1b[K\n"
        ])
      }),
    120_000
  )

  it.effect(
    "nothing with progress: false, and nothing for an exploration shorter than a second",
    () =>
      Effect.gen(function* () {
        const off = fakeConsole(1000, false)
        const a = yield* Interruption.explore(program, {
          mode: "interrupt",
          check,
          progress: false
        }).pipe(Effect.provideService(ProgressConsole, off.console))
        // 1 ms a reading: the whole exploration takes 25 ms.
        const short = fakeConsole(1, true)
        const b = yield* Interruption.explore(program, { mode: "interrupt", check }).pipe(
          Effect.provideService(ProgressConsole, short.console)
        )
        expect([off.writes, short.writes, a.failures.length, b.failures.length]).toEqual([
          [],
          [],
          23,
          23
        ])
      }),
    120_000
  )

  it.effect(
    "a console that throws turns the progress off, never fails the exploration",
    () =>
      Effect.gen(function* () {
        const { console, writes } = fakeConsole(1000, false)
        let attempts = 0
        const throwing: Console = {
          ...console,
          write: () => {
            attempts++
            throw new Error("stderr closed")
          }
        }
        const report = yield* Interruption.explore(program, { mode: "interrupt", check }).pipe(
          Effect.provideService(ProgressConsole, throwing)
        )
        const quiet = yield* Interruption.explore(program, {
          mode: "interrupt",
          check,
          progress: false
        })
        expect([attempts, writes, report.failures]).toEqual([1, [], quiet.failures])
      }),
    120_000
  )

  it.effect(
    "progress is checked like every option",
    () =>
      Effect.gen(function* () {
        expect(
          yield* Effect.exit(
            Interruption.explore(program, {
              mode: "interrupt",
              progress: "no" as unknown as boolean
            })
          )
        ).toEqual(
          Exit.die(
            new InvalidOptionsError({ option: "progress", value: "no", reason: "is not a boolean" })
          )
        )
      }),
    120_000
  )
})
