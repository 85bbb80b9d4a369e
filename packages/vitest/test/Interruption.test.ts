import { describe, expect, it } from "@effect/vitest"
import {
  Clock,
  Deferred,
  Effect,
  Exit,
  Fiber,
  FiberHandle,
  Option,
  Ref,
  Scope,
  TestClock
} from "effect"
import { Guard, InvalidOptionsError, Resource } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"
import { poisonedCache } from "./programs.js"

/**
 * A world shared by a program and its check: the program resets it when it starts, so that
 * every run begins from scratch.
 */
const makeWorld = () => {
  const world = { open: 0, released: 0 }
  const reset = Effect.sync(() => {
    world.open = 0
    world.released = 0
  })
  const check = () =>
    world.open === 0 ? Effect.void : Effect.fail(`${world.open} handle(s) left open`)
  return { world, reset, check }
}

/**
 * The classic bug: acquire, then register the release as a second, interruptible step.
 * `before` runs between the reset and the acquisition.
 */
const acquireThenRegister = (
  w: ReturnType<typeof makeWorld>,
  before: Effect.Effect<void> = Effect.void
) =>
  Effect.scoped(
    Effect.gen(function* () {
      yield* w.reset
      yield* before
      yield* Effect.sync(() => {
        w.world.open++
      })
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          w.world.open--
        })
      )
      yield* Effect.yieldNow()
    })
  )

/** The same done right: `Effect.acquireRelease`. */
const acquireRelease = (w: ReturnType<typeof makeWorld>) =>
  Effect.scoped(
    Effect.gen(function* () {
      yield* w.reset
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          w.world.open++
        }),
        () =>
          Effect.sync(() => {
            w.world.open--
          })
      )
      yield* Effect.yieldNow()
    })
  )

