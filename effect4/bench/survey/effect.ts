/** The Effect 4 survey's paths in `effect` 4.1 (and its unstable `effect/sql`). */
import type { Scope } from "effect"
import {
  Cache,
  Context,
  Deferred,
  Effect,
  Fiber,
  FiberHandle,
  FiberMap,
  FiberSet,
  Latch,
  Layer,
  LayerMap,
  Pool,
  PubSub,
  Queue,
  RcMap,
  RcRef,
  Ref,
  Resource,
  ScopedCache,
  ScopedRef,
  Semaphore,
  Stream,
  SubscriptionRef
} from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { make as sqlite } from "../../examples/app/sqlite.js"
import { handle, laterCaller, path, reset, type Path } from "./world.js"

class Service extends Context.Service<Service, number>()("Service") {}

/** A handle held by a stream: opened when the stream starts, closed with it. */
const held = Stream.scoped(Stream.fromEffect(handle))

/** A shared value whose first caller, a fiber of its own, may be interrupted (holder). */
const firstCaller = (
  module: string,
  name: string,
  make: Effect.Effect<Effect.Effect<unknown, unknown>, never, Scope.Scope>
) => {
  const { state, check } = laterCaller()
  return path(
    module,
    name,
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          state.later = undefined
          const get = yield* make
          yield* Effect.exit(Fiber.join(yield* Effect.forkChild(get)))
          state.later = yield* Effect.exit(Effect.timeout(get, "1 second"))
        })
      ),
    { check, target: "holder" }
  )
}

/** Two fibers each add 1 under a lock: the count must be 2 (an interleaving check). */
const counted = (
  module: string,
  name: string,
  lock: Effect.Effect<<A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>>
) => {
  const state = { count: 0, done: false }
  return path(
    module,
    name,
    () =>
      Effect.gen(function* () {
        state.count = 0
        state.done = false
        const withLock = yield* lock
        const add = withLock(
          Effect.gen(function* () {
            const seen = state.count
            yield* Effect.yieldNow
            state.count = seen + 1
          })
        )
        yield* Effect.all([add, add], { concurrency: "unbounded" })
        state.done = true
      }),
    {
      check: () =>
        !state.done || state.count === 2
          ? Effect.void
          : Effect.fail(`count ${state.count} after two locked increments`)
    }
  )
}

/** The permit must still be there after the run. */
const permits = () => {
  let semaphore: Semaphore.Semaphore | undefined
  return path(
    "Semaphore",
    "Semaphore.withPermits(1)",
    () =>
      Effect.gen(function* () {
        // Each run starts from scratch: a run interrupted before `make` returns leaves no
        // semaphore of an earlier run for the check to read.
        semaphore = undefined
        semaphore = yield* Semaphore.make(1)
        yield* Semaphore.withPermits(semaphore, 1)(Effect.void)
      }),
    {
      // The check gives back the permit it takes: it reads the semaphore, it does not use it.
      check: () =>
        Effect.suspend(() =>
          semaphore === undefined
            ? Effect.void
            : Effect.flatMap(Semaphore.takeIfAvailable(semaphore, 1), (took) =>
                took
                  ? Effect.asVoid(Semaphore.release(semaphore!, 1))
                  : Effect.fail("the permit is gone")
              )
        )
    }
  )
}

/** The SQL client over node:sqlite: a transaction and a query queued behind it. */
const sql = () =>
  path(
    "sql",
    "SqlClient.withTransaction and a query behind it",
    () =>
      Effect.gen(function* () {
        const client = yield* sqlite({ filename: ":memory:" })
        yield* Effect.all([client.withTransaction(client`SELECT 1`), client`SELECT 2`], {
          concurrency: "unbounded"
        })
      }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Reactivity.layer)), Effect.orDie),
    {}
  )

