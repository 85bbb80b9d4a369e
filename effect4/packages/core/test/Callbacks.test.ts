/**
 * User code that calls back into scopeguard — from its own fiber or from a fiber it forks —
 * and the bounds a close keeps whatever the uses do. Found by a hostile review of the commit,
 * lease and adoption changes; each test failed before its fix.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Scope } from "effect"
import { TestClock } from "effect/testing"
import { Guard, ReleaseTimeoutError, Resource, Tracking } from "@scopeguard/core"
import { makeLog } from "./util.js"

/** The defects of a cause, in order. */
const defects = (cause: Cause.Cause<unknown>): Array<unknown> =>
  cause.reasons.filter(Cause.isDieReason).map((reason) => reason.defect)

describe("Resource.fromScoped: a failed adoption keeps the effect's own cause", () => {
  it.effect(
    "an inner finalizer that dies is added to the typed failure, as under Effect.scoped",
    () =>
      Effect.gen(function* () {
        const adopted = Effect.acquireRelease(Effect.void, () => Effect.die("finalizer died")).pipe(
          Effect.andThen(Effect.fail("refused" as const))
        )
        const scoped = yield* Effect.exit(Effect.scoped(adopted))
        const viaResource = yield* Effect.exit(Effect.scoped(Resource.fromScoped(adopted)))
        // Effect 4's Effect.scoped (its `onExit`) makes the typed failure a defect once a
        // finalizer dies; Effect 3's keeps it typed. Either way the effect's own cause is first.
        expect(scoped).toEqual(
          Exit.failCause(Cause.combine(Cause.die("refused"), Cause.die("finalizer died")))
        )
        expect(viaResource).toEqual(scoped)
      })
  )

  it.effect("a release timeout passing while closing it: the typed failure survives", () =>
    Effect.gen(function* () {
      const adopted = Effect.acquireRelease(Effect.void, () => Effect.never).pipe(
        Effect.andThen(Effect.fail("refused" as const))
      )
      const adopting = yield* Effect.forkChild(
        Effect.exit(Effect.scoped(Resource.fromScoped(adopted, { releaseTimeout: "1 second" })))
      )
      yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.join(adopting)
      // As under Effect 4's Effect.scoped: the effect's own error comes first, and the failing
      // close (the release timeout's defect) makes it a defect too (Effect 3 keeps it typed).
      const cause = Exit.isFailure(exit) ? exit.cause : Cause.empty
      expect(cause.reasons.map((reason) => reason._tag)).toEqual(["Die", "Die"])
      expect(defects(cause)[0]).toBe("refused")
      expect(defects(cause)[1]).toBeInstanceOf(ReleaseTimeoutError)
    })
  )

  it.effect("a tracker hears nothing of an adoption that failed; of one that succeeded, all", () =>
    Effect.gen(function* () {
      const events: Array<string> = []
      const tracker: Tracking.Tracker = {
        opened: (e) => events.push(`opened ${e.label}`),
        releasing: (e) => events.push(`releasing ${e.label}`),
        settled: (e) => events.push(`settled ${e.label}`)
      }
      yield* Effect.exit(
        Effect.scoped(Resource.fromScoped(Effect.fail("refused"), { label: "failed" }))
      ).pipe(Tracking.withTracker(tracker))
      yield* Effect.scoped(Resource.fromScoped(Effect.void, { label: "adopted" })).pipe(
        Tracking.withTracker(tracker)
      )
      expect(events).toEqual(["opened adopted", "releasing adopted", "settled adopted"])
    })
  )
})

