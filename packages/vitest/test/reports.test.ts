/**
 * The report's text and JSON agree (issue 18, item 4), the hang bound scales with the
 * uninterrupted run's duration and `deterministic` is true only when it is (item 5).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Interruption } from "@scopeguard/vitest"

/** Acquire, then register the release as a later, interruptible step: a leak window. */
const leakyWindow = () => {
  const world = { open: 0 }
  const program = Effect.scoped(
    Effect.gen(function* () {
      yield* Effect.sync(() => (world.open = 0))
      // Enough operations before the window that budgets of 10 to 16 end turns inside it.
      for (let i = 0; i < 12; i++) yield* Effect.void
      yield* Effect.sync(() => world.open++)
      for (let i = 0; i < 12; i++) yield* Effect.void
      yield* Effect.addFinalizer(() => Effect.sync(() => world.open--))
    })
  )
  const check = () =>
    world.open === 0 ? Effect.void : Effect.fail(`${world.open} handle(s) left open`)
  return { program, check }
}

describe("the text and the JSON of a report agree", () => {
  it.effect(
    "each range's line says the turn the JSON says, and the budget it is reachable with",
    () =>
      Effect.gen(function* () {
        const { check, program } = leakyWindow()
        const error = yield* Effect.flip(Interruption.assertEveryStep(program, { check }))
        const { report } = error
        expect(report.ranges.length).toBeGreaterThan(0)
        const lines = error.message.split("\n").filter((line) => line.startsWith("  "))
        expect(lines.length).toBe(report.ranges.length)
        const turns = lines.map((line, i) => {
          const range = report.ranges[i]!
          return [
            /turn: (\d+)/.exec(line)?.[1],
            /reachable with budget (\d+)/.exec(line)?.[1] ?? range.reach,
            String(range.where!.turn),
            range.reach === "budget" ? String(range.where!.turn) : range.reach
          ]
        })
        expect(turns).toEqual(turns.map(([, , turn, reach]) => [turn, reach, turn, reach]))
      }),
    120_000
  )

  it.effect(
    "budget mode: where is the operation the runtime preempted, after `budget` operations of its turn",
    () =>
      Effect.gen(function* () {
        const { check, program } = leakyWindow()
        const report = yield* Interruption.explore(program, {
          check,
          mode: "budget",
          budgets: [10, 11, 12]
        })
        expect(report.failures.length).toBeGreaterThan(0)
        // Before, every one was `{ op: "Yield", turn: 0 }`: the yield the runtime inserts.
        expect(
          report.failures.map((f) => [f.budget, f.where!.turn, f.where!.op === "Yield"])
        ).toEqual(report.failures.map((f) => [f.budget, f.budget, false]))
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(program, { check, mode: "budget", budgets: [10, 11, 12] })
        )
        const lines = error.message.split("\n").filter((line) => line.startsWith("  "))
        expect(
          lines.map((line) => /turn: (\d+), reached with budget (\d+)\)$/.exec(line)?.slice(1))
        ).toEqual(report.ranges.map((r) => [String(r.where!.turn), String(r.budget)]))
      }),
    120_000
  )
})
