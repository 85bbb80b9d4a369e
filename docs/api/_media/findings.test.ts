/**
 * What the explorer finds in effect's own resource modules (effect 3.22.4). Each program
 * resets a counter of open handles when it starts; the check after each run wants it at 0.
 * These tests pin the findings recorded in packages/vitest/README.md: if an upgrade of effect
 * fixes one, its test fails here and the README must be updated.
 *
 * Replay one: npx vitest run --project vitest -t "<name>"
 */
import { describe, expect, it } from "@effect/vitest"
import {
  Context,
  type Duration,
  Effect,
  Exit,
  Fiber,
  FiberMap,
  FiberSet,
  Layer,
  Option,
  Pool,
  RcMap,
  RcRef,
  Resource,
  Scope,
  ScopedRef
} from "effect"
import { Interruption } from "@scopeguard/vitest"

const world = { open: 0 }
const reset = Effect.sync(() => {
  world.open = 0
})
const handle = Effect.acquireRelease(
  Effect.sync(() => ++world.open),
  () =>
    Effect.sync(() => {
      world.open--
    })
)
const check = () =>
  world.open === 0 ? Effect.void : Effect.fail(`${world.open} handle(s) still open`)

class Service extends Context.Tag("Service")<Service, number>() {}

const explore = (
  program: Effect.Effect<unknown, unknown>,
  hangTimeout: Duration.DurationInput = "200 millis"
) => Interruption.explore(program, { check, hangTimeout })

const kinds = (report: Interruption.Report) =>
  [...new Set(report.failures.map((f) => `${f.kind}: ${f.message}`))].sort()

