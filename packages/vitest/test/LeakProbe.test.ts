import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Option, RcRef, Scope, ScopedRef } from "effect"
import { Guard, InvalidOptionsError, Resource, Tracking } from "@scopeguard/core"
import { Interruption, LeakProbe } from "@scopeguard/vitest"

describe("LeakProbe", () => {
  it.effect("counts live resources and armed guards by label until they settle", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const a = yield* Resource.make(Effect.void, () => Effect.void, { label: "db" }).pipe(
        Scope.extend(scope)
      )
      yield* Resource.make(Effect.void, () => Effect.void, { label: "db" }).pipe(
        Scope.extend(scope)
      )
      const g = yield* Guard.make(Effect.void, { label: "undo" }).pipe(Scope.extend(scope))
      yield* Guard.onSuccess(Effect.void, { label: "commit" }).pipe(Scope.extend(scope))
      expect(yield* LeakProbe.countByLabel).toEqual(
        new Map([
          ["db", 2],
          ["undo", 1],
          ["commit", 1]
        ])
      )
      yield* Resource.close(a)
      yield* Guard.disarm(g)
      expect((yield* LeakProbe.live).map((e) => `${e.kind} ${e.label}`)).toEqual([
        "resource db",
        "guard commit"
      ])
      yield* Scope.close(scope, Exit.fail("boom")) // releases db; skips commit
      expect(yield* LeakProbe.live).toEqual([])
      yield* LeakProbe.assertNone
    }).pipe(Effect.provide(LeakProbe.layer))
  )

  it.effect("assertNone fails with a LeakError naming what is alive", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const r = yield* Resource.make(Effect.void, () => Effect.void, { label: "socket" }).pipe(
        Scope.extend(scope)
      )
      const g = yield* Guard.make(Effect.void, { label: "undo" }).pipe(Scope.extend(scope))
      const error = yield* Effect.flip(LeakProbe.assertNone)
      expect(error._tag).toBe("LeakError")
      expect(error.message).toBe(
        `1 resource and 1 armed guard still alive: resource "socket" (#${r.id}), guard "undo" (#${g.id})`
      )
      yield* Scope.close(scope, Exit.void)
      yield* LeakProbe.assertNone
    }).pipe(Effect.provide(LeakProbe.layer))
  )

  it.effect("a resource whose release is running is still alive; a detached one is not", () =>
    Effect.gen(function* () {
      const r = yield* Resource.make(Effect.void, () => Effect.void, { label: "handed over" })
      yield* Resource.detach(r)
      expect(yield* LeakProbe.live).toEqual([])
      const slow = yield* Resource.make(
        Effect.void,
        () =>
          Effect.flatMap(LeakProbe.live, (live) =>
            Effect.sync(() => expect(live.map((e) => e.label)).toEqual(["slow"]))
          ).pipe(Effect.orDie),
        { label: "slow" }
      )
      yield* Resource.close(slow)
      expect(yield* LeakProbe.live).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(LeakProbe.layer))
  )

  it.effect("sees what forked fibers make, and nothing made outside it", () =>
    Effect.gen(function* () {
      const outside = yield* Scope.make()
      yield* Guard.make(Effect.void, { label: "outside" }).pipe(Scope.extend(outside))
      const probe = yield* LeakProbe.make
      const inside = yield* Scope.make()
      yield* Effect.fork(
        Guard.make(Effect.void, { label: "forked" }).pipe(Scope.extend(inside))
      ).pipe(
        Effect.flatMap((fiber) => fiber.await),
        Tracking.withTracker(probe.tracker)
      )
      expect(probe.unsafeLive().map((e) => e.label)).toEqual(["forked"])
      yield* Scope.close(inside, Exit.void)
      expect(probe.unsafeLive()).toEqual([])
      yield* Scope.close(outside, Exit.void)
    })
  )
})

