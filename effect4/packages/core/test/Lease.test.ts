/**
 * Leases: a resource is never released under a running `use`. Also `Resource.fromScoped` and
 * the two `warnIfNotClosed` modes.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Logger, References, Scope } from "effect"
import { TestClock } from "effect/testing"
import { Resource, ResourceNotDetachableError, ResourceReleasedError } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"
import { expectStillWaiting, interrupted, makeLog } from "./util.js"

/** A use that logs its start, waits for the test's gate, then logs its end. */
const makeGatedUse = (log: ReturnType<typeof makeLog>, name: string) =>
  Effect.gen(function* () {
    const started = yield* Deferred.make<void>()
    const gate = yield* Deferred.make<void>()
    return {
      use: (value: string) =>
        Effect.gen(function* () {
          yield* log.add(`${name} start (${value})`)
          yield* Deferred.succeed(started, undefined)
          yield* Deferred.await(gate)
          yield* log.add(`${name} end`)
          return name
        }),
      started: Deferred.await(started),
      open: Deferred.succeed(gate, undefined)
    }
  })

describe("Resource.use holds a lease", () => {
  it.effect("a close waits for the uses in flight; new uses are refused (Releasing)", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const r = yield* Resource.make(log.acquire("conn"), () => log.add("release"))
      const a = yield* makeGatedUse(log, "use a")
      const b = yield* makeGatedUse(log, "use b")
      const useA = yield* Effect.forkChild(Resource.use(r, a.use))
      const useB = yield* Effect.forkChild(Resource.use(r, b.use))
      yield* a.started
      yield* b.started
      const closing = yield* Effect.forkChild(Resource.close(r))
      yield* expectStillWaiting(closing)
      expect(yield* Resource.state(r)).toEqual({ _tag: "Releasing" })
      expect(yield* Effect.exit(Resource.use(r, () => log.add("late use")))).toEqual(
        Exit.fail(new ResourceReleasedError({ id: r.id, label: r.label, status: "Releasing" }))
      )
      yield* a.open
      expect(yield* Fiber.join(useA)).toBe("use a")
      yield* expectStillWaiting(closing)
      yield* b.open
      expect(yield* Fiber.join(useB)).toBe("use b")
      yield* Fiber.join(closing)
      expect(log.events).toEqual([
        "acquire conn",
        "use a start (conn)",
        "use b start (conn)",
        "use a end",
        "use b end",
        "release"
      ])
    }).pipe(Effect.scoped)
  )

  it.effect("the scope's close waits for them too", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const scope = yield* Scope.make()
      const r = yield* Resource.make(log.acquire("conn"), () => log.add("release")).pipe(
        Scope.provide(scope)
      )
      const a = yield* makeGatedUse(log, "use")
      const using = yield* Effect.forkChild(Resource.use(r, a.use))
      yield* a.started
      const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
      yield* expectStillWaiting(closing)
      yield* a.open
      yield* Fiber.join(using)
      yield* Fiber.join(closing)
      expect(log.events).toEqual(["acquire conn", "use start (conn)", "use end", "release"])
    })
  )

  it.effect("a use that fails or is interrupted returns its lease; nested uses work", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const r = yield* Resource.make(log.acquire("conn"), () => log.add("release"))
      expect(yield* Effect.exit(Resource.use(r, () => Effect.fail("query failed")))).toEqual(
        Exit.fail("query failed")
      )
      const a = yield* makeGatedUse(log, "use")
      const using = yield* Effect.forkChild(Resource.use(r, a.use))
      yield* a.started
      yield* interrupted(using)
      const nested = yield* Resource.use(r, (outer) =>
        Resource.use(r, (inner) => Effect.succeed(`${outer}+${inner}`))
      )
      expect(nested).toBe("conn+conn")
      yield* Resource.close(r)
      expect(log.events).toEqual(["acquire conn", "use start (conn)", "release"])
    }).pipe(Effect.scoped)
  )

  it.effect("a close from inside a use returns at once; the release runs when it ends", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const r = yield* Resource.make(log.acquire("conn"), () => log.add("release"))
      yield* Resource.use(r, () =>
        Effect.gen(function* () {
          yield* Resource.close(r)
          yield* log.add("still using after close")
        })
      )
      expect(log.events).toEqual(["acquire conn", "still using after close", "release"])
      expect(yield* Resource.state(r)).toEqual({ _tag: "Released", exit: Exit.void, by: "close" })
    }).pipe(Effect.scoped)
  )

  it.effect(
    "drainTimeout: a close from inside a use returns at once; the release runs when it ends",
    () =>
      Effect.gen(function* () {
        const log = makeLog()
        const r = yield* Resource.make(log.acquire("conn"), () => log.add("release"), {
          drainTimeout: "1 second"
        })
        yield* Resource.use(r, () =>
          Effect.gen(function* () {
            yield* Resource.close(r)
            yield* log.add("still using after close")
          })
        )
        expect(log.events).toEqual(["acquire conn", "still using after close", "release"])
        expect(yield* Resource.state(r)).toEqual({ _tag: "Released", exit: Exit.void, by: "close" })
      }).pipe(Effect.scoped)
  )

  for (const drainTimeout of [undefined, "1 second"] as const) {
    it.effect(
      `after a close from inside a use, the scope's close waits for the release (drainTimeout ${drainTimeout})`,
      () =>
        Effect.gen(function* () {
          const log = makeLog()
          const scope = yield* Scope.make()
          const r = yield* Resource.make(log.acquire("conn"), () => log.add("release"), {
            ...(drainTimeout === undefined ? {} : { drainTimeout })
          }).pipe(Scope.provide(scope))
          const closed = yield* Deferred.make<void>()
          const gate = yield* Deferred.make<void>()
          const using = yield* Effect.forkChild(
            Resource.use(r, () =>
              Effect.gen(function* () {
                yield* Resource.close(r)
                yield* Deferred.succeed(closed, undefined)
                yield* Deferred.await(gate)
                yield* log.add("use end")
              })
            )
          )
          yield* Deferred.await(closed)
          const closing = yield* Effect.forkChild(
            Effect.andThen(Scope.close(scope, Exit.void), log.add("scope closed"))
          )
          yield* expectStillWaiting(closing)
          yield* Deferred.succeed(gate, undefined)
          yield* Fiber.join(using)
          yield* Fiber.join(closing)
          expect(log.events).toEqual(["acquire conn", "use end", "release", "scope closed"])
        })
    )
  }

  it.effect(
    "releaseTimeout shorter than drainTimeout: the drain has its bound, then the release runs",
    () =>
      Effect.gen(function* () {
        const log = makeLog()
        const r = yield* Resource.make(log.acquire("conn"), () => log.add("release"), {
          drainTimeout: "10 seconds",
          releaseTimeout: "1 second"
        })
        const a = yield* makeGatedUse(log, "slow use")
        const using = yield* Effect.forkChild(
          Resource.use(r, (value) =>
            a.use(value).pipe(Effect.onInterrupt(() => log.add("slow use interrupted")))
          )
        )
        yield* a.started
        const closing = yield* Effect.forkChild(Resource.close(r))
        yield* TestClock.adjust("5 seconds")
        yield* expectStillWaiting(closing)
        yield* TestClock.adjust("5 seconds")
        yield* Fiber.join(closing)
        yield* Fiber.await(using)
        expect(log.events).toEqual([
          "acquire conn",
          "slow use start (conn)",
          "slow use interrupted",
          "release"
        ])
        expect(yield* Resource.state(r)).toEqual({ _tag: "Released", exit: Exit.void, by: "close" })
      }).pipe(Effect.scoped)
  )

  it.effect("get is lease-free: a close does not wait for a value taken with get", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const r = yield* Resource.make(log.acquire("conn"), () => log.add("release"))
      const value = yield* Resource.get(r)
      yield* Resource.close(r)
      yield* log.add(`still holding ${value}`)
      expect(log.events).toEqual(["acquire conn", "release", "still holding conn"])
    }).pipe(Effect.scoped)
  )

  it.effect("drainTimeout: uses still running are interrupted, then the release runs", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const r = yield* Resource.make(log.acquire("conn"), () => log.add("release"), {
        drainTimeout: "1 second"
      })
      const a = yield* makeGatedUse(log, "slow use")
      const using = yield* Effect.forkChild(
        Resource.use(r, (value) =>
          a.use(value).pipe(Effect.onInterrupt(() => log.add("slow use interrupted")))
        )
      )
      yield* a.started
      const closing = yield* Effect.forkChild(Resource.close(r))
      yield* expectStillWaiting(closing)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(closing)
      expect(yield* Fiber.await(using)).toEqual(
        Exit.fail(new ResourceReleasedError({ id: r.id, label: r.label, status: "Releasing" }))
      )
      expect(log.events).toEqual([
        "acquire conn",
        "slow use start (conn)",
        "slow use interrupted",
        "release"
      ])
    }).pipe(Effect.scoped)
  )

  it.effect("drainTimeout: uses that end in time are not interrupted", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const r = yield* Resource.make(log.acquire("conn"), () => log.add("release"), {
        drainTimeout: "1 second"
      })
      const a = yield* makeGatedUse(log, "use")
      const using = yield* Effect.forkChild(Resource.use(r, a.use))
      yield* a.started
      const closing = yield* Effect.forkChild(Resource.close(r))
      yield* a.open
      expect(yield* Fiber.join(using)).toBe("use")
      yield* Fiber.join(closing)
      expect(log.events).toEqual(["acquire conn", "use start (conn)", "use end", "release"])
    }).pipe(Effect.scoped)
  )

  it.effect("interrupted at every step, a use and a close never overlap (both modes)", () =>
    Effect.gen(function* () {
      const w = { acquired: 0, released: 0, usingReleased: 0 }
      let r: Resource.Resource<number> | undefined
      const program = Effect.scoped(
        Effect.gen(function* () {
          w.acquired = w.released = w.usingReleased = 0
          r = undefined
          const made = yield* Resource.make(
            Effect.sync(() => ++w.acquired),
            () => Effect.sync(() => w.released++)
          )
          r = made
          const user = yield* Effect.forkChild(
            Resource.use(made, () =>
              Effect.gen(function* () {
                yield* Effect.yieldNow
                if (w.released > 0) w.usingReleased++
                yield* Effect.yieldNow
                if (w.released > 0) w.usingReleased++
              })
            )
          )
          yield* Resource.close(made)
          yield* Fiber.await(user)
        })
      )
      const check = () =>
        Effect.suspend(() =>
          w.usingReleased === 0 && w.released === w.acquired
            ? Effect.void
            : Effect.fail(`${JSON.stringify(w)} ${r === undefined ? "" : r.label}`)
        )
      for (const mode of ["interrupt", "yield"] as const) {
        const report = yield* Interruption.assertEveryStep(program, { mode, check })
        expect(report.failures).toEqual([])
      }
    })
  )
})