describe("the explorer on effect's own modules", () => {
  describe("finds", () => {
    it.live("ScopedRef.set: the new value leaks when interrupted right after its acquisition", () =>
      Effect.gen(function* () {
        const report = yield* explore(
          Effect.scoped(
            Effect.gen(function* () {
              yield* reset
              const ref = yield* ScopedRef.fromAcquire(handle)
              yield* ScopedRef.set(ref, handle)
            })
          )
        )
        expect(report.failures.length).toBeGreaterThan(0)
        expect(kinds(report)).toEqual(["check: 1 handle(s) still open"])
      })
    )

    it.live("RcRef.get: leaks and hangs (its Semaphore loses a permit)", () =>
      Effect.gen(function* () {
        const report = yield* explore(
          Effect.scoped(
            Effect.gen(function* () {
              yield* reset
              const ref = yield* RcRef.make({ acquire: handle })
              yield* Effect.scoped(RcRef.get(ref))
              yield* Effect.scoped(RcRef.get(ref))
            })
          )
        )
        expect(kinds(report)).toEqual([
          "check: 1 handle(s) still open",
          "hang: did not finish within 200ms after its interruption"
        ])
      })
    )

    it.live("Semaphore.withPermits: an interrupted acquisition keeps the permit", () =>
      Effect.gen(function* () {
        let semaphore: Effect.Semaphore | undefined
        const report = yield* Interruption.explore(
          Effect.gen(function* () {
            semaphore = yield* Effect.makeSemaphore(1)
            yield* semaphore.withPermits(1)(Effect.void)
          }),
          {
            check: () =>
              Effect.flatMap(
                Effect.suspend(() => semaphore!.withPermitsIfAvailable(1)(Effect.void)),
                (ran) => (Option.isSome(ran) ? Effect.void : Effect.fail("the permit is gone"))
              )
          }
        )
        expect(kinds(report)).toEqual(["check: the permit is gone"])
      })
    )

    it.live("Effect.all with concurrency: interrupted while it starts its workers, it hangs", () =>
      Effect.gen(function* () {
        const report = yield* explore(
          Effect.all([Effect.void, Effect.void], { concurrency: "unbounded" }),
          "50 millis"
        )
        expect(kinds(report)).toEqual(["hang: did not finish within 50ms after its interruption"])
      })
    )

    it.live("FiberSet.run: a fiber forked but not yet added runs on after the set closes", () =>
      Effect.gen(function* () {
        const report = yield* explore(
          Effect.scoped(
            Effect.gen(function* () {
              yield* reset
              const set = yield* FiberSet.make()
              yield* FiberSet.run(set, Effect.scoped(Effect.zipRight(handle, Effect.never)))
              yield* Effect.yieldNow()
            })
          )
        )
        // The explorer's own fibers check sees the stray fiber too, without the counter.
        expect(kinds(report)).toEqual([
          "check: 1 handle(s) still open",
          "fibers: 1 fiber of the run still running after it ended"
        ])
      })
    )

    it.live("Scope.close: interrupted part-way, it loses the finalizers it had not run", () =>
      Effect.gen(function* () {
        const report = yield* explore(
          Effect.gen(function* () {
            yield* reset
            yield* Effect.acquireUseRelease(
              Scope.make(),
              (scope) =>
                Effect.gen(function* () {
                  yield* Scope.extend(handle, scope)
                  yield* Scope.extend(handle, scope)
                  yield* Scope.close(scope, Exit.void)
                }),
              (scope, exit) => Scope.close(scope, exit)
            )
          })
        )
        expect(kinds(report)).toEqual([
          "check: 1 handle(s) still open",
          "check: 2 handle(s) still open"
        ])
      })
    )
  })

  describe("finds nothing in", () => {
    const clean: Record<string, Effect.Effect<unknown, unknown>> = {
      "Effect.acquireUseRelease": Effect.zipRight(
        reset,
        Effect.acquireUseRelease(
          Effect.sync(() => ++world.open),
          () => Effect.yieldNow(),
          () =>
            Effect.sync(() => {
              world.open--
            })
        )
      ),
      "RcMap.get": Effect.scoped(
        Effect.gen(function* () {
          yield* reset
          const map = yield* RcMap.make({ lookup: (_: string) => handle })
          yield* Effect.scoped(RcMap.get(map, "a"))
          yield* Effect.scoped(RcMap.get(map, "b"))
        })
      ),
      "Pool.get": Effect.scoped(
        Effect.gen(function* () {
          yield* reset
          const pool = yield* Pool.make({ acquire: handle, size: 2 })
          yield* Effect.scoped(Pool.get(pool))
        })
      ),
      "Resource.manual and refresh": Effect.scoped(
        Effect.gen(function* () {
          yield* reset
          const r = yield* Resource.manual(handle)
          yield* Resource.refresh(r)
          yield* Resource.get(r)
        })
      ),
      "Layer.memoize": Effect.scoped(
        Effect.gen(function* () {
          yield* reset
          const memoized = yield* Layer.memoize(Layer.scoped(Service, handle))
          yield* Effect.provide(Service, memoized)
          yield* Effect.provide(Service, memoized)
        })
      ),
      "FiberMap.run": Effect.scoped(
        Effect.gen(function* () {
          yield* reset
          const map = yield* FiberMap.make<string>()
          yield* FiberMap.run(map, "a", Effect.scoped(Effect.zipRight(handle, Effect.never)))
          yield* FiberMap.run(map, "a", Effect.scoped(Effect.zipRight(handle, Effect.never)))
          yield* Effect.yieldNow()
        })
      ),
      "Effect.forkScoped": Effect.scoped(
        Effect.gen(function* () {
          yield* reset
          yield* Fiber.join(yield* Effect.forkScoped(Effect.scoped(handle)))
        })
      )
    }
    for (const [name, program] of Object.entries(clean)) {
      it.live(name, () =>
        Effect.gen(function* () {
          const report = yield* explore(program)
          expect(report.failures).toEqual([])
          expect(report.deterministic).toBe(true)
          expect(report.steps).toBeGreaterThan(20)
        })
      )
    }
  })
})
