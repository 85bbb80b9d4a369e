import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, RcRef, Scope, ScopedRef } from "effect"
import { Guard, Resource, Tracking } from "@scopeguard/core"
import { Interruption, LeakProbe } from "@scopeguard/vitest"

describe("LeakProbe", () => {
  it.effect("counts live resources and armed guards by label until they settle", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const a = yield* Resource.make(Effect.void, () => Effect.void, { label: "db" }).pipe(
        Scope.provide(scope)
      )
      yield* Resource.make(Effect.void, () => Effect.void, { label: "db" }).pipe(
        Scope.provide(scope)
      )
      const g = yield* Guard.make(Effect.void, { label: "undo" }).pipe(Scope.provide(scope))
      yield* Guard.onSuccess(Effect.void, { label: "commit" }).pipe(Scope.provide(scope))
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
        Scope.provide(scope)
      )
      const g = yield* Guard.make(Effect.void, { label: "undo" }).pipe(Scope.provide(scope))
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
      yield* Guard.make(Effect.void, { label: "outside" }).pipe(Scope.provide(outside))
      const probe = yield* LeakProbe.make
      const inside = yield* Scope.make()
      yield* Effect.forkChild(
        Guard.make(Effect.void, { label: "forked" }).pipe(Scope.provide(inside))
      ).pipe(
        Effect.flatMap((fiber) => Fiber.await(fiber)),
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
      expect(yield* Scope.provide(connection, scope)).toBe("conn")
      expect((yield* LeakProbe.live).map((e) => `${e.kind} ${e.label}`)).toEqual(["resource conn"])
      yield* Scope.close(scope, Exit.void)
      expect(yield* LeakProbe.live).toEqual([])
    }).pipe(Effect.provide(LeakProbe.layer))
  )

  it.live(
    "the harness finds what a hand-written acquire-then-register leaks, with no counter of our own",
    () =>
      Effect.gen(function* () {
        // The acquisition and the registration of its release are two steps: an interruption
        // between them leaves the connection open.
        const leaky = Effect.scoped(
          Effect.gen(function* () {
            const scope = yield* Scope.make()
            yield* Scope.provide(connection, scope)
            yield* Effect.yieldNow
            yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
          })
        )
        const report = yield* Interruption.explore(leaky)
        expect(report.failures.length).toBeGreaterThan(0)
        expect([...new Set(report.failures.map((f) => f.message.replace(/#\d+/, "#n")))]).toEqual([
          'leaked 1 resource and 0 armed guards: resource "conn" (#n)'
        ])
        // Used within its scope, it keeps nothing past it: no failure at any step.
        const clean = yield* Interruption.explore(
          Effect.scoped(Effect.flatMap(connection, () => Effect.yieldNow))
        )
        expect(clean.failures).toEqual([])
        expect(clean.steps).toBeGreaterThan(5)
      }),
    60_000
  )

  it.live(
    "on Effect 4.1 ScopedRef.set and RcRef.get leak nothing at any step (fixed upstream)",
    () =>
      Effect.gen(function* () {
        const scopedRef = yield* Interruption.explore(
          Effect.scoped(
            Effect.gen(function* () {
              const ref = yield* ScopedRef.fromAcquire(connection)
              yield* ScopedRef.set(ref, connection)
            })
          )
        )
        expect(scopedRef.failures).toEqual([])
        expect(scopedRef.steps).toBeGreaterThan(10)
        const rcRef = yield* Interruption.explore(
          Effect.scoped(
            Effect.gen(function* () {
              const ref = yield* RcRef.make({ acquire: connection })
              yield* Effect.scoped(RcRef.get(ref))
              yield* Effect.scoped(RcRef.get(ref))
            })
          ),
          { hangTimeout: "1 second" }
        )
        expect(rcRef.failures).toEqual([])
      }),
    60_000
  )
})
