import { describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Option, Scope } from "effect"
import { Guard, InvalidOptionsError } from "@scopeguard/core"
import { Interruption, InterruptionError } from "@scopeguard/vitest"
import { lineOf, timeless } from "./helpers.js"

/** A program that records how far it got, step by step; the function resets it per run. */
const makeSteps = () => {
  const seen = { reached: 0, finalized: 0 }
  const program = () => {
    seen.reached = 0
    seen.finalized = 0
    return Effect.gen(function* () {
      for (let i = 1; i <= 5; i++) {
        yield* Effect.sync(() => {
          seen.reached = i
        })
        yield* Effect.yieldNow
      }
    }).pipe(
      Effect.ensuring(
        Effect.sync(() => {
          seen.finalized++
        })
      )
    )
  }
  return { seen, program }
}

describe("Interruption.explore (the minimal harness)", () => {
  it.effect("counts the steps and interrupts the program once per step", () =>
    Effect.gen(function* () {
      const { seen, program } = makeSteps()
      const exits: Array<string> = []
      // Every point run on its own (reduce: false), so the check sees one exit per point.
      const report = yield* Interruption.explore(program, {
        mode: "interrupt",
        reduce: false,
        check: (exit) =>
          Effect.sync(() => {
            exits.push(`${exit._tag} ${seen.reached}`)
          }).pipe(
            Effect.andThen(
              seen.finalized <= 1 ? Effect.void : Effect.fail(`finalized ${seen.finalized}`)
            )
          )
      })
      expect(report.steps).toBeGreaterThan(10)
      expect(report.runs).toBe(report.steps)
      expect(report.deterministic).toBe(true)
      expect(report.failures).toEqual([])
      expect(report.unreached).toEqual([])
      // Two uninterrupted runs, then one per step: the early ones stop before the end, the
      // interruption is seen in the exit, and the finalizer ran every time.
      expect(exits).toHaveLength(report.steps + 2)
      expect(exits.slice(0, 2)).toEqual(["Success 5", "Success 5"])
      expect(exits[2]).toBe("Failure 0")
      expect(exits.slice(2).every((e) => e.startsWith("Failure"))).toBe(true)
      expect(new Set(exits.slice(2).map((e) => e.split(" ")[1]))).toEqual(
        new Set(["0", "1", "2", "3", "4", "5"])
      )
    })
  )

  it.effect("a failing check marks exactly the steps it fails at", () =>
    Effect.gen(function* () {
      const { seen, program } = makeSteps()
      const report = yield* Interruption.explore(program, {
        mode: "interrupt",
        check: () => (seen.reached >= 3 ? Effect.void : Effect.fail(`stopped at ${seen.reached}`))
      })
      expect(report.failures.length).toBeGreaterThan(0)
      expect(report.failures.every((f) => f.kind === "check" && f.step > 0)).toBe(true)
      expect(new Set(report.failures.map((f) => f.message))).toEqual(
        new Set(["stopped at 0", "stopped at 1", "stopped at 2"])
      )
      const error = yield* Effect.flip(
        Interruption.assertEveryStep(program, {
          mode: "interrupt",
          check: () => (seen.reached >= 3 ? Effect.void : Effect.fail("too early"))
        })
      )
      expect(error).toBeInstanceOf(InterruptionError)
      expect(error.message).toContain(
        `interruption points failed (point 0 is the run without interruption):\n  step 1 (check, fiber 1 (the root)): too early`
      )
    })
  )

  it.effect("yield mode only preempts: every run completes", () =>
    Effect.gen(function* () {
      const { seen, program } = makeSteps()
      const report = yield* Interruption.assertEveryStep(program, {
        mode: "yield",
        check: (exit) =>
          Exit.isSuccess(exit) && seen.reached === 5 ? Effect.void : Effect.fail("interrupted")
      })
      expect(report.failures).toEqual([])
      expect(report.unreached).toEqual([])
    })
  )

  it.effect("yield mode runs another fiber in every gap (a check-then-act race)", () =>
    Effect.gen(function* () {
      const state = { value: 0, lost: 0 }
      // Two fibers increment with a read and a write split by a yield: a lost update appears
      // exactly when the other fiber runs in that gap.
      const increment = Effect.gen(function* () {
        const read = state.value
        yield* Effect.yieldNow
        state.value = read + 1
      })
      const program = Effect.gen(function* () {
        state.value = 0
        const a = yield* Effect.forkChild(increment)
        const b = yield* Effect.forkChild(increment)
        yield* Fiber.join(a)
        yield* Fiber.join(b)
      })
      const report = yield* Interruption.explore(program, {
        mode: "yield",
        check: () =>
          Effect.suspend(() => {
            if (state.value === 2) return Effect.void
            state.lost++
            return Effect.fail(`lost an update: ${state.value}`)
          })
      })
      // The uninterrupted run already interleaves them (both yield): the race is found at step 0.
      expect(report.failures.length).toBeGreaterThan(0)
      expect(report.failures.every((f) => f.message === "lost an update: 1")).toBe(true)
    })
  )

  // The survey's lead "Semaphore.withPermits(1) loses its permit" (yield and pct, nothing
  // interrupted) was this: both uninterrupted runs ran before either was judged, so the check
  // of the first read the second's state, and a check that takes the permit it looks for found
  // it gone the second time.
  for (const mode of ["interrupt", "yield", "pct"] as const) {
    it.effect(`each run is judged before the next one starts, on its own state (${mode})`, () =>
      Effect.gen(function* () {
        let made = 0
        let current = { run: 0, checked: 0 }
        const judged: Array<number> = []
        const program = () => {
          current = { run: ++made, checked: 0 }
          return Effect.yieldNow
        }
        const report = yield* Interruption.explore(program, {
          mode,
          runs: 3,
          check: () =>
            Effect.suspend(() => {
              judged.push(current.run)
              return ++current.checked === 1 ? Effect.void : Effect.fail("judged twice")
            })
        })
        expect(report.failures).toEqual([])
        // Every run, the two uninterrupted ones included, judged once, in the order they ran.
        expect(made).toBe(report.runs + 2)
        expect(judged).toEqual(Array.from({ length: made }, (_, i) => i + 1))
      })
    )
  }

  it.effect("sample explores `runs` points chosen by its seed, the same ones every time", () =>
    Effect.gen(function* () {
      const { program } = makeSteps()
      // Every run fails its check: the failures' steps are the points explored.
      const explore = (sample: { runs: number; seed?: number }) =>
        Interruption.explore(program, {
          mode: "yield",
          sample,
          // Each sampled point run (no reductions), so that `runs` counts the points chosen.
          reduce: false,
          check: () => Effect.fail("explored")
        })
      const full = yield* explore({ runs: 1_000 })
      expect(full.sampled).toBeUndefined()
      expect(full.runs).toBe(full.steps)
      const chosen: Array<string> = []
      for (const seed of [1, 2, 3, 4, 5]) {
        const report = yield* explore({ runs: 4, seed })
        expect(report.runs).toBe(4)
        expect(report.sampled).toEqual({ runs: 4, seed })
        // Step 0 (the uninterrupted run) fails too, then the four points, increasing.
        const steps = report.failures.map((f) => f.step)
        expect(steps[0]).toBe(0)
        const points = steps.slice(1)
        expect(points).toHaveLength(4)
        expect(points).toEqual([...points].sort((a, b) => a - b))
        expect(new Set(points).size).toBe(4)
        expect(points.every((p) => p >= 1 && p <= report.steps)).toBe(true)
        expect(timeless(yield* explore({ runs: 4, seed }))).toEqual(timeless(report))
        chosen.push(points.join(","))
      }
      expect(new Set(chosen).size).toBeGreaterThan(1)
      const byDefault = yield* explore({ runs: 4 })
      expect(byDefault.sampled).toEqual({ runs: 4, seed: 1 })
      expect(
        byDefault.failures
          .slice(1)
          .map((f) => f.step)
          .join(",")
      ).toBe(chosen[0])
    })
  )

  it.effect("a run in which no fiber can run is a deadlock at once, naming its fibers", () =>
    Effect.gen(function* () {
      // Waits forever on nothing: no clock, no outside world. The default hangTimeout is 2 s;
      // the deadlock is reported without waiting for it (each run: microseconds).
      const program = Effect.uninterruptible(
        Effect.andThen(Effect.yieldNow, Effect.andThen(Effect.yieldNow, Effect.never))
      )
      const report = yield* Interruption.explore(program, {
        mode: "interrupt",
        hangTimeout: "1 hour"
      })
      expect(report.failures[0]).toEqual({
        mode: "interrupt",
        target: "root",
        step: 0,
        kind: "deadlock",
        message:
          "deadlocked: no fiber can run and none waits on the outside world — fiber 1 (the root, uninterruptible) suspended",
        schedule: "",
        reach: "uninterrupted"
      })
      // Told at once, every one, as Effect 3's report counts them; no wait for the bound.
      expect([
        report.failures.map((f) => f.kind),
        report.hangs,
        report.target,
        report.dryRunSteps
      ]).toEqual([
        Array.from({ length: 8 }, () => "deadlock"),
        { stuck: 8, timedOut: 0 },
        "root",
        [16, 16]
      ])
      // Two fibers waiting on each other's Deferred: each named.
      const crossed = Effect.gen(function* () {
        const a = yield* Deferred.make<void>()
        const b = yield* Deferred.make<void>()
        const child = yield* Effect.forkChild(
          Effect.andThen(Deferred.await(a), Deferred.succeed(b, undefined))
        )
        yield* Deferred.await(b)
        yield* Deferred.succeed(a, undefined)
        yield* Fiber.join(child)
      })
      const deadlock = yield* Interruption.replay(crossed, "")
      const deadlocked = {
        mode: "interrupt",
        target: "root",
        step: 0,
        kind: "deadlock",
        message:
          "deadlocked: no fiber can run and none waits on the outside world — fiber 1 (the root) suspended; fiber 2 (a child of fiber 1) suspended",
        schedule: "",
        reach: "uninterrupted"
      }
      expect(deadlock).toEqual({
        exit: undefined,
        failure: deadlocked,
        failures: [deadlocked],
        points: deadlock.points,
        schedule: ""
      })
    })
  )

  it.live(
    "a run waiting on the outside world for longer than hangTimeout is a hang",
    () =>
      Effect.gen(function* () {
        // A real timer that fires after the bound: the run waits on the outside world.
        const program = Effect.callback<void>((resume) => {
          const timer = setTimeout(() => resume(Effect.void), 60_000)
          return Effect.sync(() => clearTimeout(timer))
        })
        // Explored, a program whose cleanup waits on a real timer: each interrupted run waits
        // for the bound, and the report counts those hangs as timed out.
        const cleanupWaits = Effect.andThen(Effect.yieldNow, Effect.yieldNow).pipe(
          Effect.onInterrupt(() =>
            Effect.callback<void>((resume) => {
              const timer = setTimeout(() => resume(Effect.void), 60_000)
              return Effect.sync(() => clearTimeout(timer))
            })
          )
        )
        const report = yield* Interruption.explore(cleanupWaits, {
          mode: "interrupt",
          hangTimeout: "50 millis",
          progress: false
        })
        expect([report.failures.map((f) => [f.kind, f.message]), report.hangs]).toEqual([
          Array.from({ length: 5 }, () => [
            "hang",
            "did not finish within 50ms, waiting on the outside world — fiber 1 (the root, uninterruptible) suspended"
          ]),
          { stuck: 0, timedOut: 5 }
        ])
        const replayed = yield* Interruption.replay(program, "", { hangTimeout: "50 millis" })
        expect(replayed.failure).toEqual({
          mode: "interrupt",
          target: "root",
          step: 0,
          kind: "hang",
          message:
            "did not finish within 50ms, waiting on the outside world — fiber 1 (the root) suspended",
          schedule: "",
          reach: "uninterrupted"
        })
      }),
    60_000
  )

  it.effect("a program that dies is a failure without a check; defects: false leaves it", () =>
    Effect.gen(function* () {
      const dying = Effect.andThen(Effect.yieldNow, Effect.die(new Error("bug")))
      const report = yield* Interruption.explore(dying, { mode: "interrupt" })
      expect(report.failures[0]).toEqual({
        mode: "interrupt",
        target: "root",
        step: 0,
        kind: "defect",
        message: "the run died: Error: bug",
        schedule: "",
        reach: "uninterrupted"
      })
      const quiet = yield* Interruption.explore(dying, { mode: "interrupt", defects: false })
      expect(quiet.failures).toEqual([])
      const throwing = yield* Interruption.explore((): Effect.Effect<void> => {
        throw new Error("no program")
      })
      expect(throwing.failures[0]?.message).toBe("the run died: Error: no program")
    })
  )

  it.effect("an armed guard left behind is a leak at the steps that leave it", () =>
    Effect.gen(function* () {
      // The scope is made and closed by hand: interrupted in between, nobody closes it.
      const byHand = Effect.gen(function* () {
        const scope = yield* Scope.make()
        yield* Guard.make(Effect.void, { label: "undo" }).pipe(Scope.provide(scope))
        yield* Effect.yieldNow
        yield* Scope.close(scope, Exit.void)
      })
      const report = yield* Interruption.explore(byHand, { mode: "interrupt" })
      /** The lines of `byHand`: its `Guard.make`, then `offset` statements below it. */
      const guardAt = (offset: number) =>
        lineOf(import.meta.url, 'yield* Guard.make(Effect.void, { label: "undo" }).pipe', offset)
      expect(report.failures.length).toBeGreaterThan(0)
      expect([...new Set(report.failures.map((f) => f.message.replace(/#\d+/, "#n")))]).toEqual([
        'leaked 0 resources and 1 armed guard: guard "undo" (#n)'
      ])
      // Ten failing points, three ranges: the runtime ids (#3, #4, #5) differ from run to run
      // and do not split a range; a change of reach does (a turn start; then a point only a
      // budget under 10 reaches). The first is the make's own first point: its options are
      // checked inside its uninterruptible region, so an interruption there waits for the
      // guard to be armed.
      const leak = (id: number) => `leaked 0 resources and 1 armed guard: guard "undo" (#${id})`
      expect(report.steps).toBe(34)
      expect(report.failures.map((f) => f.step)).toEqual([14, 15, 16, 17, 18, 19, 20, 21, 22, 23])
      expect(report.ranges).toEqual([
        {
          from: 14,
          to: 21,
          points: 8,
          kind: "leak",
          message: report.failures[0]!.message,
          reach: "budget",
          reachable: true,
          fiber: "fiber 1 (the root)",
          schedule: "i14",
          mode: "interrupt",
          target: "root"
        },
        {
          from: 22,
          to: 22,
          points: 1,
          kind: "leak",
          message: report.failures[8]!.message,
          reach: "turn-start",
          reachable: true,
          fiber: "fiber 1 (the root)",
          schedule: "i22",
          mode: "interrupt",
          target: "root"
        },
        {
          from: 23,
          to: 23,
          points: 1,
          kind: "leak",
          message: report.failures[9]!.message,
          reach: "budget",
          reachable: false,
          fiber: "fiber 1 (the root)",
          schedule: "i23",
          mode: "interrupt",
          target: "root"
        }
      ])
      expect(report.ranges.map((r) => r.message.replace(/#\d+/, "#n"))).toEqual([
        leak(0).replace("#0", "#n"),
        leak(0).replace("#0", "#n"),
        leak(0).replace("#0", "#n")
      ])
      // The error's message: one line a range, the unreachable one counted apart.
      const error = yield* Effect.flip(
        Interruption.assertEveryStep(byHand, { mode: "interrupt", progress: false })
      )
      expect(
        error.message
          .split("\n")
          .slice(0, 4)
          .map((l) => l.replace(/#\d+/, "#n"))
      ).toEqual([
        "9 of 35 interruption points failed (point 0 is the run without interruption):",
        // Each range names the user's line it was interrupted at: the `yield*` of `Guard.make`
        // (steps 14-21), then of the `yieldNow` after it (step 22).
        `  steps 14-21 (leak, fiber 1 (the root), near ${guardAt(0)}): ${leak(0).replace("#0", "#n")} [replay: "i14"]`,
        `  step 22 (leak, fiber 1 (the root), near ${guardAt(1)}): ${leak(0).replace("#0", "#n")} [replay: "i22"]`,
        "  (and 1 failing run Effect's default scheduler cannot reach — only a budget under 10, or at a library's internal fiber: failOn \"any\" fails on them)"
      ])
      // The report the error carries names them too (`explore`'s, above, does not: it takes
      // a replay a range), and a replay names its own.
      expect(error.report.ranges.map((r) => r.near)).toEqual([guardAt(0), guardAt(1), guardAt(2)])
      const replayed = yield* Interruption.replay(byHand, "i15")
      expect([replayed.schedule, replayed.near]).toEqual(["i15", guardAt(0)])
      // The same with Effect.scoped: no step leaves it armed.
      const scoped = yield* Interruption.explore(
        Effect.scoped(Effect.andThen(Guard.make(Effect.void, { label: "undo" }), Effect.yieldNow))
      )
      expect(scoped.failures).toEqual([])
      expect((yield* Interruption.explore(byHand, { leaks: false })).failures).toEqual([])
    })
  )

  it.effect("runAt replays one point", () =>
    Effect.gen(function* () {
      const { seen, program } = makeSteps()
      const uninterrupted = yield* Interruption.runAt(program, 0)
      expect(uninterrupted).toEqual({
        step: 0,
        steps: uninterrupted.steps,
        reached: true,
        schedule: "",
        exit: Option.some(Exit.void),
        live: [],
        failures: []
      })
      expect(seen.reached).toBe(5)
      const interrupted = yield* Interruption.runAt(program, 1)
      const { near: _near, ...rest } = interrupted
      expect(rest).toEqual({
        step: 1,
        // The interrupted point, and the one the interruption is acted on at.
        steps: 2,
        reached: true,
        schedule: "i1",
        fiber: "fiber 1 (the root)",
        exit: interrupted.exit,
        live: [],
        failures: []
      })
      expect(Option.isSome(interrupted.exit) && Exit.hasInterrupts(interrupted.exit.value)).toBe(
        true
      )
      expect(seen).toEqual({ reached: 0, finalized: 0 })
      // Past the end: not reached, the run ends unperturbed.
      const past = yield* Interruption.runAt(program, 10_000)
      expect([past.reached, past.schedule, past.exit]).toEqual([
        false,
        "i10000",
        Option.some(Exit.void)
      ])
    })
  )

  it.effect("the program runs with the caller's services and forks inherit the harness", () =>
    Effect.gen(function* () {
      const done = yield* Deferred.make<void>()
      const report = yield* Interruption.explore(
        Effect.gen(function* () {
          const child = yield* Effect.forkChild(Effect.andThen(Effect.yieldNow, Effect.yieldNow))
          yield* Fiber.join(child)
          yield* Deferred.succeed(done, undefined)
        })
      )
      expect(yield* Deferred.isDone(done)).toBe(true)
      expect(report.failures).toEqual([])
      expect(report.steps).toBeGreaterThan(4)
    })
  )

  it.effect("invalid options die with an InvalidOptionsError when the effect runs", () =>
    Effect.gen(function* () {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ mode: "every" }, "mode"],
        [{ leaks: 0 }, "leaks"],
        [{ defects: "no" }, "defects"],
        [{ check: "yes" }, "check"],
        [{ hangTimeout: [Number.NaN, 0] }, "hangTimeout"],
        [{ hangTimeout: "5s" }, "hangTimeout"],
        [{ sample: { runs: 0 } }, "sample"],
        [{ sample: { runs: 1.5 } }, "sample"],
        [{ sample: { runs: 2, seed: "x" } }, "sample"],
        [{ sample: null }, "sample"],
        [{ sample: 3 }, "sample"],
        [{ mode: "pct", sample: { runs: 2 } }, "sample"],
        [{ mode: "exhaustive", sample: { runs: 2 } }, "sample"]
      ]
      for (const [options, option] of cases) {
        const build = () => Interruption.explore(Effect.void, options as never)
        expect(build).not.toThrow()
        const exit = yield* Effect.exit(build())
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) {
          const defect = Cause.squash(exit.cause)
          expect(defect).toBeInstanceOf(InvalidOptionsError)
          expect((defect as InvalidOptionsError).option).toBe(option)
        }
      }
    })
  )
})

describe("deterministic", () => {
  it.effect("is false when a run ends before the point it was to be perturbed at", () =>
    Effect.gen(function* () {
      // The two dry runs take ten yields, every later run one: the dry runs agree, and the
      // runs after them end before most of their points.
      let calls = 0
      const program = () =>
        Effect.gen(function* () {
          calls++
          const yields = calls <= 2 ? 10 : 1
          for (let i = 0; i < yields; i++) yield* Effect.yieldNow
        })
      const report = yield* Interruption.explore(program, {
        mode: "interrupt",
        progress: false,
        reduce: false
      })
      expect(report.unreached.length).toBeGreaterThan(0)
      expect(report.deterministic).toBe(false)
    })
  )
})

describe("a run judged every way it fails", () => {
  it.effect(
    "a run that leaks and fails its check is two failures at one step, one failing point",
    () =>
      Effect.gen(function* () {
        // A guard armed in a scope nobody closes, and a check that always fails: both, each run.
        const program = Effect.gen(function* () {
          const scope = yield* Scope.make()
          yield* Guard.make(Effect.void, { label: "undo" }).pipe(Scope.provide(scope))
        })
        const check = () => Effect.fail("always")
        const leaked = /^leaked 0 resources and 1 armed guard: guard "undo" \(#\d+\)$/
        const replayed = yield* Interruption.replay(program, "", { check })
        expect(replayed.failures.map((f) => [f.step, f.kind, f.message])).toEqual([
          [0, "leak", expect.stringMatching(leaked)],
          [0, "check", "always"]
        ])
        expect(replayed.failure).toEqual(replayed.failures[0])
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(program, {
            mode: "interrupt",
            check,
            failOn: "any",
            progress: false
          })
        )
        const { report } = error
        // Step 0 is both; every point fails its check, and those after the make leak too.
        expect(report.failures.filter((f) => f.step === 0).map((f) => f.kind)).toEqual([
          "leak",
          "check"
        ])
        const checks = report.failures.filter((f) => f.kind === "check").map((f) => f.step)
        expect(checks).toEqual(Array.from({ length: report.steps + 1 }, (_, i) => i))
        // The message's head counts failing points, not failures.
        const points = report.steps + 1
        const head = `${points} of ${points} interruption points failed (`
        expect(error.message.split("\n")[0]!.slice(0, head.length)).toBe(head)
      })
  )
})
