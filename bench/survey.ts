/**
 * `npm run survey`: the findings table of packages/vitest/README.md, re-run in every mode
 * (interrupt, yield, budget; the root or the fiber holding the step as the target). For each
 * program and mode: failing points, how many of them Effect's default scheduler reaches, the
 * kinds found, and the seconds it took. Several minutes: hangs cost their timeout each.
 *
 * `npm run survey -- ScopedRef.set,Pool.get` runs only those programs.
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
let semaphore: Effect.Semaphore | undefined
let later: Exit.Exit<number> | undefined

type Entry = readonly [Effect.Effect<unknown, unknown>, Interruption.Options<never>]
const programs: Record<string, Entry> = {
  "acquire, then addFinalizer (broken)": [
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        yield* Effect.sync(() => world.open++)
        yield* Effect.addFinalizer(() => Effect.sync(() => world.open--))
        yield* Effect.yieldNow()
      })
    ),
    { check }
  ],
  "ScopedRef.set": [
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const ref = yield* ScopedRef.fromAcquire(handle)
        yield* ScopedRef.set(ref, handle)
      })
    ),
    { check }
  ],
  "RcRef.get twice": [
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const ref = yield* RcRef.make({ acquire: handle })
        yield* Effect.scoped(RcRef.get(ref))
        yield* Effect.scoped(RcRef.get(ref))
      })
    ),
    { check }
  ],
  "Semaphore.withPermits(1)": [
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
  ],
  "Effect.all, unbounded": [
    Effect.all([Effect.void, Effect.void], { concurrency: "unbounded" }),
    {}
  ],
  "FiberSet.run": [
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const set = yield* FiberSet.make()
        yield* FiberSet.run(set, Effect.scoped(Effect.zipRight(handle, Effect.never)))
        yield* Effect.yieldNow()
      })
    ),
    { check }
  ],
  "Scope.close in user code": [
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
    }),
    { check }
  ],
  "Pool.get": [
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const pool = yield* Pool.make({ acquire: handle, size: 2 })
        yield* Effect.scoped(Pool.get(pool))
      })
    ),
    { check }
  ],
  "KeyedPool.get": [
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const pool = yield* KeyedPool.make({ acquire: (_: string) => handle, size: 2 })
        yield* Effect.scoped(KeyedPool.get(pool, "a"))
      })
    ),
    { check }
  ],
  "ScopedCache.get twice": [
    Effect.scoped(
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
    { check }
  ],
  "Effect.cached, first caller in a fiber": [
    Effect.gen(function* () {
      later = undefined
      const cached = yield* Effect.cached(Effect.as(Effect.yieldNow(), 1))
      yield* Fiber.await(yield* Effect.fork(cached))
      later = yield* Effect.exit(cached)
    }),
    {
      check: () =>
        later === undefined || Exit.isSuccess(later)
          ? Effect.void
          : Effect.fail("a later caller got the first caller's interruption")
    }
  ]
}

const modes: ReadonlyArray<readonly [Interruption.Mode, Interruption.Target]> = [
  ["interrupt", "root"],
  ["yield", "root"],
  ["budget", "root"],
  ["interrupt", "holder"],
  ["budget", "holder"]
]
const only = process.argv[2]?.split(",")
console.log("| program | mode | target | steps | runs | failing | reachable | kinds | s |")
console.log("| --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: |")
for (const [name, [program, options]] of Object.entries(programs)) {
  if (only !== undefined && !only.includes(name)) continue
  for (const [mode, target] of modes) {
    const started = performance.now()
    const report = await Effect.runPromise(
      Interruption.explore(program, { hangTimeout: "100 millis", ...options, mode, target })
    )
    const seconds = (performance.now() - started) / 1000
    const kinds = [...new Set(report.failures.map((f) => f.kind))].sort().join(", ")
    console.log(
      `| ${name} | ${mode} | ${target} | ${report.steps} | ${report.runs} | ${report.failures.length} | ${report.reachable} | ${kinds} | ${seconds.toFixed(1)} |`
    )
  }
}
// Runs abandoned as hung may still hold timers: the table is complete, so end here.
process.exit(0)