describe("Resource.fromScoped", () => {
  it.effect("adopts a scoped effect; closing the resource closes its scope with the exit", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const scoped = Effect.acquireRelease(log.acquire("conn"), (_, exit) =>
        log.add(`inner release (${exit._tag})`)
      ).pipe(Effect.tap(() => Effect.addFinalizer(() => log.add("inner finalizer"))))
      const scope = yield* Scope.make()
      const r = yield* Resource.fromScoped(scoped, { label: "db" }).pipe(Scope.provide(scope))
      expect(yield* Resource.use(r, (c) => Effect.succeed(c))).toBe("conn")
      yield* Scope.close(scope, Exit.fail("boom"))
      expect(log.events).toEqual(["acquire conn", "inner finalizer", "inner release (Failure)"])
      expect(yield* Resource.state(r)).toEqual({ _tag: "Released", exit: Exit.void, by: "scope" })
    })
  )

  it.effect("close releases once; detach fails with ResourceNotDetachableError", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const r = yield* Resource.fromScoped(
        Effect.acquireRelease(log.acquire("conn"), () => log.add("inner release"))
      )
      expect(yield* Effect.exit(Resource.detach(r))).toEqual(
        Exit.fail(new ResourceNotDetachableError({ id: r.id, label: r.label }))
      )
      yield* Resource.close(r)
      yield* Resource.close(r)
      expect(log.events).toEqual(["acquire conn", "inner release"])
    }).pipe(Effect.scoped)
  )

  it.effect("a failed acquisition closes what it opened and registers nothing", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const scope = yield* Scope.make()
      const exit = yield* Effect.exit(
        Resource.fromScoped(
          Effect.andThen(
            Effect.acquireRelease(log.acquire("half"), (_, e) => log.add(`undo half (${e._tag})`)),
            Effect.fail("second part failed")
          )
        ).pipe(Scope.provide(scope))
      )
      expect(exit).toEqual(Exit.fail("second part failed"))
      expect(log.events).toEqual(["acquire half", "undo half (Failure)"])
      yield* Scope.close(scope, Exit.void)
      expect(log.events).toHaveLength(2)
    })
  )

  it.effect(
    "an adopted effect runs as under Effect.scoped: a forked worker can be interrupted",
    () =>
      Effect.gen(function* () {
        const log = makeLog()
        const started = yield* Deferred.make<void>()
        const worker = Effect.andThen(Deferred.succeed(started, undefined), Effect.never).pipe(
          Effect.onInterrupt(() => log.add("worker interrupted"))
        )
        const r = yield* Resource.fromScoped(Effect.forkScoped(worker), { label: "worker" })
        yield* Deferred.await(started)
        yield* Resource.close(r)
        expect(log.events).toEqual(["worker interrupted"])
        expect(yield* Resource.isReleased(r)).toBe(true)
      }).pipe(Effect.scoped)
  )

  it.effect("an adopted effect is interruptible while it runs, as under Effect.scoped", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const started = yield* Deferred.make<void>()
      const scope = yield* Scope.make()
      const adopting = yield* Effect.forkChild(
        Resource.fromScoped(
          Effect.acquireRelease(log.acquire("half"), (_, e) =>
            log.add(`undo half (interrupted: ${Exit.hasInterrupts(e)})`)
          ).pipe(Effect.andThen(Deferred.succeed(started, undefined)), Effect.andThen(Effect.never))
        ).pipe(Scope.provide(scope))
      )
      yield* Deferred.await(started)
      expect(Exit.hasInterrupts(yield* interrupted(adopting))).toBe(true)
      expect(log.events).toEqual(["acquire half", "undo half (interrupted: true)"])
      yield* Scope.close(scope, Exit.void)
      expect(log.events).toHaveLength(2)
    })
  )

  it.effect("interrupted at every step, the inner scope is closed exactly once", () =>
    Effect.gen(function* () {
      const w = { acquired: 0, released: 0 }
      const program = Effect.scoped(
        Effect.gen(function* () {
          w.acquired = w.released = 0
          const r = yield* Resource.fromScoped(
            Effect.acquireRelease(
              Effect.sync(() => w.acquired++),
              () => Effect.sync(() => w.released++)
            )
          )
          yield* Resource.use(r, () => Effect.yieldNow)
          yield* Resource.close(r)
        })
      )
      const check = () => (w.acquired === w.released ? Effect.void : Effect.fail(JSON.stringify(w)))
      const report = yield* Interruption.assertEveryStep(program, { check })
      expect(report.failures).toEqual([])
    })
  )
})

