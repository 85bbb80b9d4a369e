/**
 * The programs of the findings table (packages/vitest/README.md): effect's own modules, each
 * opening handles of one shared `world` that it resets when it starts, so that `check` can
 * tell after each run whether one was left open. Used by `findings.test.ts` and by
 * `npm run survey` (bench/survey.ts), which re-runs the table in every mode.
 */
import {
  Effect,
  Exit,
  Fiber,
  FiberSet,
  KeyedPool,
  Option,
  Pool,
  RcRef,
  Scope,
  ScopedCache,
  ScopedRef
} from "effect"

export const world = { open: 0, acquired: 0 }

export const reset = Effect.sync(() => {
  world.open = 0
  world.acquired = 0
})

/** One handle of the world, released with its scope. */
export const handle = Effect.acquireRelease(
  Effect.sync(() => {
    world.acquired++
    return ++world.open
  }),
  () =>
    Effect.sync(() => {
      world.open--
    })
)

/** Every handle a run opened is closed when it ends. */
export const check = () =>
  world.open === 0 ? Effect.void : Effect.fail(`${world.open} handle(s) still open`)

/** The findings that `check` (or the explorer's own checks) shows, by name. */
export const findings: Record<string, Effect.Effect<unknown, unknown>> = {
  "ScopedRef.set": Effect.scoped(
    Effect.gen(function* () {
      yield* reset
      const ref = yield* ScopedRef.fromAcquire(handle)
      yield* ScopedRef.set(ref, handle)
    })
  ),
  "RcRef.get": Effect.scoped(
    Effect.gen(function* () {
      yield* reset
      const ref = yield* RcRef.make({ acquire: handle })
      yield* Effect.scoped(RcRef.get(ref))
      yield* Effect.scoped(RcRef.get(ref))
    })
  ),
  "Effect.all": Effect.all([Effect.void, Effect.void], { concurrency: "unbounded" }),
  "FiberSet.run": Effect.scoped(
    Effect.gen(function* () {
      yield* reset
      const set = yield* FiberSet.make()
      yield* FiberSet.run(set, Effect.scoped(Effect.zipRight(handle, Effect.never)))
      yield* Effect.yieldNow()
    })
  ),
  "Scope.close": Effect.gen(function* () {
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
  }),
  "Pool.get": Effect.scoped(
    Effect.gen(function* () {
      yield* reset
      const pool = yield* Pool.make({ acquire: handle, size: 2 })
      yield* Effect.scoped(Pool.get(pool))
    })
  ),
  "ScopedCache.get": Effect.scoped(
    Effect.gen(function* () {
      yield* reset
      const cache = yield* ScopedCache.make({
        lookup: (_: string) => handle,
        capacity: 10,
        timeToLive: "1 hour"
      })
      yield* Effect.scoped(cache.get("a"))
      yield* Effect.scoped(cache.get("a"))
    })
  ),
  "KeyedPool.get": Effect.scoped(
    Effect.gen(function* () {
      yield* reset
      const pool = yield* KeyedPool.make({ acquire: (_: string) => handle, size: 2 })
      yield* Effect.scoped(KeyedPool.get(pool, "a"))
    })
  )
}

/** `Semaphore.withPermits(1)`, and a check that its permit is still there after the run. */
export const permits = () => {
  let semaphore: Effect.Semaphore | undefined
  return {
    program: Effect.gen(function* () {
      semaphore = yield* Effect.makeSemaphore(1)
      yield* semaphore.withPermits(1)(Effect.void)
    }),
    check: () =>
      Effect.flatMap(
        Effect.suspend(() => semaphore!.withPermitsIfAvailable(1)(Effect.void)),
        (ran) => (Option.isSome(ran) ? Effect.void : Effect.fail("the permit is gone"))
      )
  }
}

/**
 * An `Effect.cached` value whose first caller runs in a fiber of its own, then a later
 * caller; the check wants the later caller to get the value (explore it with
 * `target: "holder"`, so that the first caller is interrupted while the program goes on).
 * Effect.cached runs the computation in its first caller's fiber and remembers how that caller
 * ended: cut off alone, it poisons the memo. `fixed`: a memo that keeps only a value — a caller
 * interrupted while computing leaves nothing behind, and the next caller computes it again.
 */
export const poisonedCache = () => {
  const state: { later: Exit.Exit<number> | undefined } = { later: undefined }
  const program = Effect.gen(function* () {
    state.later = undefined
    const cached = yield* Effect.cached(Effect.as(Effect.yieldNow(), 1))
    yield* Fiber.await(yield* Effect.fork(cached))
    state.later = yield* Effect.exit(cached)
  })
  const fixed = Effect.gen(function* () {
    state.later = undefined
    let value: Option.Option<number> = Option.none()
    const memo = Effect.suspend(() =>
      Option.isSome(value)
        ? Effect.succeed(value.value)
        : Effect.tap(Effect.as(Effect.yieldNow(), 1), (v) =>
            Effect.sync(() => {
              value = Option.some(v)
            })
          )
    )
    yield* Fiber.await(yield* Effect.fork(memo))
    state.later = yield* Effect.exit(memo)
  })
  const check = () =>
    state.later === undefined || Exit.isSuccess(state.later)
      ? Effect.void
      : Effect.fail("a later caller failed")
  return { program, fixed, check }
}
