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
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(program, { mode: "interrupt", check })
        )
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

/** A program that waits `millis` of real time. */
const takesMillis = (millis: number) =>
  Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, millis)))

describe("the hang bound scales with the uninterrupted run", () => {
  it.live(
    "a program slower than hangTimeout is explored, not cut short at step 0",
    () =>
      Effect.gen(function* () {
        // Each run takes 300 ms of real time, six times hangTimeout. Before, step 0 and every
        // other run were hangs ("did not finish within 50ms") and the report said deterministic.
        const report = yield* Interruption.explore(takesMillis(300), {
          mode: "interrupt",
          hangTimeout: "50 millis"
        })
        // Every point run (or covered by an equivalent point's run).
        expect([
          report.failures,
          report.deterministic,
          report.runs + (report.reduced?.points ?? 0)
        ]).toEqual([[], true, report.steps])
        expect(report.steps).toBeGreaterThan(0)
        // runAt replays a point with the bound explore holds it to.
        const replay = yield* Interruption.runAt(takesMillis(300), report.steps, {
          mode: "interrupt",
          hangTimeout: "50 millis"
        })
        expect([replay.reached, replay.failures]).toEqual([true, []])
        // Budget mode too: its dry run per budget is bounded like the others.
        const budget = yield* Interruption.explore(takesMillis(300), {
          hangTimeout: "50 millis",
          mode: "budget",
          budgets: [10, 2048]
        })
        expect([budget.failures, budget.deterministic]).toEqual([[], true])
      }),
    120_000
  )

  it.live(
    "a program that hangs without interruption is a hang at step 0 after 10 s, and nothing more is run",
    () =>
      Effect.gen(function* () {
        const report = yield* Interruption.explore(Effect.never, {
          mode: "interrupt",
          hangTimeout: "50 millis"
        })
        // Only the uninterrupted run, which `runs` does not count.
        expect([report.runs, report.deterministic, report.failures]).toEqual([
          0,
          false,
          [
            {
              mode: "interrupt",
              target: "root",
              step: 0,
              kind: "hang",
              message: "did not finish within 10s without interruption",
              reach: "uninterrupted"
            }
          ]
        ])
      }),
    120_000
  )
})

describe("deterministic is true only when it is", () => {
  it.effect(
    "runs that end before their step make the report not deterministic, and its text says why",
    () =>
      Effect.gen(function* () {
        // The two dry runs take the same steps; every later run takes fewer.
        let run = 0
        const program = () =>
          Effect.suspend(() => {
            run++
            return run <= 2
              ? Effect.forEach(Array.from({ length: 20 }), () => Effect.void)
              : Effect.void
          })
        const report = yield* Interruption.explore(program, { mode: "interrupt" })
        expect(report.dryRunSteps[0]).toBe(report.dryRunSteps[1])
        expect(report.unreached.length).toBeGreaterThan(0)
        // Before, `deterministic` only compared the two dry runs: true.
        expect(report.deterministic).toBe(false)
        run = 0
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(program, {
            mode: "interrupt",
            check: () => Effect.fail("always")
          })
        )
        expect(error.message).toContain(
          `note: the program is not deterministic: ${error.report.unreached.length} runs ended before the step they were to be interrupted at, which the run without interruption reached (use TestClock and in-memory state)`
        )
      }),
    120_000
  )

  it.effect(
    "a deterministic program is reported deterministic",
    () =>
      Effect.gen(function* () {
        const report = yield* Interruption.explore(
          Effect.forEach(Array.from({ length: 20 }), () => Effect.void),
          { mode: "interrupt" }
        )
        expect([report.deterministic, report.unreached, report.failures]).toEqual([true, [], []])
      }),
    120_000
  )
})
