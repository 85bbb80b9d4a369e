/**
 * Regression tests for user code that misbehaves: callbacks that throw instead of returning an
 * Effect, loggers and trackers that throw, releases that close their own resource, options
 * that are not valid. Each was a hang or a broken promise before; none may wedge us.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Layer, Logger, Scope } from "effect"
import {
  DisposeError,
  Guard,
  InvalidOptionsError,
  Resource,
  Tracking,
  Using,
  UsingError
} from "@scopeguard/core"
import { makeLog } from "./util.js"

const boom = new Error("handle destroyed")

/** A release *function* that throws while building its Effect, as `() => conn.close()` does. */
const throwing = (): Effect.Effect<void> => {
  throw boom
}

describe("a release or cleanup function that throws is a defect, like Effect.die", () => {
  it.effect("Resource.close dies with it; state is Released with that exit; waiters wake", () =>
    Effect.gen(function* () {
      const r = yield* Resource.make(Effect.succeed("conn"), throwing)
      const waiter = yield* Effect.forkChild(Resource.awaitRelease(r))
      expect(yield* Effect.exit(Resource.close(r))).toEqual(Exit.die(boom))
      expect(yield* Resource.state(r)).toEqual({
        _tag: "Released",
        exit: Exit.die(boom),
        by: "close"
      })
      expect(yield* Fiber.join(waiter)).toEqual(Exit.die(boom))
    }).pipe(Effect.scoped)
  )

  it.effect("the scope's close dies with it, the other finalizers run, awaitRelease returns", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const scope = yield* Scope.make()
      yield* Scope.addFinalizer(scope, log.add("first registered"))
      const r = yield* Resource.make(Effect.void, throwing).pipe(Scope.provide(scope))
      yield* Scope.addFinalizer(scope, log.add("last registered"))
      expect(yield* Effect.exit(Scope.close(scope, Exit.void))).toEqual(Exit.die(boom))
      expect(log.events).toEqual(["last registered", "first registered"])
      expect(yield* Resource.awaitRelease(r)).toEqual(Exit.die(boom))
      expect(yield* Resource.state(r)).toEqual({
        _tag: "Released",
        exit: Exit.die(boom),
        by: "scope"
      })
    })
  )

  it.effect("with a releaseTimeout too", () =>
    Effect.gen(function* () {
      const r = yield* Resource.make(Effect.void, throwing, { releaseTimeout: "1 minute" })
      expect(yield* Effect.exit(Resource.close(r))).toEqual(Exit.die(boom))
      expect(yield* Resource.awaitRelease(r)).toEqual(Exit.die(boom))
    }).pipe(Effect.scoped)
  )

  it.effect("Guard.runNow dies with it; the guard is Ran with that exit", () =>
    Effect.gen(function* () {
      const guard = yield* Guard.make(throwing)
      expect(yield* Effect.exit(Guard.runNow(guard))).toEqual(Exit.die(boom))
      expect(yield* Guard.state(guard)).toEqual({ _tag: "Ran", exit: Exit.die(boom), by: "close" })
      expect(yield* Guard.runNow(guard)).toBe(false)
    }).pipe(Effect.scoped)
  )

  it.effect("a guard run by its scope: the close dies, the guard is Ran", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const guard = yield* Guard.make(throwing).pipe(Scope.provide(scope))
      expect(yield* Effect.exit(Scope.close(scope, Exit.void))).toEqual(Exit.die(boom))
      expect(yield* Guard.state(guard)).toEqual({ _tag: "Ran", exit: Exit.die(boom), by: "scope" })
    })
  )
})

describe("warnIfNotClosed with a logger that throws", () => {
  it.effect("the release still runs; state and the tracker tell the truth", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const live = new Set<number>()
      const throwingLogger = Logger.make(() => {
        throw new Error("log sink closed")
      })
      const r = yield* Effect.scoped(
        Resource.make(Effect.void, () => log.add("released"), {
          label: "socket",
          warnIfNotClosed: true
        })
      ).pipe(
        Tracking.withTracker({
          opened: (entry) => live.add(entry.id),
          settled: (entry) => live.delete(entry.id)
        }),
        Effect.provide(Logger.layer([throwingLogger]))
      )
      expect(log.events).toEqual(["released"])
      expect(yield* Resource.state(r)).toEqual({ _tag: "Released", exit: Exit.void, by: "scope" })
      expect(live.size).toBe(0)
    })
  )
})

