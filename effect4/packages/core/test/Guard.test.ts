import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Scope } from "effect"
import { Guard } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"
import { expectStillWaiting, finalizerCount, makeBlockedCleanup, makeLog } from "./util.js"

const closeScopeWith = (
  exit: Exit.Exit<unknown, unknown>,
  make: Effect.Effect<Guard.Guard, never, Scope.Scope>
) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const guard = yield* Scope.provide(make, scope)
    yield* Scope.close(scope, exit)
    return yield* Guard.state(guard)
  })

describe("Guard", () => {
  it.effect("seed: a guard's cleanup runs when its scope ends", () =>
    Effect.gen(function* () {
      const log = makeLog()
      yield* Effect.scoped(Guard.make(log.add("cleanup")))
      expect(log.events).toEqual(["cleanup"])
    })
  )

  it.effect("seed exercise: a guard with a counter, disarmed, does not increment it", () =>
    Effect.gen(function* () {
      let counter = 0
      const increment = Effect.sync(() => {
        counter++
      })
      yield* Effect.scoped(Effect.flatMap(Guard.make(increment), Guard.disarm))
      expect(counter).toBe(0)
      yield* Effect.scoped(Guard.make(increment))
      expect(counter).toBe(1)
    })
  )

  describe("strategies", () => {
    const outcomes = [Exit.void, Exit.fail("boom"), Exit.die("bug"), Exit.interrupt()] as const

    it.effect("make (always) runs on every exit and receives it", () =>
      Effect.gen(function* () {
        const seen: Array<Exit.Exit<unknown, unknown>> = []
        for (const exit of outcomes) {
          const state = yield* closeScopeWith(
            exit,
            Guard.make((e) => Effect.sync(() => seen.push(e)))
          )
          expect(state).toEqual({ _tag: "Ran", exit: Exit.succeed(seen.length), by: "scope" })
        }
        expect(seen).toEqual([...outcomes])
      })
    )

    it.effect("onSuccess runs only on success; otherwise it is Skipped", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const states = []
        for (const exit of outcomes) {
          states.push(yield* closeScopeWith(exit, Guard.onSuccess(log.add(`commit ${exit._tag}`))))
        }
        expect(log.events).toEqual(["commit Success"])
        expect(states).toEqual([
          { _tag: "Ran", exit: Exit.void, by: "scope" },
          { _tag: "Skipped", scopeExit: Exit.fail("boom") },
          { _tag: "Skipped", scopeExit: Exit.die("bug") },
          { _tag: "Skipped", scopeExit: Exit.interrupt() }
        ])
      })
    )

    it.effect("onFailure runs on failure, defect and interruption, not on success", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const states = []
        for (const exit of outcomes) {
          states.push(
            yield* closeScopeWith(
              exit,
              Guard.onFailure((e) => log.add(`rollback ${e._tag}`))
            )
          )
        }
        expect(log.events).toEqual(["rollback Failure", "rollback Failure", "rollback Failure"])
        expect(states.map((s) => s._tag)).toEqual(["Skipped", "Ran", "Ran", "Ran"])
      })
    )

    it.effect("make with when: success / failure equals onSuccess / onFailure", () =>
      Effect.gen(function* () {
        const log = makeLog()
        yield* Effect.exit(
          Effect.scoped(
            Effect.gen(function* () {
              const a = yield* Guard.make(log.add("success"), { when: "success" })
              const b = yield* Guard.make(log.add("failure"), { when: "failure" })
              const c = yield* Guard.make(log.add("always"))
              expect([a.when, b.when, c.when]).toEqual(["success", "failure", "always"])
              yield* Effect.fail("x")
            })
          )
        )
        expect(log.events).toEqual(["always", "failure"])
      })
    )
  })

  describe("disarm", () => {
    it.effect("removes the cleanup: true once, then false; the scope shrinks back", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const scope = yield* Scope.make()
        const g = yield* Guard.make(log.add("cleanup")).pipe(Scope.provide(scope))
        expect(finalizerCount(scope)).toBe(1)
        expect(yield* Guard.disarm(g)).toBe(true)
        expect(finalizerCount(scope)).toBe(0)
        expect(yield* Guard.disarm(g)).toBe(false)
        expect(yield* Guard.runNow(g)).toBe(false)
        expect(yield* Guard.isArmed(g)).toBe(false)
        expect(yield* Guard.state(g)).toEqual({ _tag: "Disarmed" })
        yield* Scope.close(scope, Exit.void)
        expect(log.events).toEqual([])
      })
    )

    it.effect("after the cleanup ran, or was skipped, disarm is false", () =>
      Effect.gen(function* () {
        const ran = yield* Effect.scoped(Guard.make(Effect.void))
        expect(yield* Guard.disarm(ran)).toBe(false)
        const skipped = yield* Effect.scoped(Guard.onFailure(Effect.void))
        expect(yield* Guard.disarm(skipped)).toBe(false)
        expect(yield* Guard.state(skipped)).toEqual({
          _tag: "Skipped",
          scopeExit: Exit.succeed(skipped)
        })
      })
    )

    it.effect("while the cleanup is running, disarm is false and does not wait", () =>
      Effect.gen(function* () {
        const blocked = yield* makeBlockedCleanup(makeLog())
        const scope = yield* Scope.make()
        const g = yield* Guard.make(blocked.cleanup).pipe(Scope.provide(scope))
        const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
        yield* blocked.started
        expect(yield* Guard.state(g)).toEqual({ _tag: "Running" })
        expect(yield* Guard.disarm(g)).toBe(false)
        yield* blocked.open
        yield* Fiber.join(closing)
        expect(yield* Guard.state(g)).toEqual({ _tag: "Ran", exit: Exit.void, by: "scope" })
      })
    )

    it.effect("a concurrent disarm and scope close run the cleanup at most once", () =>
      Effect.gen(function* () {
        for (let round = 0; round < 50; round++) {
          let runs = 0
          const scope = yield* Scope.make()
          const g = yield* Guard.make(
            Effect.sync(() => {
              runs++
            })
          ).pipe(Scope.provide(scope))
          const [disarmed] = yield* Effect.all(
            [
              Effect.andThen(
                Effect.yieldNow.pipe(Effect.repeat({ times: round % 5 })),
                Guard.disarm(g)
              ),
              Effect.andThen(
                Effect.yieldNow.pipe(Effect.repeat({ times: round % 7 })),
                Scope.close(scope, Exit.void)
              )
            ],
            { concurrency: "unbounded" }
          )
          // Exactly one side wins: disarmed and never ran, or ran and was not disarmed.
          expect(runs + (disarmed ? 1 : 0)).toBe(1)
        }
      })
    )
  })

  describe("runNow", () => {
    it.effect("runs with Exit.void whatever the strategy, once, and removes the entry", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const scope = yield* Scope.make()
        const g = yield* Guard.onFailure((e) => log.add(`cleanup ${e._tag}`)).pipe(
          Scope.provide(scope)
        )
        expect(yield* Guard.runNow(g)).toBe(true)
        expect(finalizerCount(scope)).toBe(0)
        expect(yield* Guard.runNow(g)).toBe(false)
        expect(yield* Guard.disarm(g)).toBe(false)
        yield* Scope.close(scope, Exit.fail("later"))
        expect(log.events).toEqual(["cleanup Success"])
        expect(yield* Guard.state(g)).toEqual({
          _tag: "Ran",
          exit: Exit.succeed(undefined),
          by: "close"
        })
      })
    )

    it.effect("concurrent runNow calls: exactly one says it ran, at every interleaving", () =>
      Effect.gen(function* () {
        // Regression: runNow read "was it armed?" one step before running, so a yield in
        // between let both calls answer true. The explorer's yield mode makes the fiber at
        // each step yield in turn, so that the other call runs in every gap.
        const seen = { runs: 0, said: 0 }
        const program = Effect.scoped(
          Effect.gen(function* () {
            seen.runs = 0
            seen.said = 0
            const g = yield* Guard.make(
              Effect.sync(() => {
                seen.runs++
              })
            )
            const call = Effect.tap(Guard.runNow(g), (ran) =>
              Effect.sync(() => {
                if (ran) seen.said++
              })
            )
            const first = yield* Effect.forkChild(call)
            const second = yield* Effect.forkChild(call)
            yield* Fiber.join(first)
            yield* Fiber.join(second)
          })
        )
        const report = yield* Interruption.assertEveryStep(program, {
          mode: "yield",
          check: () =>
            seen.runs === 1 && seen.said === 1
              ? Effect.void
              : Effect.fail(`ran ${seen.runs} time(s), ${seen.said} call(s) said they ran it`)
        })
        expect(report.failures).toEqual([])
        expect(report.unreached).toEqual([])
      })
    )

    it.effect("while the scope runs the cleanup, runNow waits for it and returns false", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const blocked = yield* makeBlockedCleanup(log)
        const scope = yield* Scope.make()
        const g = yield* Guard.make(blocked.cleanup).pipe(Scope.provide(scope))
        const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
        yield* blocked.started
        const running = yield* Effect.forkChild(
          Effect.tap(Guard.runNow(g), (ran) => log.add(`runNow returned ${ran}`))
        )
        yield* expectStillWaiting(running)
        yield* blocked.open
        yield* Fiber.join(running)
        yield* Fiber.join(closing)
        expect(log.events).toEqual(["release start", "release end", "runNow returned false"])
      })
    )

    it.effect("a dying cleanup makes runNow die and is recorded in state", () =>
      Effect.gen(function* () {
        const g = yield* Guard.make(Effect.die("broke"))
        expect(yield* Effect.exit(Guard.runNow(g))).toEqual(Exit.die("broke"))
        expect(yield* Guard.state(g)).toEqual({ _tag: "Ran", exit: Exit.die("broke"), by: "close" })
      }).pipe(Effect.scoped)
    )
  })

  it.effect("a guard made on a closed scope runs at once with the scope's exit", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const scope = yield* Scope.make()
      yield* Scope.close(scope, Exit.fail("closed"))
      const g = yield* Guard.make((e) => log.add(`cleanup ${e._tag}`)).pipe(Scope.provide(scope))
      expect(log.events).toEqual(["cleanup Failure"])
      expect(yield* Guard.state(g)).toEqual({ _tag: "Ran", exit: Exit.void, by: "scope" })
      const skipped = yield* Guard.onSuccess(log.add("never")).pipe(Scope.provide(scope))
      expect(yield* Guard.state(skipped)).toEqual({
        _tag: "Skipped",
        scopeExit: Exit.fail("closed")
      })
    })
  )

  it.effect("a dying cleanup does not stop the others and is in the scope's exit", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const exit = yield* Effect.exit(
        Effect.scoped(
          Effect.gen(function* () {
            yield* Guard.make(log.add("first made, last run"))
            yield* Guard.make(Effect.die("broke"))
            yield* Guard.make(log.add("last made, first run"))
          })
        )
      )
      expect(exit).toEqual(Exit.die("broke"))
      expect(log.events).toEqual(["last made, first run", "first made, last run"])
    })
  )

  it.effect("ids increase and labels default to guard-<id>", () =>
    Effect.gen(function* () {
      const a = yield* Guard.make(Effect.void)
      const b = yield* Guard.make(Effect.void, { label: "named" })
      expect(b.id).toBeGreaterThan(a.id)
      expect(a.label).toBe(`guard-${a.id}`)
      expect(b.label).toBe("named")
      expect(Guard.isGuard(a)).toBe(true)
      expect(JSON.parse(JSON.stringify(b))).toEqual({
        _id: "Guard",
        id: b.id,
        label: "named",
        phase: "Armed"
      })
      expect(Guard.isGuard({})).toBe(false)
    }).pipe(Effect.scoped)
  )
})