describe("Interruption.explore", () => {
  it.effect(
    "finds the window between an acquisition and the registration of its release",
    () =>
      Effect.gen(function* () {
        const w = makeWorld()
        const program = acquireThenRegister(w)
        const report = yield* Interruption.explore(program, { mode: "interrupt", check: w.check })
        expect(report.deterministic).toBe(true)
        // Every point is run, or covered by an equivalent point's run.
        expect(report.reduced!.points).toBeGreaterThan(0)
        expect(report.runs + report.reduced!.points).toBe(report.steps)
        expect(report.unreached).toEqual([])
        expect(report.failures.length).toBeGreaterThan(0)
        // Every failure is the same leak, in the root fiber, and the failing steps form one
        // window: one range. The program runs in one turn from its first step, so step k is
        // k - 1 operations into it: the default scheduler preempts there with that budget.
        for (const failure of report.failures) {
          expect(failure).toEqual({
            mode: "interrupt",
            target: "root",
            step: failure.step,
            kind: "check",
            message: "1 handle(s) left open",
            schedule: `i${failure.step}`,
            fiber: "root",
            where: { fiber: "root", op: failure.where!.op, turn: failure.step - 1 },
            reach: "budget"
          })
        }
        expect(report.reachable).toBe(report.failures.length)
        expect(report.ranges).toEqual([
          {
            mode: "interrupt",
            target: "root",
            from: report.failures[0]!.step,
            to: report.failures[report.failures.length - 1]!.step,
            points: report.failures.length,
            kind: "check",
            message: "1 handle(s) left open",
            reach: "budget",
            reachable: true,
            fiber: "root",
            schedule: `i${report.failures[0]!.step}`,
            // `explore` reads no `near` (assertEveryStep and runAt do).
            where: report.failures[0]!.where
          }
        ])
        const steps = report.failures.map((f) => f.step)
        const first = steps[0]!
        expect(steps).toEqual(steps.map((_, i) => first + i))
        // Replaying a failing point reproduces it; the point just before the window is fine.
        const replay = yield* Interruption.runAt(program, first, {
          mode: "interrupt",
          check: w.check
        })
        expect(replay.reached).toBe(true)
        expect(replay.failures).toEqual([report.failures[0]])
        // The user's line the step is at: the `yield*` of the `Effect.addFinalizer`
        // (acquireThenRegister, above).
        expect(replay.where).toEqual({
          ...report.failures[0]!.where,
          near: "packages/vitest/test/Interruption.test.ts:48:7"
        })
        const before = yield* Interruption.runAt(program, first - 1, {
          mode: "interrupt",
          check: w.check
        })
        expect(before.failures).toEqual([])
      }),
    120_000
  )

  it.effect(
    "finds nothing in acquireRelease, and interrupts every step",
    () =>
      Effect.gen(function* () {
        const w = makeWorld()
        const report = yield* Interruption.explore(acquireRelease(w), {
          mode: "interrupt",
          check: w.check
        })
        expect(report.failures).toEqual([])
        expect(report.steps).toBeGreaterThan(10)
        expect(report.unreached).toEqual([])
        expect(report.deterministic).toBe(true)
      }),
    120_000
  )

  it.effect(
    "every interrupted run ends interrupted, and the dry run succeeds",
    () =>
      Effect.gen(function* () {
        const exits: Array<Exit.Exit<unknown, unknown>> = []
        const program = Effect.zipRight(Effect.yieldNow(), Effect.succeed("done"))
        // reduce: false runs every point (the check sees every run).
        const report = yield* Interruption.explore(program, {
          mode: "interrupt",
          reduce: false,
          check: (exit) => Effect.sync(() => exits.push(exit))
        })
        expect(exits[0]).toEqual(Exit.succeed("done"))
        expect(exits.slice(1).every(Exit.isInterrupted)).toBe(true)
        expect(exits).toHaveLength(report.steps + 1)
      }),
    120_000
  )

  it.effect(
    "reports a Resource left acquired and a Guard left armed, by label",
    () =>
      Effect.gen(function* () {
        const program = Effect.gen(function* () {
          const scope = yield* Scope.make()
          yield* Resource.make(Effect.void, () => Effect.void, { label: "db" }).pipe(
            Scope.extend(scope)
          )
          yield* Guard.make(Effect.void, { label: "undo" }).pipe(Scope.extend(scope))
          // the scope is never closed
        })
        const replay = yield* Interruption.runAt(program, 1_000_000, { mode: "interrupt" })
        expect(replay.reached).toBe(false)
        expect(replay.live.map((e) => [e.kind, e.label])).toEqual([
          ["resource", "db"],
          ["guard", "undo"]
        ])
        expect(replay.failures).toHaveLength(1)
        expect(replay.failures[0]!.kind).toBe("leak")
        expect(replay.failures[0]!.message).toMatch(
          /^leaked 1 resource and 1 armed guard: resource "db" \(#\d+\), guard "undo" \(#\d+\)$/
        )
        const ignored = yield* Interruption.runAt(program, 1_000_000, {
          mode: "interrupt",
          leaks: false
        })
        expect(ignored.failures).toEqual([])
      }),
    120_000
  )

  it.live(
    "reports a run that does not finish after its interruption as a hang",
    () =>
      Effect.gen(function* () {
        // Interrupted while working, the cleanup waits for something that never comes.
        const program = Effect.uninterruptibleMask((restore) =>
          restore(Effect.yieldNow()).pipe(Effect.onInterrupt(() => Effect.never))
        )
        const report = yield* Interruption.explore(program, {
          mode: "interrupt",
          hangTimeout: "20 millis"
        })
        expect(report.failures.length).toBeGreaterThan(0)
        expect(report.failures.every((f) => f.kind === "hang")).toBe(true)
        expect(report.failures[0]!.message).toBe(
          "did not finish within 20ms after its interruption"
        )
      }),
    120_000
  )

  it.effect(
    "says when two dry runs take different numbers of steps",
    () =>
      Effect.gen(function* () {
        let runs = 0
        const program = Effect.suspend(() => Effect.repeatN(Effect.void, runs++ * 3))
        const report = yield* Interruption.explore(program, { mode: "interrupt" })
        expect(report.deterministic).toBe(false)
        expect(report.dryRunSteps[1]).toBeGreaterThan(report.dryRunSteps[0])
        // Later runs are longer still, so no step is unreached; a shrinking program would list them.
        expect(report.unreached).toEqual([])
      }),
    120_000
  )

  it.effect(
    "lists the steps a shorter run never reached",
    () =>
      Effect.gen(function* () {
        let runs = 0
        const program = Effect.suspend(() => Effect.repeatN(Effect.void, runs++ === 0 ? 20 : 0))
        const report = yield* Interruption.explore(program, { mode: "interrupt" })
        expect(report.deterministic).toBe(false)
        expect(report.unreached.length).toBeGreaterThan(0)
        expect(report.unreached).toEqual(
          report.unreached.map((_, i) => report.steps - report.unreached.length + 1 + i)
        )
      }),
    120_000
  )

  it.effect(
    "a check receives the exit of a program that fails on its own",
    () =>
      Effect.gen(function* () {
        const seen = yield* Ref.make<Array<string>>([])
        const report = yield* Interruption.explore(Effect.fail("no"), {
          mode: "interrupt",
          reduce: false,
          check: (exit) =>
            Ref.update(seen, (s) => [...s, Exit.isInterrupted(exit) ? "interrupted" : exit._tag])
        })
        expect(yield* Ref.get(seen)).toEqual([
          "Failure",
          ...Array(report.steps).fill("interrupted")
        ])
      }),
    120_000
  )

  it.effect(
    "explores the fibers a program forks",
    () =>
      Effect.gen(function* () {
        const w = makeWorld()
        const program = Effect.gen(function* () {
          yield* w.reset
          const ready = yield* Deferred.make<void>()
          const child = yield* Effect.fork(
            Effect.scoped(
              Effect.gen(function* () {
                yield* Effect.sync(() => {
                  w.world.open++
                })
                yield* Effect.addFinalizer(() =>
                  Effect.sync(() => {
                    w.world.open--
                  })
                )
                yield* Deferred.succeed(ready, undefined)
              })
            )
          )
          yield* Deferred.await(ready)
          yield* Effect.fromFiber(child)
        })
        const report = yield* Interruption.explore(program, { mode: "interrupt", check: w.check })
        expect(report.failures.length).toBeGreaterThan(0)
        expect(report.failures.every((f) => f.message === "1 handle(s) left open")).toBe(true)
      }),
    120_000
  )
})

describe("yield mode", () => {
  /** Two fibers each add 1 to a shared total with `add`; the check wants 2. */
  const makeCounter = (add: (state: { total: number }) => Effect.Effect<void>) => {
    const state = { total: 0 }
    const program = Effect.gen(function* () {
      state.total = 0
      const a = yield* Effect.fork(add(state))
      const b = yield* Effect.fork(add(state))
      yield* Fiber.join(a)
      yield* Fiber.join(b)
    })
    const check = () => (state.total === 2 ? Effect.void : Effect.fail(`total ${state.total}`))
    return { program, check }
  }

  it.effect(
    "an atomic update passes at every yield point, and every step is reached",
    () =>
      Effect.gen(function* () {
        const { program, check } = makeCounter((state) =>
          Effect.sync(() => {
            state.total++
          })
        )
        const report = yield* Interruption.assertEveryStep(program, { mode: "yield", check })
        expect(report.mode).toBe("yield")
        expect(report.failures).toEqual([])
        expect(report.unreached).toEqual([])
      }),
    120_000
  )

  it.effect(
    "finds an interleaving bug that no single run shows",
    () =>
      Effect.gen(function* () {
        // Read and write in one synchronous block each, with a step between them: only a
        // yield at exactly that step lets the other fiber in, and the update is lost.
        const { program, check } = makeCounter((state) =>
          Effect.flatMap(
            Effect.sync(() => state.total),
            (read) =>
              Effect.sync(() => {
                state.total = read + 1
              })
          )
        )
        const dry = yield* Interruption.runAt(program, 0, { mode: "interrupt" })
        expect(dry.failures).toEqual([])
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(program, { mode: "yield", check, failOn: "any" })
        )
        const failing = error.report.failures.map((f) => f.step)
        expect(failing.length).toBeGreaterThan(0)
        expect(error.message.split("\n")[0]).toBe(
          `${failing.length} of ${error.report.steps + 1} yield points failed (${error.report.steps} steps; step 0 is the run without a forced yield):`
        )
        expect(error.message).toContain(
          `replay one with: Interruption.replay(program, "y${failing[0]}", { check })`
        )
      }),
    120_000
  )
})

