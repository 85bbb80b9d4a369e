/**
 * Where the cleanups of Resources and Guards stand among a scope's other finalizers: in the
 * order they were registered, run newest first, each with its own exit and strategy, whatever
 * the library does to keep them removable (the Effect 4 edition lets cleanups registered one
 * after the other on a scope share one entry of it; these are the behaviours that sharing must
 * not change). This Effect 3 edition keeps one child scope per cleanup; the tests are the same
 * as the Effect 4 edition's, under the same names.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Effect, ExecutionStrategy, Exit, Fiber, Option, Scope } from "effect"
import { Guard, Resource, Tracking } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"
import { expectStillWaiting, finalizerCount, makeBlockedCleanup, makeLog } from "./util.js"

describe("a scope's cleanups, in order", () => {
  it.effect(
    "guards, resources and other finalizers run newest first, interleaved as registered",
    () =>
      Effect.gen(function* () {
        const log = makeLog()
        const scope = yield* Scope.make()
        yield* Effect.gen(function* () {
          yield* Guard.make(log.add("g1"))
          yield* Resource.make(Effect.void, () => log.add("r1"))
          yield* Effect.acquireRelease(Effect.void, () => log.add("a1"))
          yield* Guard.make(log.add("g2"))
          yield* Guard.make(log.add("g3"))
          yield* Effect.addFinalizer(() => log.add("f1"))
          yield* Resource.make(Effect.void, () => log.add("r2"))
          yield* Guard.make(log.add("g4"))
        }).pipe(Scope.extend(scope))
        yield* Scope.close(scope, Exit.void)
        expect(log.events).toEqual(["g4", "r2", "f1", "g3", "g2", "a1", "r1", "g1"])
      })
  )

  it.effect(
    "a fiber forked into the scope between two guards is interrupted between their cleanups",
    () =>
      Effect.gen(function* () {
        const log = makeLog()
        const scope = yield* Scope.make()
        const started = yield* Deferred.make<void>()
        yield* Guard.make(log.add("g1")).pipe(Scope.extend(scope))
        yield* Effect.forkIn(
          Effect.andThen(Deferred.succeed(started, undefined), Effect.never).pipe(
            Effect.onInterrupt(() => log.add("fiber interrupted"))
          ),
          scope
        )
        yield* Deferred.await(started)
        yield* Guard.make(log.add("g2")).pipe(Scope.extend(scope))
        yield* Scope.close(scope, Exit.void)
        expect(log.events).toEqual(["g2", "fiber interrupted", "g1"])
      })
  )

  it.effect("an entry removed from the scope in between leaves the guards around it in order", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const scope = yield* Scope.make()
      yield* Guard.make(log.add("g1")).pipe(Scope.extend(scope))
      const child = yield* Scope.fork(scope, ExecutionStrategy.sequential)
      yield* Scope.addFinalizer(child, log.add("child"))
      yield* Guard.make(log.add("g2")).pipe(Scope.extend(scope))
      yield* Scope.close(child, Exit.void)
      yield* Guard.make(log.add("g3")).pipe(Scope.extend(scope))
      yield* Effect.acquireRelease(Effect.void, () => log.add("a1")).pipe(Scope.extend(scope))
      yield* Guard.make(log.add("g4")).pipe(Scope.extend(scope))
      yield* Scope.close(scope, Exit.void)
      expect(log.events).toEqual(["child", "g4", "a1", "g3", "g2", "g1"])
    })
  )

  it.effect(
    "a scope that holds many finalizers keeps the order of the guards made after them",
    () =>
      Effect.gen(function* () {
        const log = makeLog()
        const scope = yield* Scope.make()
        yield* Effect.gen(function* () {
          // More than the Effect 4 edition looks through for the scope's last entry (64).
          for (let i = 1; i <= 70; i++) {
            yield* Effect.acquireRelease(Effect.void, () => log.add(`a${i}`))
          }
          yield* Guard.make(log.add("g1"))
          yield* Guard.make(log.add("g2"))
          yield* Effect.acquireRelease(Effect.void, () => log.add("a21"))
          yield* Guard.make(log.add("g3"))
        }).pipe(Scope.extend(scope))
        yield* Scope.close(scope, Exit.void)
        const older = Array.from({ length: 70 }, (_, i) => `a${70 - i}`)
        expect(log.events).toEqual(["g3", "a21", "g2", "g1", ...older])
      })
  )

  it.effect("disarming and running guards among others leaves the rest in order", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const scope = yield* Scope.make()
      const [, g2, , g4] = yield* Effect.forEach(["g1", "g2", "g3", "g4", "g5"], (name) =>
        Guard.make(log.add(name))
      ).pipe(Scope.extend(scope))
      expect(yield* Guard.disarm(g2!)).toBe(true)
      expect(yield* Guard.runNow(g4!)).toBe(true)
      yield* Guard.make(log.add("g6")).pipe(Scope.extend(scope))
      yield* Scope.close(scope, Exit.void)
      expect(log.events).toEqual(["g4", "g6", "g5", "g3", "g1"])
    })
  )

  it.effect("guards and resources of one scope, all removed, leave it as it was", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const scope = yield* Scope.make()
      yield* Effect.addFinalizer(() => log.add("before")).pipe(Scope.extend(scope))
      const before = finalizerCount(scope)
      const [g1, r2, g3] = yield* Effect.all([
        Guard.make(log.add("g1")),
        Resource.make(Effect.void, () => log.add("r2")),
        Guard.make(log.add("g3"))
      ]).pipe(Scope.extend(scope))
      expect(yield* Guard.disarm(g3)).toBe(true)
      yield* Resource.close(r2)
      expect(yield* Guard.disarm(g1)).toBe(true)
      expect(finalizerCount(scope)).toBe(before)
      yield* Scope.close(scope, Exit.void)
      expect(log.events).toEqual(["r2", "before"])
    })
  )

  it.effect("each guard's strategy decides on the scope's exit, guard by guard", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const scope = yield* Scope.make()
      const cleanup = (name: string) => (exit: Exit.Exit<unknown, unknown>) =>
        log.add(`${name} ${exit._tag}`)
      const guards = yield* Effect.all([
        Guard.onSuccess(cleanup("g1")),
        Guard.onFailure(cleanup("g2")),
        Guard.make(cleanup("g3")),
        Guard.onFailure(cleanup("g4")),
        Guard.onSuccess(cleanup("g5"))
      ]).pipe(Scope.extend(scope))
      const exit = Exit.fail("boom")
      yield* Scope.close(scope, exit)
      expect(log.events).toEqual(["g4 Failure", "g3 Failure", "g2 Failure"])
      expect(yield* Effect.forEach(guards, Guard.state)).toEqual([
        { _tag: "Skipped", scopeExit: exit },
        { _tag: "Ran", exit: Exit.void, by: "scope" },
        { _tag: "Ran", exit: Exit.void, by: "scope" },
        { _tag: "Ran", exit: Exit.void, by: "scope" },
        { _tag: "Skipped", scopeExit: exit }
      ])
    })
  )

  it.effect("a cleanup that disarms or runs older guards of its scope while the scope closes", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const scope = yield* Scope.make()
      const guards: Array<Guard.Guard> = []
      yield* Effect.gen(function* () {
        guards.push(yield* Guard.make(log.add("g1")))
        guards.push(yield* Guard.make(log.add("g2")))
        guards.push(
          yield* Guard.make(
            Effect.flatMap(Guard.disarm(guards[1]!), (disarmed) =>
              log.add(`g3 disarmed g2: ${disarmed}`)
            )
          )
        )
        guards.push(
          yield* Guard.make(
            Effect.andThen(
              log.add("g4 start"),
              Effect.flatMap(Guard.runNow(guards[0]!), (ran) => log.add(`g4 ran g1: ${ran}`))
            )
          )
        )
      }).pipe(Scope.extend(scope))
      yield* Scope.close(scope, Exit.void)
      expect(log.events).toEqual(["g4 start", "g1", "g4 ran g1: true", "g3 disarmed g2: true"])
      expect(yield* Effect.forEach(guards, Guard.state)).toEqual([
        { _tag: "Ran", exit: Exit.void, by: "close" },
        { _tag: "Disarmed" },
        { _tag: "Ran", exit: Exit.void, by: "scope" },
        { _tag: "Ran", exit: Exit.void, by: "scope" }
      ])
    })
  )

  it.effect(
    "a guard made in its scope while the scope closes runs at once, with the scope's exit",
    () =>
      Effect.gen(function* () {
        const log = makeLog()
        const scope = yield* Scope.make()
        yield* Effect.gen(function* () {
          yield* Guard.make(log.add("g1"))
          yield* Guard.make(
            Effect.gen(function* () {
              yield* log.add("g2 start")
              yield* Guard.make((exit) => log.add(`late ${exit._tag}`)).pipe(Scope.extend(scope))
              yield* log.add("g2 end")
            })
          )
        }).pipe(Scope.extend(scope))
        yield* Scope.close(scope, Exit.fail("boom"))
        expect(log.events).toEqual(["g2 start", "late Failure", "g2 end", "g1"])
      })
  )

  it.effect(
    "a scope closing while a guard of it runs from an explicit close waits for that run before the older ones",
    () =>
      Effect.gen(function* () {
        const log = makeLog()
        const blocked = yield* makeBlockedCleanup(log)
        const scope = yield* Scope.make()
        yield* Guard.make(log.add("g1")).pipe(Scope.extend(scope))
        const g2 = yield* Guard.make(blocked.cleanup).pipe(Scope.extend(scope))
        yield* Guard.make(log.add("g3")).pipe(Scope.extend(scope))
        const running = yield* Effect.fork(Guard.runNow(g2))
        yield* blocked.started
        const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
        yield* expectStillWaiting(closing)
        expect(log.events).toEqual(["release start", "g3"])
        yield* blocked.open
        yield* Fiber.join(closing)
        expect(yield* Fiber.join(running)).toBe(true)
        expect(log.events).toEqual(["release start", "g3", "release end", "g1"])
      })
  )

  it.effect("the cleanups of a parallel scope run concurrently", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const scope = yield* Scope.make(ExecutionStrategy.parallel)
      const first = yield* Deferred.make<void>()
      const second = yield* Deferred.make<void>()
      // Each cleanup waits for the other one to have started: run one after the other, the
      // close would never end.
      yield* Guard.make(
        Effect.andThen(Deferred.succeed(first, undefined), Deferred.await(second)).pipe(
          Effect.andThen(log.add("g1"))
        )
      ).pipe(Scope.extend(scope))
      yield* Guard.make(
        Effect.andThen(Deferred.succeed(second, undefined), Deferred.await(first)).pipe(
          Effect.andThen(log.add("g2"))
        )
      ).pipe(Scope.extend(scope))
      // Detached: run one after the other, the close never ends, and the test must not wait
      // for it to be interrupted (a close is not).
      const closing = yield* Effect.forkDaemon(Scope.close(scope, Exit.void))
      for (let i = 0; i < 10 && Option.isNone(yield* Fiber.poll(closing)); i++) {
        yield* Effect.yieldNow()
      }
      expect(yield* Fiber.poll(closing)).toEqual(Option.some(Exit.void))
      expect([...log.events].sort()).toEqual(["g1", "g2"])
    })
  )

  it.effect(
    "the scope's close fails with every dying cleanup, newest first, among the other finalizers' failures",
    () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const guards = yield* Effect.gen(function* () {
          const g1 = yield* Guard.make(Effect.die("g1"))
          const g2 = yield* Guard.make(Effect.die("g2"))
          yield* Effect.addFinalizer(() => Effect.die("f"))
          const g3 = yield* Guard.make(Effect.die("g3"))
          yield* Guard.make(Effect.void)
          const g5 = yield* Guard.make(Effect.die("g5"))
          return [g1, g2, g3, g5]
        }).pipe(Scope.extend(scope))
        const exit = yield* Effect.exit(Scope.close(scope, Exit.void))
        // Effect 3 folds the finalizers' failures, in the order they ran, into Sequential causes.
        expect(exit).toEqual(
          Exit.failCause(
            ["g3", "f", "g2", "g1"].reduce(
              (cause, name) => Cause.sequential(cause, Cause.die(name)),
              Cause.die("g5")
            )
          )
        )
        expect(yield* Effect.forEach(guards, Guard.state)).toEqual(
          ["g1", "g2", "g3", "g5"].map((name) => ({
            _tag: "Ran",
            exit: Exit.die(name),
            by: "scope"
          }))
        )
      })
  )

  it.effect("a tracker hears each guard of a scope opened, released and settled, in order", () =>
    Effect.gen(function* () {
      const events: Array<string> = []
      const tracker: Tracking.Tracker = {
        opened: (entry) => events.push(`opened ${entry.label}`),
        releasing: (entry) => events.push(`releasing ${entry.label}`),
        settled: (entry) => events.push(`settled ${entry.label}`)
      }
      const scope = yield* Scope.make()
      yield* Effect.gen(function* () {
        yield* Guard.make(Effect.void, { label: "g1" })
        const g2 = yield* Guard.make(Effect.void, { label: "g2" })
        yield* Resource.make(Effect.void, () => Effect.void, { label: "r3" })
        yield* Guard.disarm(g2)
        yield* Guard.make(Effect.void, { label: "g4" })
      }).pipe(Scope.extend(scope), Tracking.withTracker(tracker))
      yield* Scope.close(scope, Exit.void)
      expect(events).toEqual([
        "opened g1",
        "opened g2",
        "opened r3",
        "settled g2",
        "opened g4",
        "releasing g4",
        "settled g4",
        "releasing r3",
        "settled r3",
        "releasing g1",
        "settled g1"
      ])
    })
  )

  describe("resources and a guard sharing a scope, one closed racing the scope's close", () => {
    /**
     * Three resources and a guard made one after the other on one scope (the Effect 4 edition
     * lets them share one entry of it), the middle resource closed in a fiber of its own while
     * the guard is disarmed and the scope closes. Every value acquired is released once.
     */
    const program = (counts: { acquired: number; released: number }) =>
      Effect.acquireUseRelease(
        Scope.make(),
        (scope) =>
          Effect.gen(function* () {
            counts.acquired = counts.released = 0
            const acquire = Effect.sync(() => ++counts.acquired)
            const release = () =>
              Effect.sync(() => {
                counts.released++
              })
            const [, guard, middle] = yield* Effect.all([
              Resource.make(acquire, release),
              Guard.make(Effect.void),
              Resource.make(acquire, () => Effect.zipRight(Effect.yieldNow(), release())),
              Resource.make(acquire, release)
            ]).pipe(Scope.extend(scope))
            const closing = yield* Effect.fork(Resource.close(middle))
            yield* Guard.disarm(guard)
            yield* Effect.uninterruptible(Scope.close(scope, Exit.void))
            yield* Fiber.join(closing)
          }),
        (scope, exit) => Scope.close(scope, exit)
      )
    const checked = () => {
      const counts = { acquired: 0, released: 0 }
      const check = () =>
        counts.released === counts.acquired
          ? Effect.void
          : Effect.fail(`acquired ${counts.acquired}, released ${counts.released}`)
      return { program: program(counts), check }
    }

    it.effect("interrupted at every step", () =>
      Effect.gen(function* () {
        const { program, check } = checked()
        const report = yield* Interruption.assertEveryStep(program, { check })
        expect(report.failures).toEqual([])
        expect(report.deterministic).toBe(true)
        expect(report.steps).toBeGreaterThan(5)
      })
    )

    it.effect("yielding at every step", () =>
      Effect.gen(function* () {
        const { program, check } = checked()
        const report = yield* Interruption.assertEveryStep(program, { mode: "yield", check })
        expect(report.failures).toEqual([])
        expect(report.unreached).toEqual([])
      })
    )
  })

  describe("resources registered on one scope by two fibers at once", () => {
    /**
     * Two fibers make two resources each on one scope at the same time (the Effect 4 edition
     * may be making the scope's new shared entry when the other fiber registers), then each
     * closes the scope (the other's may be registered later, on the closed scope, and are
     * released at once then). Once both closes have returned, every resource is released, and
     * every value acquired is released once. Not by the time a fiber's own close returns: the
     * second `Scope.close` of a scope still closing returns at once (Effect's Scope), while
     * the first is releasing — the explorer's budget pass (budget 32) reaches that schedule.
     */
    const program = (counts: { acquired: number; released: number; late: number }) =>
      Effect.acquireUseRelease(
        Scope.make(),
        (scope) =>
          Effect.gen(function* () {
            counts.acquired = counts.released = counts.late = 0
            const acquire = Effect.sync(() => ++counts.acquired)
            const release = () =>
              Effect.sync(() => {
                counts.released++
              })
            const makeTwo = Effect.all([
              Resource.make(acquire, release),
              Resource.make(acquire, release)
            ]).pipe(Scope.extend(scope))
            // Each fiber makes two and closes the scope; then all four are released.
            const makeAndClose = Effect.gen(function* () {
              const mine = yield* makeTwo
              yield* Effect.uninterruptible(Scope.close(scope, Exit.void))
              return mine
            })
            const other = yield* Effect.fork(makeAndClose)
            const mine = yield* makeAndClose
            const theirs = yield* Fiber.join(other)
            for (const resource of [...mine, ...theirs]) {
              if (!(yield* Resource.isReleased(resource))) counts.late++
            }
          }),
        (scope, exit) => Scope.close(scope, exit)
      )
    const checked = () => {
      const counts = { acquired: 0, released: 0, late: 0 }
      const check = () =>
        counts.released === counts.acquired && counts.late === 0
          ? Effect.void
          : Effect.fail(
              `acquired ${counts.acquired}, released ${counts.released}, not released by the closes ${counts.late}`
            )
      return { program: program(counts), check }
    }

    it.effect("interrupted at every step", () =>
      Effect.gen(function* () {
        const { program, check } = checked()
        const report = yield* Interruption.assertEveryStep(program, { check })
        expect(report.failures).toEqual([])
        expect(report.steps).toBeGreaterThan(5)
      })
    )

    it.effect("yielding at every step", () =>
      Effect.gen(function* () {
        const { program, check } = checked()
        const report = yield* Interruption.assertEveryStep(program, { mode: "yield", check })
        expect(report.failures).toEqual([])
        expect(report.unreached).toEqual([])
      })
    )
  })
})
