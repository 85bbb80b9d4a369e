import { it } from "@effect/vitest"
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

const world = { open: 0, atEnd: 0 }
const reset = Effect.sync(() => {
  world.open = 0
  world.atEnd = -1
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
const programs: Record<
  string,
  [Interruption.Program<unknown, unknown, never>, Interruption.Options<never>]
> = {
  broken: [
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
  scopedRef: [
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const ref = yield* ScopedRef.fromAcquire(handle)
        yield* ScopedRef.set(ref, handle)
      })
    ),
    { check }
  ],
  rcRef: [
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
  semaphore: [
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
  all: [
    Effect.all([Effect.void, Effect.void], { concurrency: "unbounded" }),
    { hangTimeout: "50 millis" }
  ],
  fiberSet: [
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
  scopeClose: [
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
  poolGet: [
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const pool = yield* Pool.make({ acquire: handle, size: 2 })
        yield* Effect.scoped(Pool.get(pool))
      })
    ),
    { check }
  ],
  poolGet2: [
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const pool = yield* Pool.make({ acquire: handle, size: 2 })
        yield* Effect.all([Effect.scoped(Pool.get(pool)), Effect.scoped(Pool.get(pool))], {
          concurrency: 2
        })
      })
    ),
    { check }
  ],
  keyedPool: [
    Effect.gen(function* () {
      yield* reset
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Effect.addFinalizer(() =>
            Effect.sync(() => {
              world.atEnd = world.open
            })
          )
          const pool = yield* KeyedPool.make({ acquire: (_: string) => handle, size: 2 })
          yield* Effect.scoped(KeyedPool.get(pool, "a"))
        })
      )
    }),
    {
      check: () =>
        world.open !== 0
          ? check()
          : world.atEnd > 0
            ? Effect.fail(`${world.atEnd} open when the scope ended`)
            : Effect.void
    }
  ],
  scopedCache: [
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
  cached: [
    Effect.gen(function* () {
      const c = yield* Effect.cached(Effect.as(Effect.yieldNow(), 1))
      const f = yield* Effect.fork(c)
      yield* Fiber.await(f)
      return yield* c
    }),
    { check: (exit) => (Exit.isSuccess(exit) ? Effect.void : Effect.fail("later caller failed")) }
  ]
}
it.live(
  "survey",
  () =>
    Effect.gen(function* () {
      const only = process.env["ONLY"]?.split(",")
      for (const [name, [program, options]] of Object.entries(programs)) {
        if (only && !only.includes(name)) continue
        for (const [mode, target] of [
          ["interrupt", "root"],
          ["yield", "root"],
          ["budget", "root"],
          ["interrupt", "holder"],
          ["budget", "holder"]
        ] as const) {
          const t = performance.now()
          const r = yield* Interruption.explore(program, {
            hangTimeout: "100 millis",
            ...options,
            mode,
            target
          })
          const s = (performance.now() - t) / 1000
          const by: Record<string, number> = {}
          for (const f of r.failures) {
            const k = `${f.kind}:${f.reach}${f.budget ? "@" + f.budget : ""}`
            by[k] = (by[k] ?? 0) + 1
          }
          console.log(
            `${name} ${mode}/${target} steps=${r.steps} runs=${r.runs} ${s.toFixed(1)}s fails=${r.failures.length} reachable=${r.reachable} ${JSON.stringify(by)} ${JSON.stringify([...new Set(r.failures.map((f) => f.kind + ": " + f.message))])}`
          )
        }
      }
    }),
  600_000
)