describe("Interruption.assertEveryStep", () => {
  it.effect(
    "fails with a message naming the failing steps and how to replay one",
    () =>
      Effect.gen(function* () {
        const w = makeWorld()
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(acquireThenRegister(w), {
            mode: "interrupt",
            check: w.check
          })
        )
        const { report } = error
        const failing = report.failures.map((f) => f.step)
        expect(error._tag).toBe("InterruptionError")
        expect(error.message).toBe(
          [
            `${failing.length} of ${report.steps + 1} interruption points failed (${report.steps} steps; step 0 is the run without interruption):`,
            `  steps ${failing[0]}-${failing[failing.length - 1]} [check] 1 handle(s) left open (root, ${report.failures[0]!.where!.op}, near packages/vitest/test/Interruption.test.ts:48:7, turn: ${failing[0]! - 1}, reachable with budget ${failing[0]! - 1}) [replay: "i${failing[0]}"]`,
            // What report.reduced says: the points covered by equivalence, by equivalence.
            `note: ${report.reduced!.points} of the ${report.steps + 1} points shared an equivalent point's run (deferred interruption ${report.reduced!.deferred}, continuation ${report.reduced!.continuation}; reduce: false runs each)`,
            `replay one with: Interruption.replay(program, "i${failing[0]}", { check })`
          ].join("\n")
        )
      }),
    120_000
  )

  it.effect(
    "succeeds with the report when every step passes",
    () =>
      Effect.gen(function* () {
        const w = makeWorld()
        const report = yield* Interruption.assertEveryStep(acquireRelease(w), {
          mode: "interrupt",
          check: w.check
        })
        expect(report.failures).toEqual([])
      }),
    120_000
  )

  it.effect(
    "runAt on a step past the end runs the program uninterrupted",
    () =>
      Effect.gen(function* () {
        const replay = yield* Interruption.runAt(Effect.succeed(1), 10_000, { mode: "interrupt" })
        expect(replay.reached).toBe(false)
        expect(replay.exit).toEqual(Option.some(Exit.succeed(1)))
      }),
    120_000
  )
})

