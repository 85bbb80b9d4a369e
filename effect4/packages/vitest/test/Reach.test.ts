/**
 * Whose fiber an interruption with `target: "holder"` hits: the program's own forks are named
 * with the line that forked them; a library's internal fibers (Effect.all's workers) are
 * `reach: "internal"`, which no user code can interrupt alone and `failOn: "reachable"` does
 * not count.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { Interruption } from "@scopeguard/vitest"

describe("whose fiber", () => {
  it.effect(
    "Effect.all's workers are a library's: reach internal; the program's own fork names its line",
    () =>
      Effect.gen(function* () {
        const program = Effect.gen(function* () {
          const mine = yield* Effect.forkChild(Effect.yieldNow)
          yield* Effect.all([Effect.yieldNow, Effect.yieldNow], { concurrency: 2 })
          yield* Fiber.join(mine)
        })
        // Every run fails, so that every point's fiber and reach are in the report.
        const report = yield* Interruption.explore(program, {
          target: "holder",
          check: () => Effect.fail("always"),
          failOn: "any",
          progress: false
        })
        const byFiber = new Map<string, Set<string>>()
        for (const f of report.failures) {
          if (f.fiber === undefined) continue
          const reaches = byFiber.get(f.fiber) ?? new Set<string>()
          reaches.add(f.reach)
          byFiber.set(f.fiber, reaches)
        }
        // The root; the program's own fork (fiber 4: Effect.all's workers ran first), named with
        // the line of its fork and reachable; Effect.all's workers, started inside one operation
        // of the program's own `yield*`, are named at that line too: no library frame lies
        // between (Effect 4's combinators push none), so they are not told apart from the
        // program's forks. The lines are the test's own (vitest 5 keeps the source map in its
        // module runner, where the explorer reads it).
        expect([...byFiber.keys()].sort()).toEqual([
          "fiber 1 (the root)",
          "fiber 2 (a daemon, forked at packages/vitest/test/Reach.test.ts:18:11)",
          "fiber 3 (a daemon, forked at packages/vitest/test/Reach.test.ts:18:11)",
          "fiber 4 (a child of fiber 1, forked at packages/vitest/test/Reach.test.ts:17:24)"
        ])
        expect([...byFiber.values()].every((reaches) => !reaches.has("internal"))).toBe(true)
      })
  )

  it.effect(
    "a library's own fiber interrupted alone is reach internal, not counted by failOn: reachable",
    () =>
      Effect.gen(function* () {
        // Effect.timeout runs its effect in a fiber of its own, forked inside the library's
        // code: interrupting that fiber alone makes the timeout fail, which no user code can do.
        const state = { exit: undefined as Exit.Exit<unknown, unknown> | undefined }
        const program = Effect.gen(function* () {
          state.exit = undefined
          state.exit = yield* Effect.exit(Effect.timeout(Effect.yieldNow, "1 second"))
        })
        const check = () =>
          Effect.suspend(() =>
            state.exit === undefined || Exit.isSuccess(state.exit)
              ? Effect.void
              : Effect.fail("the timed effect did not succeed")
          )
        const report = yield* Interruption.explore(program, {
          target: "holder",
          check,
          progress: false
        })
        const internal = report.failures.filter((f) => f.reach === "internal")
        // Every failing point is at the timeout's own fiber: 19 of them, none counted.
        expect([report.failures.length, internal.length, report.reachable]).toEqual([19, 19, 0])
        expect(new Set(internal.map((f) => f.message))).toEqual(
          new Set(["the timed effect did not succeed"])
        )
        expect(internal.every((f) => /^fiber \d+ \(a daemon, forked at /.test(f.fiber!))).toBe(true)
        // assertEveryStep (failOn: "reachable") passes when only such fibers fail; failOn "any"
        // fails on them.
        const strict = yield* Interruption.assertEveryStep(program, {
          target: "holder",
          check,
          progress: false
        })
        expect(strict.failures).toHaveLength(19)
        const any = yield* Effect.exit(
          Interruption.assertEveryStep(program, {
            target: "holder",
            failOn: "any",
            check,
            progress: false
          })
        )
        expect(Exit.isFailure(any)).toBe(true)
        // replay says the same of the schedule it runs again.
        const replayed = yield* Interruption.replay(program, internal[0]!.schedule, { check })
        const { preemptions: _p, ...found } = internal[0]!
        expect(replayed.failure).toEqual({ ...found, step: 0 })
        // With the root as the target, the timeout's fiber goes with it: nothing fails; nor
        // with the defaults, whose holder passes leave a library's own fibers alone.
        const root = yield* Interruption.explore(program, {
          mode: "interrupt",
          check,
          progress: false
        })
        expect(root.failures).toEqual([])
        const defaults = yield* Interruption.explore(program, { check, progress: false })
        expect(defaults.failures).toEqual([])
      })
  )
})