describe("a tracker that throws", () => {
  it.effect("costs neither the registration nor the release", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const r = yield* Effect.scoped(Resource.make(Effect.void, () => log.add("released"))).pipe(
        Tracking.withTracker({
          opened: () => {
            throw new Error("tracker broken")
          },
          settled: () => {
            throw new Error("tracker broken")
          }
        })
      )
      expect(log.events).toEqual(["released"])
      expect(yield* Resource.state(r)).toEqual({ _tag: "Released", exit: Exit.void, by: "scope" })
    })
  )
})

describe("re-entrant close from inside the running release returns at once", () => {
  it.effect("Resource.close(self) inside its own release (explicit close)", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const self = yield* Deferred.make<Resource.Resource<string>>()
      const r = yield* Resource.make(Effect.succeed("conn"), () =>
        Effect.gen(function* () {
          yield* log.add("release start")
          yield* Resource.close(yield* Deferred.await(self))
          yield* log.add("release end")
        })
      )
      yield* Deferred.succeed(self, r)
      yield* Resource.close(r)
      expect(log.events).toEqual(["release start", "release end"])
      expect(yield* Resource.state(r)).toEqual({ _tag: "Released", exit: Exit.void, by: "close" })
    }).pipe(Effect.scoped)
  )

  it.effect("Resource.close(self) inside its own release run by the scope, with a timeout", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const self = yield* Deferred.make<Resource.Resource<string>>()
      const scope = yield* Scope.make()
      const r = yield* Resource.make(
        Effect.succeed("conn"),
        () =>
          Effect.gen(function* () {
            yield* log.add("release start")
            yield* Resource.close(yield* Deferred.await(self))
            yield* log.add("release end")
          }),
        { releaseTimeout: "1 minute" }
      ).pipe(Scope.provide(scope))
      yield* Deferred.succeed(self, r)
      yield* Scope.close(scope, Exit.void)
      expect(log.events).toEqual(["release start", "release end"])
      expect(yield* Resource.state(r)).toEqual({ _tag: "Released", exit: Exit.void, by: "scope" })
    })
  )

  /** A guard whose cleanup runs `Guard.runNow` on itself and logs the inner answer. */
  const selfRunningGuard = Effect.gen(function* () {
    const log = makeLog()
    const self = yield* Deferred.make<Guard.Guard>()
    const scope = yield* Scope.make()
    const guard = yield* Guard.make(
      Effect.gen(function* () {
        const ranAgain = yield* Guard.runNow(yield* Deferred.await(self))
        yield* log.add(`cleanup (inner runNow: ${ranAgain})`)
      })
    ).pipe(Scope.provide(scope))
    yield* Deferred.succeed(self, guard)
    return { log, scope, guard }
  })

  it.effect("a guard whose cleanup calls Guard.runNow on itself: runNow is false", () =>
    Effect.gen(function* () {
      const { log, scope, guard } = yield* selfRunningGuard
      expect(yield* Guard.runNow(guard)).toBe(true)
      yield* Scope.close(scope, Exit.void)
      expect(log.events).toEqual(["cleanup (inner runNow: false)"])
    })
  )

  it.effect("a guard whose cleanup runs its own guard when the scope runs it", () =>
    Effect.gen(function* () {
      const { log, scope, guard } = yield* selfRunningGuard
      yield* Scope.close(scope, Exit.void)
      expect(log.events).toEqual(["cleanup (inner runNow: false)"])
      expect(yield* Guard.state(guard)).toEqual({ _tag: "Ran", exit: Exit.void, by: "scope" })
    })
  )
})

