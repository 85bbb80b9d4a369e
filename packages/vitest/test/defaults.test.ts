/**
 * The explorer's defaults (mode "all", failOn "reachable"), whose fiber a failure is in
 * (`Where.forkedAt`, `Where.internal`, reach "internal"), and reach into runtimes the program
 * did not fork from (`Interruption.layer`, `Report.outsideControl`).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, FiberRef, Layer, ManagedRuntime, Supervisor } from "effect"
import { Interruption } from "@scopeguard/vitest"
import { poisonedCache } from "./programs.js"

const passesOf = (report: Interruption.Report) =>
  report.passes.map((p) => [p.mode, p.target, p.budgets ?? []])

describe("the defaults", () => {
  it.live(
    "mode all runs four passes and finds what only a caller cut off alone shows; the fixed memo passes",
    () =>
      Effect.gen(function* () {
        const { program, fixed, check } = poisonedCache()
        const report = yield* Interruption.explore(program, { check, hangTimeout: "100 millis" })
        expect(report.mode).toBe("all")
        expect(report.failOn).toBe("reachable")
        expect(passesOf(report)).toEqual([
          ["budget", "root", [12, 32]],
          ["budget", "holder", [12, 32]],
          ["interrupt", "root", []],
          ["interrupt", "holder", []]
        ])
        // Only a holder pass finds it: the root's cancellation takes the later caller too.
        const reachable = report.failures.filter(
          (f) => f.reach !== "explorer-only" && f.reach !== "internal"
        )
        expect(reachable.length).toBeGreaterThan(0)
        expect(new Set(reachable.map((f) => f.target))).toEqual(new Set(["holder"]))
        expect(new Set(reachable.map((f) => f.message))).toEqual(new Set(["a later caller failed"]))
        // The fiber cut off is the one the program forked, named by its line.
        for (const f of reachable) {
          expect(f.where!.fiber).toBe("fiber 1")
          expect(f.where!.forkedAt).toBe("packages/vitest/test/programs.ts:140:24")
          expect(f.where!.internal).toBeUndefined()
        }
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(program, { check, hangTimeout: "100 millis" })
        )
        expect(error.message).toContain("interrupt/holder")
        const clean = yield* Interruption.assertEveryStep(fixed, {
          check,
          hangTimeout: "100 millis"
        })
        expect(clean.failures).toEqual([])
        expect(passesOf(clean)).toEqual(passesOf(report))
      }),
    120_000
  )

  it.effect("a target alone runs that one pass; mode all refuses a target", () =>
    Effect.gen(function* () {
      const one = yield* Interruption.explore(Effect.yieldNow(), { target: "holder" })
      expect(passesOf(one)).toEqual([["interrupt", "holder", []]])
      const refused = yield* Effect.exit(
        Interruption.explore(Effect.yieldNow(), { mode: "all", target: "root" })
      )
      expect(Exit.isFailure(refused) && refused.cause._tag === "Die").toBe(true)
    })
  )
})

describe("whose fiber", () => {
  it.effect(
    "Effect.all's workers are a library's: reach internal, skipped by mode all's holder passes",
    () =>
      Effect.gen(function* () {
        // Every run fails its check: where each failure is says whose fiber it was in.
        const program = Effect.gen(function* () {
          const mine = yield* Effect.fork(Effect.yieldNow())
          yield* Effect.all([Effect.yieldNow(), Effect.yieldNow()], { concurrency: 2 })
          yield* Fiber.join(mine)
        })
        const report = yield* Interruption.explore(program, {
          mode: "interrupt",
          target: "holder",
          check: () => Effect.fail("always"),
          failOn: "any"
        })
        const byFiber = new Map<string, Interruption.Where>()
        for (const f of report.failures)
          if (f.where !== undefined) byFiber.set(f.where.fiber, f.where)
        // The program's own fork, at its line; the workers of Effect.all, internal.
        expect(byFiber.get("fiber 1")!.forkedAt).toBe("packages/vitest/test/defaults.test.ts:75:24")
        expect(byFiber.get("fiber 1")!.internal).toBeUndefined()
        const internal = [...byFiber.values()].filter((w) => w.internal === true)
        expect(internal.length).toBeGreaterThan(0)
        for (const f of report.failures) {
          if (f.where?.internal === true) expect(f.reach).toBe("internal")
        }
        // Not counted as reachable.
        expect(report.reachable).toBe(
          report.failures.filter((f) => f.reach !== "internal" && f.reach !== "explorer-only")
            .length
        )
        // Mode all's interrupt/holder pass explores only fiber 1's steps.
        const all = yield* Interruption.explore(program)
        const ownSteps = new Set(
          report.failures.filter((f) => f.where?.fiber === "fiber 1").map((f) => f.step)
        )
        expect(all.passes[3]!.points).toBe(ownSteps.size)
      }),
    120_000
  )
})

describe("reach into other runtimes", () => {
  it.live(
    "a ManagedRuntime built outside the program runs unseen without Interruption.layer, seen with it",
    () =>
      Effect.gen(function* () {
        const outside = ManagedRuntime.make(Layer.empty)
        const inside = ManagedRuntime.make(Interruption.layer)
        yield* Effect.promise(() => outside.runPromise(Effect.void))
        yield* Effect.promise(() => inside.runPromise(Effect.void))
        const via = (runtime: ManagedRuntime.ManagedRuntime<never, never>) =>
          Effect.promise(() =>
            runtime.runPromise(
              Effect.gen(function* () {
                yield* Effect.yieldNow()
                yield* Effect.yieldNow()
              })
            )
          )
        const blind = yield* Interruption.explore(via(outside), { mode: "interrupt" })
        expect(blind.outsideControl).toBeGreaterThan(0)
        expect(blind.deterministic).toBe(false)
        const seen = yield* Interruption.explore(via(inside), { mode: "interrupt" })
        expect(seen.outsideControl).toBe(0)
        expect(seen.fibers).toBe(1)
        // Its steps are the run's: more of them than the blind run counted.
        expect(seen.steps).toBeGreaterThan(blind.steps)
        yield* Effect.promise(() => outside.dispose())
        yield* Effect.promise(() => inside.dispose())
      }),
    120_000
  )

  it.live(
    "the witness is the process's default supervisor only while an exploration lasts, nested ones included",
    () =>
      Effect.gen(function* () {
        const initial = () =>
          (FiberRef.currentSupervisor as unknown as { initial: Supervisor.Supervisor<unknown> })
            .initial
        const before = initial()
        expect(before).toBe(Supervisor.none)
        const during: Array<boolean> = []
        // An exploration whose program explores another: the witness is set once, and put
        // back when the outer one ends, not when the inner one does.
        const inner = Interruption.explore(Effect.yieldNow(), {
          mode: "interrupt",
          progress: false
        })
        const outer = Effect.gen(function* () {
          during.push(initial() !== before)
          yield* inner
          during.push(initial() !== before)
        })
        yield* Interruption.explore(outer, {
          mode: "interrupt",
          progress: false,
          sample: { runs: 1 }
        })
        // Both dry runs, before and after the inner exploration, then the sampled run (seed
        // 1), interrupted inside the inner one: the witness was set at each of those moments.
        expect(during).toEqual([true, true, true, true, true])
        expect(initial()).toBe(before)
        // After it, a fiber of a runtime that sets no supervisor runs unsupervised again.
        const runtime = ManagedRuntime.make(Layer.empty)
        const supervisor = yield* Effect.promise(() =>
          runtime.runPromise(FiberRef.get(FiberRef.currentSupervisor))
        )
        expect(supervisor).toBe(Supervisor.none)
        yield* Effect.promise(() => runtime.dispose())
      }),
    120_000
  )
})

describe("mode all stops early", () => {
  it.effect("a program that fails without interruption: mode all stops after its first pass", () =>
    Effect.gen(function* () {
      const report = yield* Interruption.explore(Effect.yieldNow(), {
        check: () => Effect.fail("always")
      })
      expect(passesOf(report)).toEqual([["budget", "root", [12, 32]]])
      expect(report.failures[0]).toEqual({
        step: 0,
        kind: "check",
        message: "always",
        mode: "budget",
        target: "root",
        schedule: "",
        reach: "uninterrupted"
      })
      // Then each budget's own run (its step 0) and every turn end of it: all of them fail.
      expect(report.failures.map((f) => [f.step, f.reach, f.budget])).toEqual([
        [0, "uninterrupted", undefined],
        ...[0, 30, 58, 71, 86, 96].map((step) => [step, "budget", 12]),
        ...[0, 30, 46].map((step) => [step, "budget", 32])
      ])
      expect(report.passes[0]!.failures).toBe(10)
    })
  )
})

describe("budget runs name their own fibers", () => {
  it.effect(
    "a library's fiber is told from the program's own in each budget's run (fibers are named in the order a budget starts them)",
    () =>
      Effect.gen(function* () {
        // A yields, then Effect.timeout forks a fiber of its own; the root forks B after a
        // dozen operations. At the default budget B starts before A resumes (B is fiber 2);
        // with budget 12 the root is preempted first and the timeout's fiber is fiber 2.
        // Interrupting it alone fails A's timed effect, which no user code can do: the
        // defaults must not report it (regression: it was taken for the dry runs' B, forked
        // at B's line, and counted).
        const state = { exit: undefined as Exit.Exit<unknown, unknown> | undefined }
        const program = Effect.gen(function* () {
          state.exit = undefined
          const a = yield* Effect.fork(
            Effect.gen(function* () {
              yield* Effect.yieldNow()
              state.exit = yield* Effect.exit(Effect.timeout(Effect.yieldNow(), "1 second"))
            })
          )
          for (let i = 0; i < 12; i++) yield* Effect.sync(() => i)
          const b = yield* Effect.fork(Effect.yieldNow())
          yield* Fiber.join(a)
          yield* Fiber.join(b)
        })
        const check = () =>
          Effect.suspend(() =>
            state.exit === undefined || Exit.isSuccess(state.exit)
              ? Effect.void
              : Effect.fail("the timed effect did not succeed")
          )
        const report = yield* Interruption.explore(program, { check, progress: false })
        expect(report.failures).toEqual([])
        const holder = yield* Interruption.explore(program, {
          mode: "budget",
          target: "holder",
          budgets: [12],
          check,
          progress: false
        })
        expect(
          holder.failures.map((f) => [f.step, f.reach, f.budget, f.where?.fiber, f.where?.internal])
        ).toEqual([[185, "internal", 12, "fiber 2", true]])
      }),
    120_000
  )
})