export const paths = (): ReadonlyArray<Path> => [
  path("ScopedRef", "ScopedRef.set", () =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const ref = yield* ScopedRef.fromAcquire(handle)
        yield* ScopedRef.set(ref, handle)
      })
    )
  ),
  path("RcRef", "RcRef.get twice", () =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const ref = yield* RcRef.make({ acquire: handle })
        yield* Effect.scoped(RcRef.get(ref))
        yield* Effect.scoped(RcRef.get(ref))
      })
    )
  ),
  path("RcMap", "RcMap.get two keys", () =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const map = yield* RcMap.make({ lookup: (_: string) => handle })
        yield* Effect.scoped(RcMap.get(map, "a"))
        yield* Effect.scoped(RcMap.get(map, "b"))
      })
    )
  ),
  path("RcMap", "RcMap.get, same key from two fibers", () =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const map = yield* RcMap.make({ lookup: (_: string) => handle })
        const get = Effect.scoped(RcMap.get(map, "a"))
        yield* Effect.all([get, get], { concurrency: "unbounded" })
      })
    )
  ),
  permits(),
  counted(
    "Semaphore",
    "Semaphore.withPermit, two fibers",
    Effect.map(Semaphore.make(1), (s) => Semaphore.withPermit(s))
  ),
  path(
    "Effect",
    "Effect.all, unbounded",
    Effect.all([Effect.void, Effect.void], { concurrency: "unbounded" }),
    {}
  ),
  path("Effect", "Effect.forEach, concurrency 2, scoped handles", () =>
    Effect.scoped(
      Effect.andThen(
        reset,
        Effect.forEach([1, 2, 3], () => handle, { concurrency: 2 })
      )
    )
  ),
  path("FiberSet", "FiberSet.run", () =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const set = yield* FiberSet.make()
        yield* FiberSet.run(set, Effect.scoped(Effect.andThen(handle, Effect.never)))
        yield* Effect.yieldNow
      })
    )
  ),
  path("FiberMap", "FiberMap.run, same key twice", () =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const map = yield* FiberMap.make<string>()
        yield* FiberMap.run(map, "a", Effect.scoped(Effect.andThen(handle, Effect.never)))
        yield* FiberMap.run(map, "a", Effect.scoped(Effect.andThen(handle, Effect.never)))
        yield* Effect.yieldNow
      })
    )
  ),
  path("FiberHandle", "FiberHandle.run twice", () =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const h = yield* FiberHandle.make()
        yield* FiberHandle.run(h, Effect.scoped(Effect.andThen(handle, Effect.never)))
        yield* FiberHandle.run(h, Effect.scoped(Effect.andThen(handle, Effect.never)))
        yield* Effect.yieldNow
      })
    )
  ),
  path("Pool", "Pool.get", () =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const pool = yield* Pool.make({ acquire: handle, size: 2 })
        yield* Effect.scoped(Pool.get(pool))
      })
    )
  ),
  path("Pool", "Pool.get from two fibers, size 1", () =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const pool = yield* Pool.make({ acquire: handle, size: 1 })
        const get = Effect.scoped(Pool.get(pool))
        yield* Effect.all([get, get], { concurrency: "unbounded" })
      })
    )
  ),
  path("ScopedCache", "ScopedCache.get twice", () =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const cache = yield* ScopedCache.make({
          lookup: (_: string) => handle,
          capacity: 10,
          timeToLive: "1 hour"
        })
        yield* Effect.scoped(ScopedCache.get(cache, "a"))
        yield* Effect.scoped(ScopedCache.get(cache, "a"))
      })
    )
  ),
  path("Layer", "Layer.merge of two scoped layers (MemoMap)", () =>
    Effect.andThen(
      reset,
      Effect.provide(
        Effect.void,
        Layer.merge(Layer.effectDiscard(handle), Layer.effectDiscard(handle))
      )
    )
  ),
  path("Layer", "Layer.effect provided to two fibers", () =>
    Effect.andThen(
      reset,
      Effect.provide(
        Effect.all([Effect.service(Service), Effect.service(Service)], {
          concurrency: "unbounded"
        }),
        Layer.effect(Service)(handle)
      )
    )
  ),
  path("LayerMap", "LayerMap.get two keys", () =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const map = yield* LayerMap.make((_: string) => Layer.effect(Service)(handle))
        yield* Effect.scoped(Layer.build(map.get("a")))
        yield* Effect.scoped(Layer.build(map.get("b")))
      })
    )
  ),
  path("Resource", "Resource.manual and refresh", () =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const r = yield* Resource.manual(handle)
        yield* Resource.refresh(r)
        yield* Resource.get(r)
      })
    )
  ),
  path("Effect", "Effect.forkScoped, joined", () =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        yield* Fiber.join(yield* Effect.forkScoped(Effect.scoped(handle)))
      })
    )
  ),
  path("Effect", "Effect.raceAll of scoped handles", () =>
    Effect.andThen(
      reset,
      Effect.raceAll([Effect.scoped(handle), Effect.scoped(Effect.andThen(handle, handle))])
    )
  ),
  path("Effect", "Effect.timeout around a scoped handle", () =>
    Effect.andThen(reset, Effect.timeout(Effect.scoped(handle), "1 hour"))
  ),
  firstCaller(
    "Effect",
    "Effect.cached, first caller in its own fiber",
    Effect.cached(Effect.as(Effect.yieldNow, 1))
  ),
  firstCaller(
    "Cache",
    "Cache.get, first caller in its own fiber",
    Effect.map(
      Cache.make({
        capacity: 10,
        timeToLive: "1 hour",
        lookup: (_: string) => Effect.as(Effect.yieldNow, 1)
      }),
      (cache) => Cache.get(cache, "a")
    )
  ),
  firstCaller(
    "RcMap",
    "RcMap.get, first caller in its own fiber",
    Effect.map(RcMap.make({ lookup: (_: string) => Effect.as(Effect.yieldNow, 1) }), (map) =>
      Effect.scoped(RcMap.get(map, "a"))
    )
  ),
  path("Stream", "Stream.switchMap over scoped inner streams", () =>
    Effect.andThen(reset, Stream.runDrain(Stream.switchMap(Stream.make(1, 2), () => held)))
  ),
  path("Stream", "Stream.flatMap(concurrency 2) over scoped inner streams", () =>
    Effect.andThen(
      reset,
      Stream.runDrain(Stream.flatMap(Stream.make(1, 2, 3), () => held, { concurrency: 2 }))
    )
  ),
  path("Stream", "Stream.merge of two scoped streams", () =>
    Effect.andThen(reset, Stream.runDrain(Stream.merge(held, held)))
  ),
  path("Stream", "Stream.zip of two scoped streams", () =>
    Effect.andThen(reset, Stream.runDrain(Stream.zip(held, held)))
  ),
  path("Stream", "Stream.buffer of a scoped stream", () =>
    Effect.andThen(
      reset,
      Stream.runDrain(Stream.buffer(Stream.concat(held, held), { capacity: 1 }))
    )
  ),
  path("Stream", "Stream.toPull, pulled twice", () =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const pull = yield* Stream.toPull(Stream.concat(held, held))
        yield* pull
        yield* Effect.exit(pull)
      })
    )
  ),
  path(
    "Queue",
    "Queue.bounded offer/take between fibers",
    Effect.gen(function* () {
      const queue = yield* Queue.bounded<number>(1)
      const taker = yield* Effect.forkChild(Effect.andThen(Queue.take(queue), Queue.take(queue)))
      yield* Queue.offer(queue, 1)
      yield* Queue.offer(queue, 2)
      yield* Fiber.join(taker)
    }),
    {}
  ),
  path(
    "PubSub",
    "PubSub.subscribe, publish, take",
    Effect.scoped(
      Effect.gen(function* () {
        const pubsub = yield* PubSub.bounded<number>(2)
        const sub = yield* PubSub.subscribe(pubsub)
        yield* PubSub.publish(pubsub, 1)
        yield* PubSub.take(sub)
      })
    ),
    {}
  ),
  path(
    "Deferred",
    "Deferred handed over between fibers",
    Effect.gen(function* () {
      const deferred = yield* Deferred.make<number>()
      const waiter = yield* Effect.forkChild(Deferred.await(deferred))
      yield* Deferred.succeed(deferred, 1)
      yield* Fiber.join(waiter)
    }),
    {}
  ),
  path(
    "Latch",
    "Latch.open wakes two waiters",
    Effect.gen(function* () {
      const latch = yield* Latch.make()
      const waiters = yield* Effect.forkChild(
        Effect.all([latch.await, latch.await], { concurrency: "unbounded" })
      )
      yield* Latch.open(latch)
      yield* Fiber.join(waiters)
    }),
    {}
  ),
  path(
    "SubscriptionRef",
    "SubscriptionRef.changes while updated",
    Effect.gen(function* () {
      const ref = yield* SubscriptionRef.make(0)
      const reader = yield* Effect.forkChild(
        Stream.runDrain(Stream.takeUntil(SubscriptionRef.changes(ref), (n) => n === 1))
      )
      yield* Effect.yieldNow
      yield* SubscriptionRef.set(ref, 1)
      yield* Fiber.join(reader)
    }),
    {}
  ),
  (() => {
    const state = { count: -1 }
    return path(
      "Ref",
      "Ref.update from two fibers",
      () =>
        Effect.gen(function* () {
          state.count = -1
          const ref = yield* Ref.make(0)
          yield* Effect.all([Ref.update(ref, (n) => n + 1), Ref.update(ref, (n) => n + 1)], {
            concurrency: "unbounded"
          })
          state.count = yield* Ref.get(ref)
        }),
      {
        check: () =>
          state.count === -1 || state.count === 2
            ? Effect.void
            : Effect.fail(`count ${state.count} after two updates`)
      }
    )
  })(),
  sql()
]