describe("invalid options", () => {
  it.effect(
    "die with InvalidOptionsError when the effect runs; building never throws",
    () =>
      Effect.gen(function* () {
        const program = Effect.void
        const build = () =>
          Interruption.explore(program, { mode: "interrupt", hangTimeout: "1s" as "1 second" })
        expect(build).not.toThrow()
        expect(yield* Effect.exit(build())).toEqual(
          Exit.die(
            new InvalidOptionsError({
              option: "hangTimeout",
              value: "1s",
              reason: InvalidOptionsError.durationReason
            })
          )
        )
        expect(yield* Effect.exit(Interruption.runAt(program, -1, { mode: "interrupt" }))).toEqual(
          Exit.die(
            new InvalidOptionsError({
              option: "step",
              value: -1,
              reason: "is not a non-negative integer"
            })
          )
        )
        expect(
          yield* Effect.exit(Interruption.explore(program, { mode: "sometimes" as "yield" }))
        ).toEqual(
          Exit.die(
            new InvalidOptionsError({
              option: "mode",
              value: "sometimes",
              reason: 'is not "all", "interrupt", "yield" or "budget"'
            })
          )
        )
      }),
    120_000
  )
})

describe("reach, isolation and reports", () => {
  /** Opens a handle, then registers its close in a later step: the classic window. */
  const leaky = (w: ReturnType<typeof makeWorld>["world"]) =>
    Effect.gen(function* () {
      yield* Effect.sync(() => {
        w.open++
      })
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          w.open--
        })
      )
    })

  it.effect(
    "sees the fibers FiberHandle.run starts, and finds a leak inside one",
    () =>
      Effect.gen(function* () {
        const { world, reset, check } = makeWorld()
        const program = Effect.scoped(
          Effect.gen(function* () {
            yield* reset
            const handle = yield* FiberHandle.make()
            const fiber = yield* FiberHandle.run(handle, Effect.scoped(leaky(world)))
            yield* Fiber.await(fiber)
          })
        )
        const report = yield* Interruption.explore(program, { mode: "interrupt", check })
        expect(report.fibers).toBe(1)
        // The window is inside the FiberHandle's fiber: it is found, and named as that fiber.
        expect(report.ranges.map((r) => [r.kind, r.message, r.where?.fiber])).toEqual([
          ["check", "1 handle(s) left open", "fiber 1"]
        ])
      }),
    120_000
  )

  it.effect(
    "a fiber left running after the run is a failure; fibers: false turns it off",
    () =>
      Effect.gen(function* () {
        const program = Effect.asVoid(Effect.forkDaemon(Effect.never))
        const report = yield* Interruption.explore(program, { mode: "interrupt" })
        // Every run that got as far as forking the daemon left it running, and names it.
        const message =
          /^1 fiber of the run still running after it ended: fiber 1 \(#\d+, forked by root\)$/
        expect(report.failures[0]).toEqual({
          mode: "interrupt",
          target: "root",
          step: 0,
          kind: "fibers",
          message: expect.stringMatching(message),
          schedule: "",
          reach: "uninterrupted"
        })
        expect(report.failures.every((f) => f.kind === "fibers" && message.test(f.message))).toBe(
          true
        )
        const off = yield* Interruption.explore(program, { mode: "interrupt", fibers: false })
        expect(off.failures).toEqual([])
      }),
    120_000
  )

  it.effect(
    "under test services each run gets a fresh TestClock",
    () =>
      Effect.gen(function* () {
        // The check reads the time the run started at: with a shared clock it would grow.
        const startedAt: Array<number> = []
        const program = Effect.gen(function* () {
          startedAt.push(yield* Clock.currentTimeMillis)
          yield* Effect.fork(Effect.sleep("1 second"))
          yield* TestClock.adjust("1 second")
        })
        // A sample of the steps keeps it short: adjust can hit the upstream wedge (hangs).
        const report = yield* Interruption.explore(program, {
          mode: "interrupt",
          fibers: false,
          hangTimeout: "50 millis",
          sample: { runs: 30 }
        })
        expect(report.isolated).toBe(true)
        expect(startedAt.length).toBeGreaterThan(report.runs / 2)
        expect(new Set(startedAt)).toEqual(new Set([0]))
        // Shared (isolate: false), the second run already starts where the first left the clock.
        startedAt.length = 0
        yield* Interruption.runAt(program, 1_000_000, { mode: "interrupt", isolate: false })
        yield* Interruption.runAt(program, 1_000_000, { mode: "interrupt", isolate: false })
        expect(startedAt[1]).not.toBe(startedAt[0])
      }),
    120_000
  )

  it.effect(
    "a program that wedges its TestClock is reported at its own steps",
    () =>
      Effect.gen(function* () {
        // Interrupted at the wrong step, TestClock.adjust loses its Semaphore's permit (an
        // upstream bug, Effect-TS/effect#6910) and that run's clock hangs. Shared, it would hang
        // every run after it (and the explorer with them); fresh per run, only its own.
        const program = Effect.zipRight(
          Effect.fork(Effect.sleep("1 second")),
          TestClock.adjust("1 second")
        )
        const report = yield* Interruption.explore(program, {
          mode: "interrupt",
          fibers: false,
          hangTimeout: "50 millis"
        })
        expect(report.isolated).toBe(true)
        expect(report.failures.length).toBeGreaterThan(0)
        expect(report.failures.every((f) => f.kind === "hang")).toBe(true)
        // Replaying one failing step alone reproduces it: the hang belongs to that step. (The
        // first window of several steps, and a generous bound for the replays: on a loaded
        // machine a lone step may pass 50 ms without being stuck.)
        const window = report.ranges.find((r) => r.to - r.from >= 2)!
        const replay = yield* Interruption.runAt(program, window.from, {
          mode: "interrupt",
          fibers: false,
          hangTimeout: "1 second"
        })
        expect(replay.failures.map((f) => f.kind)).toEqual(["hang"])
        const before = yield* Interruption.runAt(program, window.from - 1, {
          mode: "interrupt",
          fibers: false,
          hangTimeout: "1 second"
        })
        expect(before.failures).toEqual([])
      }),
    120_000
  )

  it.effect(
    "a program factory is called once per run: each run starts from fresh state",
    () =>
      Effect.gen(function* () {
        let made = 0
        const report = yield* Interruption.explore(
          () => {
            made++
            const local = { open: 0 }
            return Effect.scoped(
              Effect.gen(function* () {
                yield* Effect.acquireRelease(
                  Effect.sync(() => local.open++),
                  () => Effect.sync(() => local.open--)
                )
              })
            )
          },
          { mode: "interrupt" }
        )
        // The two dry runs, then one run per point run (`runs`, as on Effect 4).
        expect(made).toBe(report.runs + 2)
      }),
    120_000
  )

  it.effect(
    "the report is plain data: JSON round-trips it",
    () =>
      Effect.gen(function* () {
        const { world, reset, check } = makeWorld()
        const report = yield* Interruption.explore(
          Effect.scoped(Effect.zipRight(reset, leaky(world))),
          { mode: "interrupt", check }
        )
        expect(JSON.parse(JSON.stringify(report))).toEqual(report)
      }),
    120_000
  )
})