describe("invalid options: building never throws; running dies with InvalidOptionsError", () => {
  const invalid = [
    { releaseTimeout: "5s" },
    { releaseTimeout: Number.NaN },
    { releaseTimeout: -1 },
    { drainTimeout: "soon" }
  ] as const

  it.effect("Resource.make", () =>
    Effect.gen(function* () {
      const log = makeLog()
      for (const options of invalid) {
        const build = () => Resource.make(log.acquire("x"), () => Effect.void, options as never)
        expect(build).not.toThrow()
        const exit = yield* Effect.exit(Effect.scoped(build()))
        const [option, value] = Object.entries(options)[0]!
        expect(exit).toEqual(
          Exit.die(
            new InvalidOptionsError({
              option,
              value,
              reason: InvalidOptionsError.durationReason
            })
          )
        )
      }
      // Nothing was acquired: the options are checked first.
      expect(log.events).toEqual([])
    })
  )

  it.effect("the error names the option and the value", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.scoped(
          Resource.make(Effect.void, () => Effect.void, { releaseTimeout: "5s" as "5 seconds" })
        )
      )
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain(
        'Invalid option releaseTimeout: "5s" is not a duration'
      )
    })
  )
})

describe("Using.run with a signal that is already aborted", () => {
  /** Runs `Using.run` with an aborted signal; what it settled with, and what ran. */
  const runAborted = async (layer?: Layer.Layer<never>) => {
    const log: Array<string> = []
    const controller = new AbortController()
    controller.abort()
    const effect = Effect.sync(() => log.push("effect ran"))
    const settled = await (
      layer === undefined
        ? Using.run(effect, { signal: controller.signal })
        : Using.run(effect, { signal: controller.signal, layer })
    ).then(
      () => "resolved" as const,
      (e: unknown) => e
    )
    return { log, settled }
  }

  const expectRejectedAsInterrupted = (settled: unknown) => {
    expect(settled).toBeInstanceOf(UsingError)
    expect((settled as UsingError).phase).toBe("run")
    expect(Cause.hasInterruptsOnly((settled as UsingError).cause)).toBe(true)
  }

  it("rejects without running the effect, after closing the scope", async () => {
    const { log, settled } = await runAborted()
    expect(log).toEqual([])
    expectRejectedAsInterrupted(settled)
  })

  it("with a layer: neither the layer nor the effect runs", async () => {
    const built: Array<string> = []
    const layer = Layer.effectDiscard(
      Effect.acquireRelease(
        Effect.sync(() => built.push("layer built")),
        () => Effect.sync(() => built.push("layer released"))
      )
    )
    const { log, settled } = await runAborted(layer)
    expect([...built, ...log]).toEqual([])
    expectRejectedAsInterrupted(settled)
  })
})

describe("TC39 interop follows what await using accepts", () => {
  it.effect("an [Symbol.asyncDispose]() that returns undefined is a successful dispose", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const value = {
        [Symbol.asyncDispose]: () => {
          log.events.push("disposed")
          return undefined as unknown as Promise<void>
        }
      }
      const r = yield* Effect.scoped(Using.resource(Effect.succeed(value)))
      expect(log.events).toEqual(["disposed"])
      expect(yield* Resource.state(r)).toEqual({ _tag: "Released", exit: Exit.void, by: "scope" })
    })
  )

  it.effect("a function object with [Symbol.dispose] is disposable", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const fn = Object.assign(() => 1, {
        [Symbol.dispose]: () => {
          log.events.push("disposed")
        }
      })
      yield* Effect.scoped(Using.resource(Effect.succeed(fn)))
      expect(log.events).toEqual(["disposed"])
    })
  )

  it.effect("null and undefined are accepted and nothing is disposed, as with `using`", () =>
    Effect.gen(function* () {
      const nothing = yield* Effect.scoped(
        Effect.flatMap(Using.resource(Effect.succeed(null)), Resource.get)
      )
      expect(nothing).toBe(null)
      const none = yield* Effect.scoped(
        Effect.flatMap(Using.resource(Effect.succeed(undefined)), Resource.get)
      )
      expect(none).toBe(undefined)
    })
  )

  it.effect("a dispose method that throws synchronously from asyncDispose is a DisposeError", () =>
    Effect.gen(function* () {
      const value = {
        [Symbol.asyncDispose]: (): Promise<void> => {
          throw boom
        }
      }
      const exit = yield* Effect.exit(
        Effect.scoped(Using.resource(Effect.succeed(value), { label: "socket" }))
      )
      expect(exit).toEqual(Exit.die(new DisposeError({ label: "socket", cause: boom })))
    })
  )
})