describe("LeakProbe.watch", () => {
  const connection = LeakProbe.watch(
    Effect.acquireRelease(Effect.succeed("conn"), () => Effect.void),
    { label: "conn" }
  )

  it.effect("lists what a plain scoped effect holds until its scope closes", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      expect(yield* Scope.extend(connection, scope)).toBe("conn")
      expect((yield* LeakProbe.live).map((e) => `${e.kind} ${e.label}`)).toEqual(["resource conn"])
      yield* Scope.close(scope, Exit.void)
      expect(yield* LeakProbe.live).toEqual([])
    }).pipe(Effect.provide(LeakProbe.layer))
  )

  it.live(
    "a forkScoped worker that waits forever is interrupted when the scope closes, as under Effect.scoped",
    () =>
      Effect.gen(function* () {
        /** Forks a worker into the scope (`adopt`-ed or not), then closes the scope. */
        const closeWithWorker = (
          adopt: (
            scoped: Effect.Effect<unknown, never, Scope.Scope>
          ) => Effect.Effect<unknown, never, Scope.Scope>
        ) =>
          Effect.gen(function* () {
            const events: Array<string> = []
            const started = yield* Deferred.make<void>()
            const worker = Effect.zipRight(Deferred.succeed(started, undefined), Effect.never).pipe(
              Effect.onInterrupt(() => Effect.sync(() => events.push("worker interrupted")))
            )
            const closed = yield* Effect.scoped(
              Effect.gen(function* () {
                yield* adopt(Effect.forkScoped(worker))
                yield* Deferred.await(started)
                events.push(`closing, live: ${(yield* LeakProbe.live).map((e) => e.label)}`)
              })
            ).pipe(
              Effect.exit,
              // A hang bound, not a synchronisation: an uninterruptible worker never ends, and
              // the scope's close waits for it.
              Effect.disconnect,
              Effect.timeoutOption("10 seconds")
            )
            events.push(`closed, live: ${(yield* LeakProbe.live).map((e) => e.label)}`)
            return { closed, events }
          }).pipe(Effect.provide(LeakProbe.layer))
        const plain = yield* closeWithWorker((scoped) => scoped)
        const watched = yield* closeWithWorker((scoped) =>
          LeakProbe.watch(scoped, { label: "worker" })
        )
        expect({ plain, watched }).toEqual({
          plain: {
            closed: Option.some(Exit.void),
            events: ["closing, live: ", "worker interrupted", "closed, live: "]
          },
          watched: {
            closed: Option.some(Exit.void),
            events: ["closing, live: worker", "worker interrupted", "closed, live: "]
          }
        })
      }),
    120_000
  )

  it.effect("a scoped effect that fails or is interrupted leaves nothing open or listed", () =>
    Effect.gen(function* () {
      const events: Array<string> = []
      const opened = (name: string) =>
        Effect.acquireRelease(
          Effect.sync(() => events.push(`open ${name}`)),
          (_, exit) => Effect.sync(() => events.push(`close ${name}: ${exit._tag}`))
        )
      const failed = yield* Effect.exit(
        Effect.scoped(
          LeakProbe.watch(Effect.zipRight(opened("a"), Effect.fail("no")), { label: "a" })
        )
      )
      const live = yield* LeakProbe.live
      expect({ failed, live, events }).toEqual({
        failed: Exit.fail("no"),
        live: [],
        events: ["open a", "close a: Failure"]
      })
    }).pipe(Effect.provide(LeakProbe.layer))
  )

  it.effect("its options are checked when the effect runs", () =>
    Effect.gen(function* () {
      const scoped = Effect.acquireRelease(Effect.void, () => Effect.void)
      const exits = [
        yield* Effect.exit(
          Effect.scoped(LeakProbe.watch(scoped, null as unknown as { label?: string }))
        ),
        yield* Effect.exit(
          Effect.scoped(LeakProbe.watch(scoped, { label: 5 as unknown as string }))
        )
      ]
      expect(exits).toEqual([
        Exit.die(
          new InvalidOptionsError({ option: "options", value: null, reason: "is not an object" })
        ),
        Exit.die(new InvalidOptionsError({ option: "label", value: 5, reason: "is not a string" }))
      ])
    })
  )

  it.live(
    "the explorer finds what ScopedRef.set leaks, with no counter of our own",
    () =>
      Effect.gen(function* () {
        const report = yield* Interruption.explore(
          Effect.scoped(
            Effect.gen(function* () {
              const ref = yield* ScopedRef.fromAcquire(connection)
              yield* ScopedRef.set(ref, connection)
            })
          ),
          { mode: "interrupt" }
        )
        expect(report.failures.length).toBeGreaterThan(0)
        expect([...new Set(report.failures.map((f) => f.message.replace(/#\d+/, "#n")))]).toEqual([
          'leaked 1 resource and 0 armed guards: resource "conn" (#n)'
        ])
        // RcRef's leak shows the same way (its hang needs no probe).
        const rc = yield* Interruption.explore(
          Effect.scoped(
            Effect.gen(function* () {
              const ref = yield* RcRef.make({ acquire: connection })
              yield* Effect.scoped(RcRef.get(ref))
              yield* Effect.scoped(RcRef.get(ref))
            })
          ),
          { mode: "interrupt", hangTimeout: "50 millis" }
        )
        expect(
          [...new Set(rc.failures.map((f) => f.message.replace(/#\d+/, "#n")))].sort()
        ).toEqual([
          "did not finish within 50ms after its interruption",
          'leaked 1 resource and 0 armed guards: resource "conn" (#n)'
        ])
        // Used within its scope, it keeps nothing past it: no failure at any step.
        const clean = yield* Interruption.explore(
          Effect.scoped(Effect.flatMap(connection, () => Effect.yieldNow())),
          { mode: "interrupt" }
        )
        expect(clean.failures).toEqual([])
        expect(clean.steps).toBeGreaterThan(20)
      }),
    120_000
  )
})