describe("a close keeps its bounds whatever the uses do", () => {
  it.effect(
    "drainTimeout + releaseTimeout: a use that ignores its interruption cannot hold the close",
    () =>
      Effect.gen(function* () {
        const started = yield* Deferred.make<void>()
        // Opened at the end only, so that the test leaves no fiber running.
        const gate = yield* Deferred.make<void>()
        const r = yield* Resource.make(Effect.void, () => Effect.void, {
          drainTimeout: "1 second",
          releaseTimeout: "1 second"
        })
        yield* Effect.forkChild(
          Resource.use(r, () =>
            Effect.uninterruptible(
              Effect.andThen(Deferred.succeed(started, undefined), Deferred.await(gate))
            )
          )
        )
        yield* Deferred.await(started)
        const closing = yield* Effect.forkChild(Effect.exit(Resource.close(r)))
        yield* TestClock.adjust("1 second")
        expect(closing.pollUnsafe()).toBeUndefined()
        yield* TestClock.adjust("1 second")
        const exit = yield* Fiber.join(closing)
        expect(
          Exit.isFailure(exit) && Cause.squash(exit.cause) instanceof ReleaseTimeoutError
        ).toBe(true)
        expect((yield* Resource.state(r))._tag).toBe("Released")
        yield* Deferred.succeed(gate, undefined)
      }).pipe(Effect.scoped)
  )

  for (const options of [{ drainTimeout: "1 second" }, { releaseTimeout: "1 second" }] as const) {
    it.effect(`a close deferred from inside a use is bounded by ${Object.keys(options)[0]}`, () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const started = yield* Deferred.make<void>()
        const r = yield* Resource.make(Effect.void, () => Effect.void, options).pipe(
          Scope.provide(scope)
        )
        yield* Effect.forkChild(
          Resource.use(r, () => Effect.andThen(Deferred.succeed(started, undefined), Effect.never))
        )
        yield* Deferred.await(started)
        yield* Resource.use(r, () => Resource.close(r))
        const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
        yield* TestClock.adjust("1 second")
        yield* Fiber.await(closing)
        expect((yield* Resource.state(r))._tag).toBe("Released")
      })
    )
  }

  it.effect(
    "awaitRelease from inside a use, after closing it, dies instead of waiting for itself",
    () =>
      Effect.gen(function* () {
        const r = yield* Resource.make(Effect.succeed("conn"), () => Effect.void)
        const exit = yield* Effect.exit(
          Resource.use(r, () => Effect.andThen(Resource.close(r), Resource.awaitRelease(r)))
        )
        expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain(
          `awaitRelease of "${r.label}" was called from inside a use of it`
        )
        expect(yield* Resource.isReleased(r)).toBe(true)
      }).pipe(Effect.scoped)
  )
})

describe("callbacks that call back through a fiber they fork", () => {
  it.effect("a compensation closing its scope under Effect.timeout, in a failed commit", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const scope = yield* Scope.make()
      const g = yield* Guard.step(Effect.void, () =>
        Effect.andThen(
          log.add("undo"),
          Scope.close(scope, Exit.void).pipe(Effect.timeout("1 second"), Effect.ignore)
        )
      ).pipe(Scope.provide(scope))
      const exit = yield* Effect.exit(Guard.commit(g, Effect.fail("declined")))
      expect(exit).toEqual(Exit.fail("declined"))
      expect(log.events).toEqual(["undo"])
    })
  )

  it.effect("a cleanup run by Guard.runNow that closes its scope under Effect.timeout", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const scope = yield* Scope.make()
      const g = yield* Guard.make(
        Effect.andThen(
          log.add("cleanup"),
          Scope.close(scope, Exit.void).pipe(Effect.timeout("1 second"), Effect.ignore)
        )
      ).pipe(Scope.provide(scope))
      expect(yield* Guard.runNow(g)).toBe(true)
      expect(log.events).toEqual(["cleanup"])
    })
  )

  it.effect("a release that closes its own resource under Effect.timeout", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const self = yield* Deferred.make<Resource.Resource<void>>()
      const r = yield* Resource.make(Effect.void, () =>
        Effect.andThen(
          log.add("release"),
          Effect.flatMap(Deferred.await(self), (me) =>
            Resource.close(me).pipe(Effect.timeout("1 second"), Effect.ignore)
          )
        )
      )
      yield* Deferred.succeed(self, r)
      yield* Resource.close(r)
      expect(log.events).toEqual(["release"])
    }).pipe(Effect.scoped)
  )

  it.effect("a use that closes its resource under Effect.timeout", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const r = yield* Resource.make(Effect.void, () => log.add("release"))
      yield* Resource.use(r, () =>
        Effect.andThen(
          Resource.close(r).pipe(Effect.timeout("1 second"), Effect.ignore),
          log.add("use end")
        )
      )
      expect(log.events).toEqual(["use end", "release"])
    }).pipe(Effect.scoped)
  )
})

