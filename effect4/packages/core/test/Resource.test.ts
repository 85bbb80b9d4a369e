import { describe, expect, it } from "@effect/vitest"
import { Cause, Context, Deferred, Duration, Effect, Exit, Fiber, Scope } from "effect"
import { TestClock } from "effect/testing"
import { ReleaseTimeoutError, Resource, ResourceReleasedError } from "@scopeguard/core"
import {
  captureLogs,
  expectStillWaiting,
  finalizerCount,
  makeBlockedCleanup,
  makeLog
} from "./util.js"

describe("Resource", () => {
  describe("release on every exit of the scope", () => {
    const closeWith = (exit: Exit.Exit<unknown, unknown>) =>
      Effect.gen(function* () {
        const log = makeLog()
        const scope = yield* Scope.make()
        const r = yield* Resource.make(log.acquire("a"), (_, e) =>
          log.add(`release a ${e._tag}`)
        ).pipe(Scope.provide(scope))
        yield* Scope.close(scope, exit)
        return {
          events: log.events,
          state: yield* Resource.state(r),
          exit: yield* Resource.awaitRelease(r)
        }
      })

    it.effect("success: the release receives the scope's exit", () =>
      Effect.gen(function* () {
        const result = yield* closeWith(Exit.succeed(1))
        expect(result.events).toEqual(["acquire a", "release a Success"])
        expect(result.state).toEqual({ _tag: "Released", exit: Exit.void, by: "scope" })
      })
    )

    it.effect("typed failure, defect and interruption reach the release as the scope's exit", () =>
      Effect.gen(function* () {
        const seen: Array<Exit.Exit<unknown, unknown>> = []
        for (const exit of [Exit.fail("boom"), Exit.die("bug"), Exit.interrupt()]) {
          const scope = yield* Scope.make()
          yield* Resource.make(Effect.void, (_, e) => Effect.sync(() => seen.push(e))).pipe(
            Scope.provide(scope)
          )
          yield* Scope.close(scope, exit)
        }
        expect(seen).toEqual([Exit.fail("boom"), Exit.die("bug"), Exit.interrupt()])
      })
    )

    it.effect("Effect.scoped: success, failure, defect and interruption all release", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const body = (name: string, end: Effect.Effect<void, string>) =>
          Effect.scoped(
            Effect.andThen(
              Resource.make(log.acquire(name), (_, e) => log.add(`release ${name} ${e._tag}`)),
              end
            )
          )
        const exits = [
          yield* Effect.exit(body("ok", Effect.void)),
          yield* Effect.exit(body("fail", Effect.fail("boom"))),
          yield* Effect.exit(body("die", Effect.die("bug"))),
          yield* Effect.exit(body("interrupt", Effect.interrupt))
        ]
        expect(log.events).toEqual([
          "acquire ok",
          "release ok Success",
          "acquire fail",
          "release fail Failure",
          "acquire die",
          "release die Failure",
          "acquire interrupt",
          "release interrupt Failure"
        ])
        expect(exits.map((e) => e._tag)).toEqual(["Success", "Failure", "Failure", "Failure"])
        expect(exits[1]).toEqual(Exit.fail("boom"))
        expect(exits[2]).toEqual(Exit.die("bug"))
      })
    )

    it.effect("a fiber interrupted while using the resource releases it", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const acquired = yield* Deferred.make<void>()
        const fiber = yield* Effect.forkChild(
          Effect.scoped(
            Effect.gen(function* () {
              yield* Resource.make(log.acquire("a"), (_, e) => log.add(`release a ${e._tag}`))
              yield* Deferred.succeed(acquired, undefined)
              yield* Effect.never
            })
          )
        )
        yield* Deferred.await(acquired)
        yield* Fiber.interrupt(fiber)
        expect(Exit.hasInterrupts(yield* Fiber.await(fiber))).toBe(true)
        expect(log.events).toEqual(["acquire a", "release a Failure"])
      })
    )

    it.effect("a failed acquisition registers nothing", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const scope = yield* Scope.make()
        const exit = yield* Effect.exit(
          Resource.make(Effect.fail("no"), () => log.add("release")).pipe(Scope.provide(scope))
        )
        expect(exit).toEqual(Exit.fail("no"))
        expect(finalizerCount(scope)).toBe(0)
        yield* Scope.close(scope, Exit.void)
        expect(log.events).toEqual([])
      })
    )

    it.effect("the release runs with the services of the fiber that made the resource", () =>
      Effect.gen(function* () {
        class Tag extends Context.Service<Tag, { readonly name: string }>()("Tag") {}
        const log = makeLog()
        const scope = yield* Scope.make()
        yield* Resource.make(Effect.void, () => Effect.flatMap(Tag, (t) => log.add(t.name))).pipe(
          Effect.provideService(Tag, { name: "from acquire" }),
          Scope.provide(scope)
        )
        yield* Scope.close(scope, Exit.void)
        expect(log.events).toEqual(["from acquire"])
      })
    )
  })

  it.effect("releases in LIFO order with acquireRelease, addFinalizer and guards", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const { Guard } = yield* Effect.promise(() => import("@scopeguard/core"))
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Effect.acquireRelease(log.acquire("1 acquireRelease"), () => log.add("release 1"))
          yield* Resource.make(log.acquire("2 resource"), () => log.add("release 2"))
          yield* Effect.addFinalizer(() => log.add("release 3 addFinalizer"))
          yield* Guard.make(log.add("release 4 guard"))
          yield* Resource.make(log.acquire("5 resource"), () => log.add("release 5"))
        })
      )
      expect(log.events).toEqual([
        "acquire 1 acquireRelease",
        "acquire 2 resource",
        "acquire 5 resource",
        "release 5",
        "release 4 guard",
        "release 3 addFinalizer",
        "release 2",
        "release 1"
      ])
    })
  )

  describe("close", () => {
    it.effect("releases now with Exit.void, exactly once: twice, then the scope, still once", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const scope = yield* Scope.make()
        const r = yield* Resource.make(log.acquire("a"), (_, e) =>
          log.add(`release a ${e._tag}`)
        ).pipe(Scope.provide(scope))
        yield* Resource.close(r)
        yield* Resource.close(r)
        yield* Scope.close(scope, Exit.fail("late"))
        expect(log.events).toEqual(["acquire a", "release a Success"])
        expect(yield* Resource.state(r)).toEqual({ _tag: "Released", exit: Exit.void, by: "close" })
        expect(yield* Resource.isReleased(r)).toBe(true)
      })
    )

    it.effect("removes the entry from the scope", () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const before = finalizerCount(scope)
        const r = yield* Resource.make(Effect.void, () => Effect.void).pipe(Scope.provide(scope))
        expect(finalizerCount(scope)).toBe(before + 1)
        yield* Resource.close(r)
        expect(finalizerCount(scope)).toBe(before)
      })
    )

    it.effect("a scope closing during an explicit close finishes after that release", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const blocked = yield* makeBlockedCleanup(log)
        const scope = yield* Scope.make()
        const r = yield* Resource.make(Effect.void, () => blocked.cleanup).pipe(
          Scope.provide(scope)
        )
        const closing = yield* Effect.forkChild(Resource.close(r))
        yield* blocked.started
        const scopeClosing = yield* Effect.forkChild(
          Effect.andThen(Scope.close(scope, Exit.void), log.add("scope closed"))
        )
        yield* expectStillWaiting(scopeClosing)
        expect(yield* Resource.state(r)).toEqual({ _tag: "Releasing" })
        yield* blocked.open
        yield* Fiber.join(scopeClosing)
        yield* Fiber.join(closing)
        expect(log.events).toEqual(["release start", "release end", "scope closed"])
      })
    )

    it.effect("a close during the scope's release waits for it and releases nothing more", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const blocked = yield* makeBlockedCleanup(log)
        const scope = yield* Scope.make()
        const r = yield* Resource.make(Effect.void, () => blocked.cleanup).pipe(
          Scope.provide(scope)
        )
        const scopeClosing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
        yield* blocked.started
        const closing = yield* Effect.forkChild(
          Effect.andThen(Resource.close(r), log.add("close returned"))
        )
        yield* expectStillWaiting(closing)
        yield* blocked.open
        yield* Fiber.join(closing)
        yield* Fiber.join(scopeClosing)
        expect(log.events).toEqual(["release start", "release end", "close returned"])
        expect(yield* Resource.state(r)).toEqual({ _tag: "Released", exit: Exit.void, by: "scope" })
      })
    )

    it.effect(
      "a release run by an interruptible Scope.close is not cut short by its interruption",
      () =>
        Effect.gen(function* () {
          const log = makeLog()
          const blocked = yield* makeBlockedCleanup(log)
          const scope = yield* Scope.make()
          const r = yield* Resource.make(Effect.void, () => blocked.cleanup).pipe(
            Scope.provide(scope)
          )
          // Scope.close itself is interruptible: a user may interrupt the fiber closing a scope.
          const closing = yield* Effect.forkChild(
            Effect.interruptible(Scope.close(scope, Exit.void))
          )
          yield* blocked.started
          const interrupting = yield* Effect.forkChild(Fiber.interrupt(closing))
          const waiting = yield* Effect.forkChild(Resource.awaitRelease(r))
          yield* expectStillWaiting(interrupting)
          yield* blocked.open
          yield* Fiber.join(interrupting)
          expect(yield* Fiber.join(waiting)).toEqual(Exit.void)
          expect(log.events).toEqual(["release start", "release end"])
          expect(yield* Resource.state(r)).toEqual({
            _tag: "Released",
            exit: Exit.void,
            by: "scope"
          })
        })
    )

    it.effect("concurrent closes release once", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const r = yield* Resource.make(Effect.void, () => log.add("release"))
        yield* Effect.all([Resource.close(r), Resource.close(r), Resource.close(r)], {
          concurrency: "unbounded"
        })
        expect(log.events).toEqual(["release"])
      }).pipe(Effect.scoped)
    )

    it.effect("is uninterruptible: an interrupted close still releases and removes the entry", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const blocked = yield* makeBlockedCleanup(log)
        const scope = yield* Scope.make()
        const r = yield* Resource.make(Effect.void, () => blocked.cleanup).pipe(
          Scope.provide(scope)
        )
        const closing = yield* Effect.forkChild(Resource.close(r))
        yield* blocked.started
        const interrupting = yield* Effect.forkChild(Fiber.interrupt(closing))
        // The interruption is delivered (and waits for the close) before the release may end.
        yield* expectStillWaiting(interrupting)
        yield* blocked.open
        yield* Fiber.join(interrupting)
        // The close ran to its end; the fiber then reports the interruption it received.
        expect(Exit.hasInterrupts(yield* Fiber.await(closing))).toBe(true)
        expect(log.events).toEqual(["release start", "release end"])
        expect(finalizerCount(scope)).toBe(0)
      })
    )
  })

  describe("get, use and detach", () => {
    it.effect("get and use read the value while acquired", () =>
      Effect.gen(function* () {
        const r = yield* Resource.make(Effect.succeed(20), () => Effect.void)
        expect(yield* Resource.get(r)).toBe(20)
        expect(yield* Resource.use(r, (n) => Effect.succeed(n + 1))).toBe(21)
        expect(yield* r.pipe(Resource.use((n) => Effect.succeed(n * 2)))).toBe(40)
      }).pipe(Effect.scoped)
    )

    it.effect("get and use after release fail with ResourceReleasedError", () =>
      Effect.gen(function* () {
        const r = yield* Resource.make(Effect.succeed(1), () => Effect.void, { label: "conn" })
        yield* Resource.close(r)
        const expected = new ResourceReleasedError({ id: r.id, label: "conn", status: "Released" })
        expect(yield* Effect.exit(Resource.get(r))).toEqual(Exit.fail(expected))
        expect(yield* Effect.exit(Resource.use(r, () => Effect.die("not run")))).toEqual(
          Exit.fail(expected)
        )
        expect(expected.message).toBe(
          `Resource "conn" (#${r.id}) has been released; its value can no longer be used`
        )
      }).pipe(Effect.scoped)
    )

    it.effect("detach hands the value over and the scope never releases it", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const scope = yield* Scope.make()
        const r = yield* Resource.make(Effect.succeed("conn"), () => log.add("release")).pipe(
          Scope.provide(scope)
        )
        expect(yield* Resource.detach(r)).toBe("conn")
        expect(finalizerCount(scope)).toBe(0)
        yield* Scope.close(scope, Exit.void)
        yield* Resource.close(r)
        expect(log.events).toEqual([])
        expect(yield* Resource.state(r)).toEqual({ _tag: "Detached" })
        expect(yield* Resource.isReleased(r)).toBe(false)
        expect(yield* Effect.exit(Resource.detach(r))).toEqual(
          Exit.fail(new ResourceReleasedError({ id: r.id, label: r.label, status: "Detached" }))
        )
        expect(yield* Effect.exit(Resource.get(r))).toEqual(
          Exit.fail(new ResourceReleasedError({ id: r.id, label: r.label, status: "Detached" }))
        )
      })
    )

    it.effect("detach after release fails and releases nothing more", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const r = yield* Resource.make(Effect.void, () => log.add("release"))
        yield* Resource.close(r)
        expect(yield* Effect.exit(Resource.detach(r))).toEqual(
          Exit.fail(new ResourceReleasedError({ id: r.id, label: r.label, status: "Released" }))
        )
        expect(log.events).toEqual(["release"])
      }).pipe(Effect.scoped)
    )

    it.effect("get during the release fails with status Releasing", () =>
      Effect.gen(function* () {
        const blocked = yield* makeBlockedCleanup(makeLog())
        const r = yield* Resource.make(Effect.succeed(1), () => blocked.cleanup)
        const closing = yield* Effect.forkChild(Resource.close(r))
        yield* blocked.started
        expect(yield* Effect.exit(Resource.get(r))).toEqual(
          Exit.fail(new ResourceReleasedError({ id: r.id, label: r.label, status: "Releasing" }))
        )
        yield* blocked.open
        yield* Fiber.join(closing)
      }).pipe(Effect.scoped)
    )
  })

  it.effect("ids increase and labels default to resource-<id>", () =>
    Effect.gen(function* () {
      const a = yield* Resource.make(Effect.void, () => Effect.void)
      const b = yield* Resource.make(Effect.void, () => Effect.void, { label: "named" })
      expect(b.id).toBeGreaterThan(a.id)
      expect(a.label).toBe(`resource-${a.id}`)
      expect(b.label).toBe("named")
      expect(Resource.isResource(a)).toBe(true)
      expect(JSON.parse(JSON.stringify(b))).toEqual({
        _id: "Resource",
        id: b.id,
        label: "named",
        phase: "Armed"
      })
      expect(String(b)).toBe("Resource(named)")
      expect(Resource.isResource({})).toBe(false)
    }).pipe(Effect.scoped)
  )

  describe("a failing release", () => {
    it.effect("does not stop the other finalizers and is in the close exit and in state", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const scope = yield* Scope.make()
        const a = yield* Resource.make(Effect.void, () => log.add("release a")).pipe(
          Scope.provide(scope)
        )
        const b = yield* Resource.make(Effect.void, () => Effect.die("b broke")).pipe(
          Scope.provide(scope)
        )
        yield* Effect.addFinalizer(() => log.add("release c")).pipe(Scope.provide(scope))
        const exit = yield* Effect.exit(Scope.close(scope, Exit.void))
        expect(exit).toEqual(Exit.die("b broke"))
        expect(log.events).toEqual(["release c", "release a"])
        expect(yield* Resource.state(b)).toEqual({
          _tag: "Released",
          exit: Exit.die("b broke"),
          by: "scope"
        })
        expect(yield* Resource.state(a)).toEqual({ _tag: "Released", exit: Exit.void, by: "scope" })
      })
    )

    it.effect("an explicit close dies with the release's defect; awaitRelease yields it", () =>
      Effect.gen(function* () {
        const r = yield* Resource.make(Effect.void, () => Effect.die("broke"))
        expect(yield* Effect.exit(Resource.close(r))).toEqual(Exit.die("broke"))
        expect(yield* Resource.awaitRelease(r)).toEqual(Exit.die("broke"))
        expect(yield* Effect.exit(Resource.close(r))).toEqual(Exit.void)
      }).pipe(Effect.scoped)
    )
  })

  describe("awaitRelease", () => {
    it.effect("waits for a release that has not started", () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const r = yield* Resource.make(Effect.void, () => Effect.void).pipe(Scope.provide(scope))
        const waiting = yield* Effect.forkChild(Resource.awaitRelease(r))
        yield* expectStillWaiting(waiting)
        yield* Scope.close(scope, Exit.void)
        expect(yield* Fiber.join(waiting)).toEqual(Exit.void)
      })
    )
  })

  describe("releaseTimeout", () => {
    const stuck = (release: Effect.Effect<void>) =>
      Effect.gen(function* () {
        const log = makeLog()
        const scope = yield* Scope.make()
        const r = yield* Resource.make(Effect.void, () => release, {
          label: "stuck",
          releaseTimeout: "1 second"
        }).pipe(Scope.provide(scope))
        const closing = yield* Effect.forkChild(
          Effect.exit(Scope.close(scope, Exit.void)).pipe(Effect.tap(() => log.add("closed")))
        )
        yield* TestClock.adjust("999 millis")
        expect(log.events).toEqual([])
        yield* TestClock.adjust("1 millis")
        const exit = yield* Fiber.join(closing)
        const timeout = new ReleaseTimeoutError({ label: "stuck", timeout: Duration.seconds(1) })
        expect(exit).toEqual(Exit.die(timeout))
        expect(yield* Resource.state(r)).toEqual({
          _tag: "Released",
          exit: Exit.die(timeout),
          by: "scope"
        })
        expect(log.events).toEqual(["closed"])
      })

    it.effect(
      "a release still running after the timeout is abandoned; the close dies with it",
      () => stuck(Effect.never)
    )

    it.effect("the bound holds when the release itself is uninterruptible", () =>
      stuck(Effect.uninterruptible(Effect.never))
    )

    it.effect("an explicit close times out too, and Effect.scoped reports it", () =>
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(
          Effect.exit(
            Effect.scoped(
              Resource.make(Effect.void, () => Effect.never, {
                label: "slow",
                releaseTimeout: "10 millis"
              })
            )
          )
        )
        yield* TestClock.adjust("10 millis")
        expect(yield* Fiber.join(fiber)).toEqual(
          Exit.die(new ReleaseTimeoutError({ label: "slow", timeout: Duration.millis(10) }))
        )
        const r = yield* Resource.make(Effect.void, () => Effect.never, {
          label: "slow",
          releaseTimeout: "10 millis"
        })
        const closing = yield* Effect.forkChild(Effect.exit(Resource.close(r)))
        yield* TestClock.adjust("10 millis")
        const exit = yield* Fiber.join(closing)
        expect(exit).toEqual(
          Exit.die(new ReleaseTimeoutError({ label: "slow", timeout: Duration.millis(10) }))
        )
        if (Exit.isFailure(exit)) {
          expect(Cause.pretty(exit.cause)).toContain(
            'Release of "slow" did not finish within 10ms; it was interrupted and abandoned'
          )
        }
      }).pipe(Effect.scoped)
    )

    it.effect("a release that finishes in time is not affected", () =>
      Effect.gen(function* () {
        const log = makeLog()
        const r = yield* Resource.make(
          Effect.void,
          () => Effect.andThen(Effect.sleep("500 millis"), log.add("released")),
          { releaseTimeout: "1 second" }
        )
        const closing = yield* Effect.forkChild(Resource.close(r))
        yield* TestClock.adjust("500 millis")
        expect(yield* Fiber.join(closing)).toBeUndefined()
        yield* TestClock.adjust("1 second")
        expect(log.events).toEqual(["released"])
        expect(yield* Resource.state(r)).toEqual({ _tag: "Released", exit: Exit.void, by: "close" })
      }).pipe(Effect.scoped)
    )
  })

  describe("warnIfNotClosed", () => {
    it.effect("warns, naming the label, when the scope had to release it", () =>
      Effect.gen(function* () {
        const lines = yield* captureLogs(
          Effect.scoped(
            Resource.make(Effect.void, () => Effect.void, {
              label: "socket",
              warnIfNotClosed: true
            })
          )
        )
        expect(lines).toHaveLength(1)
        expect(lines[0]).toMatch(
          /^WARN Resource "socket" was not closed: its scope released it\. Call Resource\.close when you are done with it\. \{"scopeguard\.id":\d+,"scopeguard\.label":"socket"\}$/
        )
      })
    )

    it.effect("logs nothing after an explicit close, nor without the option", () =>
      Effect.gen(function* () {
        const lines = yield* captureLogs(
          Effect.scoped(
            Effect.gen(function* () {
              const r = yield* Resource.make(Effect.void, () => Effect.void, {
                label: "socket",
                warnIfNotClosed: true
              })
              yield* Resource.close(r)
              yield* Resource.make(Effect.void, () => Effect.void, { label: "quiet" })
            })
          )
        )
        expect(lines).toEqual([])
      })
    )
  })

  it.effect("made on a closed scope: released at once with the scope's exit", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const scope = yield* Scope.make()
      yield* Scope.close(scope, Exit.fail("closed"))
      const r = yield* Resource.make(log.acquire("a"), (_, e) =>
        log.add(`release a ${e._tag}`)
      ).pipe(Scope.provide(scope))
      expect(log.events).toEqual(["acquire a", "release a Failure"])
      expect(yield* Resource.state(r)).toEqual({ _tag: "Released", exit: Exit.void, by: "scope" })
    })
  )

  it.effect("seed: a resource's cleanup witness is set after its scope ends", () =>
    Effect.gen(function* () {
      let cleaned = false
      const r = yield* Effect.scoped(
        Resource.make(Effect.succeed("value"), () =>
          Effect.sync(() => {
            cleaned = true
          })
        )
      )
      expect(cleaned).toBe(true)
      expect(yield* Resource.isReleased(r)).toBe(true)
    })
  )
})