describe("sampling", () => {
  it.effect(
    "explores the steps a seed picks, the same ones every time, and says so",
    () =>
      Effect.gen(function* () {
        const w = makeWorld()
        const program = acquireThenRegister(w)
        const full = yield* Interruption.explore(program, { mode: "interrupt", check: w.check })
        // Each sampled point run on its own (reduce: false); the full sweep reduced.
        const options = {
          mode: "interrupt" as const,
          check: w.check,
          sample: { runs: 20, seed: 7 },
          reduce: false
        }
        const a = yield* Interruption.explore(program, options)
        const b = yield* Interruption.explore(program, options)
        expect(a.sampled).toEqual({ runs: 20, seed: 7 })
        expect(a.runs).toBe(20)
        expect(a.failures).toEqual(b.failures)
        // What the sample finds is exactly what the full sweep finds at those steps.
        const fullAt = new Map(full.failures.map((f) => [f.step, f]))
        for (const failure of a.failures) expect(fullAt.get(failure.step)).toEqual(failure)
        if (a.failures.length > 0) {
          const error = yield* Effect.flip(Interruption.assertEveryStep(program, options))
          expect(error.message).toContain(
            `note: sampled: 20 of the ${a.steps} steps were explored (seed 7)`
          )
        }
        // More runs than steps: every step, no sampling.
        const all = yield* Interruption.explore(program, {
          mode: "interrupt",
          check: w.check,
          sample: { runs: 10_000 }
        })
        expect(all.sampled).toBeUndefined()
        expect(all.failures).toEqual(full.failures)
      }),
    120_000
  )
})