describe("warnIfNotClosed: on which exits of the scope", () => {
  /** The labels warned about when three scopes close: with success, failure, interruption. */
  const warnedAbout = (warnIfNotClosed: boolean | "success" | "always") =>
    Effect.gen(function* () {
      const labels: Array<string> = []
      const logger = Logger.make(({ message }) => {
        const text = Array.isArray(message) ? message.join(" ") : String(message)
        labels.push(text.replace(/^Resource "(.*)" was not closed.*$/, "$1"))
      })
      const exits = {
        success: Exit.void,
        failure: Exit.fail("boom"),
        interruption: Exit.interrupt()
      }
      for (const [label, exit] of Object.entries(exits)) {
        const scope = yield* Scope.make()
        yield* Resource.make(Effect.void, () => Effect.void, { label, warnIfNotClosed }).pipe(
          Scope.provide(scope)
        )
        yield* Scope.close(scope, exit).pipe(
          Effect.provide(Logger.layer([logger])),
          Effect.provideService(References.MinimumLogLevel, "All")
        )
      }
      return labels
    })

  it.effect('true and "success": only when the scope closed successfully', () =>
    Effect.gen(function* () {
      expect(yield* warnedAbout(true)).toEqual(["success"])
      expect(yield* warnedAbout("success")).toEqual(["success"])
    })
  )

  it.effect('"always": on every exit; false: never', () =>
    Effect.gen(function* () {
      expect(yield* warnedAbout("always")).toEqual(["success", "failure", "interruption"])
      expect(yield* warnedAbout(false)).toEqual([])
    })
  )
})
