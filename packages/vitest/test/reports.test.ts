/**
 * The report's text and JSON agree (issue 18, item 4), the hang bound scales with the
 * uninterrupted run's duration and `deterministic` is true only when it is (item 5).
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Option } from "effect"
import { InvalidOptionsError } from "@scopeguard/core"
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
          lines.map((line) =>
            /turn: (\d+), reached with budget (\d+)\) \[replay: "([^"]*)"\]$/.exec(line)?.slice(1)
          )
        ).toEqual(report.ranges.map((r) => [String(r.where!.turn), String(r.budget), r.schedule]))
        expect(report.ranges.map((r) => r.schedule)).toEqual(
          report.ranges.map((r) => `b${r.budget} i${r.from}`)
        )
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
              schedule: "",
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

describe("a failure's schedule replays it (Interruption.replay, as on Effect 4)", () => {
  /** A child that opens, then registers the close a step later: the holder's window. */
  const childWindow = () => {
    const world = { open: 0 }
    const program = Effect.gen(function* () {
      yield* Effect.sync(() => (world.open = 0))
      const child = yield* Effect.fork(
        Effect.scoped(
          Effect.gen(function* () {
            yield* Effect.sync(() => world.open++)
            yield* Effect.addFinalizer(() => Effect.sync(() => world.open--))
          })
        )
      )
      yield* Fiber.await(child)
    })
    const check = () =>
      world.open === 0 ? Effect.void : Effect.fail(`${world.open} handle(s) left open`)
    return { program, check }
  }
  /** Two fibers bump a counter by a read, then a write: a forced yield between loses one. */
  const lostUpdate = () => {
    const world = { total: 0 }
    const bump = Effect.flatMap(
      Effect.sync(() => world.total),
      (read) => Effect.sync(() => (world.total = read + 1))
    )
    const program = Effect.gen(function* () {
      yield* Effect.sync(() => (world.total = 0))
      const a = yield* Effect.fork(bump)
      const b = yield* Effect.fork(bump)
      yield* Fiber.join(a)
      yield* Fiber.join(b)
    })
    const check = () => (world.total === 2 ? Effect.void : Effect.fail(`total ${world.total}`))
    return { program, check }
  }
  const cases = {
    "interrupt mode": { ...leakyWindow(), options: { mode: "interrupt" }, tokens: /^i\d+$/ },
    "the holder": {
      ...childWindow(),
      options: { mode: "interrupt", target: "holder" },
      tokens: /^h\d+$/
    },
    "yield mode": { ...lostUpdate(), options: { mode: "yield" }, tokens: /^y\d+$/ },
    "budget mode": {
      ...leakyWindow(),
      options: { mode: "budget", budgets: [10, 12] },
      tokens: /^b1[02] i\d+$/
    }
  } as const

  for (const [name, { program, check, options, tokens }] of Object.entries(cases)) {
    it.effect(
      `${name}: every failure's schedule, replayed, fails the same way at the same step`,
      () =>
        Effect.gen(function* () {
          const report = yield* Interruption.explore(program, { ...options, check })
          expect(report.failures.length).toBeGreaterThan(0)
          expect(report.failures.every((f) => tokens.test(f.schedule))).toBe(true)
          // Each range names its first failure's schedule.
          expect(report.ranges.map((r) => r.schedule)).toEqual(
            report.ranges.map(
              (r) =>
                report.failures.find((f) => f.step === r.from && f.budget === r.budget)!.schedule
            )
          )
          const schedules = [...new Set(report.failures.map((f) => f.schedule))]
          for (const schedule of schedules) {
            // No mode, target or budget: the schedule says them all.
            const replayed = yield* Interruption.replay(program, schedule, { check })
            const strip = ({ where: _, ...failure }: Interruption.Failure) => failure
            expect({ schedule: replayed.schedule, failures: replayed.failures.map(strip) }).toEqual(
              {
                schedule,
                failures: report.failures.filter((f) => f.schedule === schedule).map(strip)
              }
            )
            expect(replayed.failure).toEqual(replayed.failures[0])
          }
        }),
      120_000
    )
  }

  it.effect(
    "a library's own fiber interrupted alone replays as reach internal; a yield at the holder replays with its target",
    () =>
      Effect.gen(function* () {
        // Every run fails its check: Effect.all's workers are a library's fibers.
        const program = Effect.gen(function* () {
          const mine = yield* Effect.fork(Effect.yieldNow())
          yield* Effect.all([Effect.yieldNow(), Effect.yieldNow()], { concurrency: 2 })
          yield* Fiber.join(mine)
        })
        const check = () => Effect.fail("always")
        const strip = ({ where: _, ...failure }: Interruption.Failure) => failure
        const holder = yield* Interruption.explore(program, {
          mode: "interrupt",
          target: "holder",
          check
        })
        const internal = holder.failures.filter((f) => f.reach === "internal")
        expect(internal.length).toBeGreaterThan(0)
        for (const failure of [internal[0]!, internal[internal.length - 1]!]) {
          const replayed = yield* Interruption.replay(program, failure.schedule, { check })
          expect(replayed.failures.map(strip)).toEqual([strip(failure)])
        }
        // A yield names no target: the replay takes the failure's.
        const yields = yield* Interruption.explore(program, {
          mode: "yield",
          target: "holder",
          check
        })
        const failure = yields.failures.find((f) => f.step > 0)!
        expect(failure.target).toBe("holder")
        const replayed = yield* Interruption.replay(program, failure.schedule, {
          target: "holder",
          check
        })
        expect(replayed.failures.map(strip)).toEqual([strip(failure)])
      }),
    120_000
  )

  it.effect(
    "in every mode, a failure replayed with its schedule, mode and target comes back the same",
    () =>
      Effect.gen(function* () {
        // Every run fails its check; a child gives the holder passes a fiber of their own.
        const program = Effect.gen(function* () {
          const child = yield* Effect.fork(Effect.andThen(Effect.yieldNow(), Effect.yieldNow()))
          yield* Fiber.join(child)
        })
        const check = () => Effect.fail("always")
        const same = (f: Interruption.Failure) => ({
          step: f.step,
          kind: f.kind,
          message: f.message,
          mode: f.mode,
          target: f.target,
          reach: f.reach,
          budget: f.budget,
          fiber: f.fiber,
          schedule: f.schedule
        })
        const passes: Array<string> = []
        for (const options of [
          { mode: "interrupt", target: "root" },
          { mode: "interrupt", target: "holder" },
          { mode: "yield", target: "root" },
          { mode: "yield", target: "holder" },
          { mode: "budget", target: "root", budgets: [10, 12] },
          { mode: "budget", target: "holder", budgets: [10, 12] }
        ] as const) {
          const report = yield* Interruption.explore(program, { ...options, check })
          const { failures } = report
          expect(failures.length).toBeGreaterThan(1)
          for (const f of [failures[0]!, failures[failures.length >> 1]!, failures.at(-1)!]) {
            const replayed = yield* Interruption.replay(program, f.schedule, {
              mode: f.mode,
              target: f.target,
              check
            })
            expect(replayed.failures.map(same)).toEqual([same(f)])
          }
          passes.push(`${options.mode}/${options.target}`)
        }
        expect(passes).toHaveLength(6)
      }),
    120_000
  )

  it.effect("the empty schedule is the run without interruption, as runAt's step 0", () =>
    Effect.gen(function* () {
      const { program, check } = leakyWindow()
      const replayed = yield* Interruption.replay(program, "", { check })
      const at = yield* Interruption.runAt(program, 0, { check })
      expect(replayed).toEqual({
        exit: Option.getOrUndefined(at.exit),
        failure: undefined,
        failures: [],
        points: at.steps,
        schedule: ""
      })
      expect(at.schedule).toBe("")
    })
  )

  it.effect("a schedule this edition cannot run dies with InvalidOptionsError, naming it", () =>
    Effect.gen(function* () {
      const reasons: Array<[unknown, string]> = []
      for (const schedule of [
        "s4:1",
        "y3 y9",
        "i0",
        "i3 b10",
        "b10 y3",
        "e3",
        "x",
        42,
        "i99999999999999999999",
        "b99999999999999999999 i3"
      ]) {
        const exit = yield* Effect.exit(Interruption.replay(Effect.void, schedule as string))
        const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
        expect(defect).toBeInstanceOf(InvalidOptionsError)
        const error = defect as InvalidOptionsError
        expect([error.option, error.value]).toEqual(["schedule", schedule])
        reasons.push([schedule, error.reason])
      }
      const grammar =
        "where the Effect 3 edition's runs take an optional budget bN, then at most one of yN, iN, hN"
      expect(reasons).toEqual([
        ["s4:1", `has "s4:1" ${grammar}`],
        ["y3 y9", `has "y9" ${grammar}`],
        ["i0", `has "i0" ${grammar}`],
        ["i3 b10", `has "b10" ${grammar}`],
        ["b10 y3", "forces a yield in budget mode, which interrupts"],
        ["e3", `has "e3" ${grammar}`],
        ["x", `has "x" ${grammar}`],
        [42, "is not a string"],
        // Read as another number, it would run another point.
        ["i99999999999999999999", "has a number too large to be a point"],
        ["b99999999999999999999 i3", "has a number too large to be a point"]
      ])
      // A mode the schedule rules out is refused, mode "all" among them.
      const modes: Array<[string, unknown, string]> = []
      for (const [schedule, mode] of [
        ["i3", "yield"],
        ["b12 i3", "interrupt"],
        ["y3", "budget"],
        ["", "all"]
      ] as const) {
        const exit = yield* Effect.exit(Interruption.replay(Effect.void, schedule, { mode }))
        const defect = (Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined) as
          InvalidOptionsError | undefined
        modes.push([schedule, defect?.option, defect?.reason ?? ""])
      }
      expect(modes).toEqual([
        ["i3", "mode", 'is not a mode that makes the schedule "i3" (interrupt)'],
        ["b12 i3", "mode", 'is not a mode that makes the schedule "b12 i3" (budget)'],
        ["y3", "mode", 'is not a mode that makes the schedule "y3" (yield)'],
        ["", "mode", 'is not a mode that makes the schedule "" (interrupt, yield, budget)']
      ])
    })
  )
})