describe("a compensation acts on an older guard as during a scope's rollback", () => {
  /** The newer compensation acts on the older guard; the rollback is a commit's or the scope's. */
  const rollBack = (
    act: (older: Guard.Guard, log: ReturnType<typeof makeLog>) => Effect.Effect<unknown>,
    viaCommit: boolean
  ) =>
    Effect.gen(function* () {
      const log = makeLog()
      yield* Effect.exit(
        Effect.scoped(
          Effect.gen(function* () {
            const older = yield* Guard.step(Effect.void, (_, e) =>
              log.add(`undo older (${e._tag})`)
            )
            const newer = yield* Guard.step(Effect.void, () => act(older, log))
            if (viaCommit) yield* Guard.commit([older, newer], Effect.fail("declined"))
            else yield* Effect.fail("declined")
          })
        )
      )
      return log.events
    })

  const acts: Record<
    string,
    (older: Guard.Guard, log: ReturnType<typeof makeLog>) => Effect.Effect<unknown>
  > = {
    disarm: (older, log) => Effect.flatMap(Guard.disarm(older), (d) => log.add(`disarmed: ${d}`)),
    commit: (older, log) =>
      Effect.flatMap(Guard.commit(older, Effect.succeed("ok")), (v) => log.add(`committed: ${v}`)),
    state: (older, log) => Effect.flatMap(Guard.state(older), (s) => log.add(`state: ${s._tag}`)),
    runNow: (older, log) => Effect.flatMap(Guard.runNow(older), (ran) => log.add(`ran: ${ran}`))
  }
  const expected: Record<string, Array<string>> = {
    disarm: ["disarmed: true"],
    commit: ["committed: ok"],
    state: ["state: Armed", "undo older (Failure)"],
    runNow: ["undo older (Success)", "ran: true"]
  }
  for (const [name, act] of Object.entries(acts)) {
    it.effect(`${name}: the same in a failed commit and in the scope's rollback`, () =>
      Effect.gen(function* () {
        expect(yield* rollBack(act, false)).toEqual(expected[name])
        expect(yield* rollBack(act, true)).toEqual(expected[name])
      })
    )
  }

  it.effect(
    "a runNow from another fiber while a failed commit compensates runs as runNow does",
    () =>
      Effect.gen(function* () {
        const log = makeLog()
        const inNewer = yield* Deferred.make<void>()
        const gate = yield* Deferred.make<void>()
        const scope = yield* Scope.make()
        const older = yield* Guard.step(Effect.void, (_, e) =>
          log.add(`undo older (${e._tag})`)
        ).pipe(Scope.provide(scope))
        const newer = yield* Guard.step(Effect.void, () =>
          Effect.andThen(
            Effect.andThen(Deferred.succeed(inNewer, undefined), Deferred.await(gate)),
            log.add("undo newer")
          )
        ).pipe(Scope.provide(scope))
        const committing = yield* Effect.forkChild(
          Effect.exit(Guard.commit([older, newer], Effect.fail("declined")))
        )
        yield* Deferred.await(inNewer)
        expect(yield* Guard.runNow(older)).toBe(true)
        yield* Deferred.succeed(gate, undefined)
        expect(yield* Fiber.join(committing)).toEqual(Exit.fail("declined"))
        expect(log.events).toEqual(["undo older (Success)", "undo newer"])
        yield* Scope.close(scope, Exit.void)
        expect(log.events).toHaveLength(2)
      })
  )
})