describe("Tracking: a tracker hears opened, releasing and settled, in order", () => {
  it.effect("for a release by close and a guard run by the scope", () =>
    Effect.gen(function* () {
      const events: Array<string> = []
      const tracker: Tracking.Tracker = {
        opened: (e) => events.push(`opened ${e.label}`),
        releasing: (e) => events.push(`releasing ${e.label}`),
        settled: (e) => events.push(`settled ${e.label}`)
      }
      yield* Effect.scoped(
        Effect.gen(function* () {
          const r = yield* Resource.make(Effect.void, () => Effect.void, { label: "r" })
          yield* Guard.make(Effect.void, { label: "g" })
          yield* Resource.close(r)
        })
      ).pipe(Tracking.withTracker(tracker))
      expect(events).toEqual([
        "opened r",
        "opened g",
        "releasing r",
        "settled r",
        "releasing g",
        "settled g"
      ])
    })
  )
})

describe("Tracking: a tracker hears committing before a commit's outcome", () => {
  it.effect(
    "a successful commit settles; a failed one releases (the compensation), then settles",
    () =>
      Effect.gen(function* () {
        const events: Array<string> = []
        const tracker: Tracking.Tracker = {
          opened: (e) => events.push(`opened ${e.label}`),
          committing: (e) => events.push(`committing ${e.label}`),
          releasing: (e) => events.push(`releasing ${e.label}`),
          settled: (e) => events.push(`settled ${e.label}`)
        }
        yield* Effect.scoped(
          Effect.gen(function* () {
            const a = yield* Guard.make(Effect.void, { label: "a" })
            yield* Guard.commit(a, Effect.void)
            const b = yield* Guard.make(Effect.void, { label: "b" })
            const c = yield* Guard.make(Effect.void, { label: "c" })
            yield* Effect.exit(Guard.commit([b, c], Effect.fail("declined")))
          })
        ).pipe(Tracking.withTracker(tracker))
        // Each compensation is releasing from when it starts (newest first), not from the
        // decision: the shutdown report's "compensating for N ms" is its own time.
        expect(events).toEqual([
          "opened a",
          "committing a",
          "settled a",
          "opened b",
          "opened c",
          "committing b",
          "committing c",
          "releasing c",
          "settled c",
          "releasing b",
          "settled b"
        ])
      })
  )
})

describe("an effect built once and run many times", () => {
  it.effect("makes a new guard or resource, with a new id, on every run", () =>
    Effect.gen(function* () {
      const makeGuard = Guard.make(Effect.void)
      const makeResource = Resource.make(Effect.void, () => Effect.void)
      const ids = yield* Effect.scoped(
        Effect.all([makeGuard, makeGuard, makeResource, makeResource])
      ).pipe(Effect.map((handles) => handles.map((h) => h.id)))
      expect(new Set(ids).size).toBe(4)
    })
  )
})

describe("awaitRelease from inside its own release", () => {
  it.effect("dies at once instead of waiting for itself; the close dies with it", () =>
    Effect.gen(function* () {
      const self = yield* Deferred.make<Resource.Resource<string>>()
      const r = yield* Resource.make(Effect.succeed("conn"), () =>
        Effect.flatMap(Deferred.await(self), Resource.awaitRelease)
      )
      yield* Deferred.succeed(self, r)
      const exit = yield* Effect.exit(Resource.close(r))
      expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause)).toBe(true)
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain(
        `awaitRelease of "${r.label}" was called from inside its own release, which would wait for itself`
      )
      expect(yield* Resource.awaitRelease(r)).toEqual(exit)
    }).pipe(Effect.scoped)
  )
})