describe("budget mode and reach", () => {
  /** The classic window, right after the fiber resumes from a yield: 2 to 6 operations into a turn. */
  const afterResume = (w: ReturnType<typeof makeWorld>) => acquireThenRegister(w, Effect.yieldNow())

  it.effect(
    "budget mode finds the window where the runtime ends a turn; acquireRelease passes",
    () =>
      Effect.gen(function* () {
        const w = makeWorld()
        const report = yield* Interruption.explore(acquireThenRegister(w), {
          check: w.check,
          mode: "budget",
          budgets: [10, 16, 2048]
        })
        // Only the runtime's own turn ends are points: every budget's turns, and at 2048 the
        // program's own yield (after the window, so nothing fails there).
        expect(report.budgets!.map((b) => [b.budget, b.points > 0])).toEqual([
          [10, true],
          [16, true],
          [2048, true]
        ])
        // The perturbed runs: one per turn end (the dry runs and each budget's own run not counted).
        expect(report.runs).toBe(report.budgets!.reduce((n, b) => n + b.points, 0))
        expect(report.failures.length).toBeGreaterThan(0)
        for (const failure of report.failures) {
          expect([failure.kind, failure.message, failure.reach, failure.where?.fiber]).toEqual([
            "check",
            "1 handle(s) left open",
            "budget",
            "root"
          ])
        }
        expect([...new Set(report.failures.map((f) => f.budget))]).toEqual([10, 16])
        // Replay is exact: the same budget and step reproduce it; another budget does not.
        const first = report.failures[0]!
        const replay = yield* Interruption.runAt(acquireThenRegister(w), first.step, {
          check: w.check,
          mode: "budget",
          budget: first.budget!
        })
        expect(replay.failures).toEqual([first])
        const fixed = yield* Interruption.explore(acquireRelease(w), {
          check: w.check,
          mode: "budget",
          budgets: [10, 16, 2048]
        })
        expect(fixed.failures).toEqual([])
      }),
    120_000
  )

  it.effect(
    "a window right after a resume is labelled explorer-only, and no budget reaches it",
    () =>
      Effect.gen(function* () {
        const w = makeWorld()
        const report = yield* Interruption.explore(afterResume(w), {
          mode: "interrupt",
          check: w.check
        })
        expect(report.failures.map((f) => [f.reach, f.where!.turn])).toEqual([
          ["explorer-only", 2],
          ["explorer-only", 3],
          ["explorer-only", 4],
          ["explorer-only", 5],
          ["explorer-only", 6]
        ])
        expect(report.reachable).toBe(0)
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(afterResume(w), {
            mode: "interrupt",
            check: w.check,
            failOn: "any"
          })
        )
        expect(error.message).toContain(
          'note: 5 of the 5 failures are at points Effect\'s default scheduler cannot reach (failOn: "reachable", the default, ignores them)'
        )
        // The same report, but for the pass's wall-clock time.
        const timeless = (r: Interruption.Report) => ({
          ...r,
          passes: r.passes.map((p) => ({ ...p, millis: 0 }))
        })
        expect(
          timeless(
            yield* Interruption.assertEveryStep(afterResume(w), {
              mode: "interrupt",
              check: w.check,
              failOn: "reachable"
            })
          )
        ).toEqual(timeless(report))
        const budget = yield* Interruption.explore(afterResume(w), {
          check: w.check,
          mode: "budget"
        })
        expect(budget.failures).toEqual([])
      }),
    120_000
  )

  it.effect(
    "names the span and the line that made it",
    () =>
      Effect.gen(function* () {
        const w = makeWorld()
        const openConnection = Effect.fn("openConnection")(function* () {
          yield* w.reset
          yield* Effect.sync(() => {
            w.world.open++
          })
          yield* Effect.addFinalizer(() =>
            Effect.sync(() => {
              w.world.open--
            })
          )
        })
        const report = yield* Interruption.explore(Effect.scoped(openConnection()), {
          mode: "interrupt",
          check: w.check
        })
        expect(report.ranges.length).toBe(1)
        expect(report.ranges[0]!.where!.span).toBe("openConnection")
        expect(report.ranges[0]!.where!.source).toMatch(
          /^packages\/vitest\/test\/Interruption\.test\.ts:\d+:\d+$/
        )
      }),
    120_000
  )

  it.effect(
    "target: holder interrupts the fiber at the step: a shared memo an interrupted caller poisons",
    () =>
      Effect.gen(function* () {
        // Effect.cached remembers how its first caller ended; the fixed memo keeps a value only.
        const { program: poisoned, fixed: retried, check } = poisonedCache()
        const hangTimeout = "100 millis"
        const found: Record<string, ReadonlyArray<string>> = {}
        for (const mode of ["interrupt", "budget"] as const) {
          const bad = yield* Interruption.explore(poisoned, {
            check,
            mode,
            target: "holder",
            hangTimeout
          })
          found[mode] = [...new Set(bad.failures.map((f) => `${f.message} (${f.reach})`))].sort()
          expect(bad.target).toBe("holder")
          const good = yield* Interruption.explore(retried, { check, mode, target: "holder" })
          expect(good.failures).toEqual([])
        }
        // Interrupt mode also finds a hang, at points only it preempts.
        expect(found).toEqual({
          interrupt: [
            "a later caller failed (budget)",
            "a later caller failed (explorer-only)",
            "a later caller failed (turn-start)",
            "did not finish within 100ms after its interruption (explorer-only)"
          ],
          budget: ["a later caller failed (budget)"]
        })
        // With the root as the target, the later caller never runs: nothing to see.
        expect(
          (yield* Interruption.explore(poisoned, { mode: "interrupt", check })).failures
        ).toEqual([])
      }),
    120_000
  )

  it.effect(
    "a race that a budget shows without any interruption fails at that budget's step 0",
    () =>
      Effect.gen(function* () {
        // A lost update: each fiber reads the count, does a dozen operations, writes it back.
        // At Effect's default budget the root's increment runs in one turn, then the other's:
        // 2. With 12 operations a turn the root is preempted between its read and its write
        // and the other fiber reads the same count: 1. No interruption is needed, so the run
        // that shows it is the budget's own uninterrupted run.
        const world = { count: 0 }
        const increment = Effect.gen(function* () {
          const seen = world.count
          for (let i = 0; i < 12; i++) yield* Effect.sync(() => i)
          world.count = seen + 1
        })
        const program = Effect.gen(function* () {
          yield* Effect.sync(() => {
            world.count = 0
          })
          const other = yield* Effect.fork(increment)
          yield* increment
          yield* Fiber.join(other)
        })
        const check = (exit: Exit.Exit<unknown, unknown>) =>
          Exit.isSuccess(exit) && world.count !== 2
            ? Effect.fail(`count ${world.count}`)
            : Effect.void
        const plain = yield* Interruption.explore(program, { check, mode: "interrupt" })
        expect(plain.failures).toEqual([])
        const report = yield* Interruption.explore(program, {
          check,
          mode: "budget",
          budgets: [12, 2048]
        })
        expect(report.failures).toEqual([
          {
            step: 0,
            kind: "check",
            message: "count 1",
            mode: "budget",
            target: "root",
            schedule: "b12",
            reach: "budget",
            budget: 12
          }
        ])
        expect(report.reachable).toBe(1)
        // The message counts the budgets' own runs among its points.
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(program, { check, mode: "budget", budgets: [12, 2048] })
        )
        expect(error.message.split("\n")).toEqual([
          "1 of 17 budget points failed (budgets 12, 2048: 14 turn ends, and each budget's own run as its step 0; 67 steps at the default budget; point 0 is the run without interruption):",
          '  budget 12, step 0 [check] count 1 (reached with budget 12) [replay: "b12"]',
          'replay one with: Interruption.replay(program, "b12", { check })'
        ])
        // Replayed: step 0 of budget 12 is that run; at 2048 it passes.
        const replay = yield* Interruption.runAt(program, 0, { check, mode: "budget", budget: 12 })
        expect(replay.failures).toEqual(report.failures)
        const fine = yield* Interruption.runAt(program, 0, { check, mode: "budget", budget: 2048 })
        expect(fine.failures).toEqual([])
      }),
    120_000
  )

  it.effect(
    "budget options are checked",
    () =>
      Effect.gen(function* () {
        expect(
          yield* Effect.exit(Interruption.explore(Effect.void, { mode: "budget", budgets: [9] }))
        ).toEqual(
          Exit.die(
            new InvalidOptionsError({
              option: "budgets",
              value: [9],
              reason: "is not a non-empty array of integers of at least 10"
            })
          )
        )
        expect(yield* Effect.exit(Interruption.runAt(Effect.void, 1, { mode: "budget" }))).toEqual(
          Exit.die(
            new InvalidOptionsError({
              option: "budget",
              value: undefined,
              reason: "is required to replay in budget mode (the report names each point's budget)"
            })
          )
        )
        expect(
          yield* Effect.exit(Interruption.explore(Effect.void, { target: "child" as "holder" }))
        ).toEqual(
          Exit.die(
            new InvalidOptionsError({
              option: "target",
              value: "child",
              reason: 'is not "root" or "holder"'
            })
          )
        )
      }),
    120_000
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
          yield* Guard.make(Effect.void, { label: "undo" }).pipe(Scope.extend(scope))
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
