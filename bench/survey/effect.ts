/** The survey's paths in `effect` itself. */
import {
  Cache,
  Context,
  Deferred,
  Effect,
  Exit,
  Fiber,
  FiberHandle,
  FiberMap,
  FiberSet,
  KeyedPool,
  Layer,
  Mailbox,
  Option,
  Pool,
  PubSub,
  Queue,
  RcMap,
  RcRef,
  Request,
  RequestResolver,
  Resource,
  Scope,
  ScopedCache,
  ScopedRef,
  Stream
} from "effect"
import { check, handle, laterCaller, path, reset, type Path } from "./world.js"

class Service extends Context.Tag("Service")<Service, number>() {}

/** A handle held by a stream: opened when the stream starts, closed with it. */
const held = Stream.scoped(handle)

/** `Semaphore.withPermits(1)`: the permit must still be there after the run. */
const permits = () => {
  let semaphore: Effect.Semaphore | undefined
  return path(
    "effect",
    "Semaphore.withPermits(1)",
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
}

/** A shared value whose first caller, a fiber of its own, may be interrupted (holder). */
const firstCaller = (
  name: string,
  make: Effect.Effect<Effect.Effect<unknown, unknown>, never, Scope.Scope>
) => {
  const { state, check } = laterCaller()
  return path(
    "effect",
    name,
    Effect.scoped(
      Effect.gen(function* () {
        state.later = undefined
        const get = yield* make
        // The first caller does what a caller does before the call (a log span here, the
        // plain reproductions' `withMaxOpsBeforeYield`): a few operations of its turn, so a
        // window right after the call's start can be where a budget ends the turn. A bare
        // `fork(get)` puts it 2 to 6 operations into a fresh fiber's first turn, which no
        // budget of 10 or more reaches (Cache.get: "explorer-only" then).
        yield* Fiber.await(yield* Effect.fork(Effect.withLogSpan(get, "first caller")))
        state.later = yield* Effect.exit(Effect.timeout(get, "1 second"))
      })
    ),
    { check, target: "holder" }
  )
}

class Get extends Request.TaggedClass("Get")<number, never, { readonly id: number }> {}
const resolver = RequestResolver.makeBatched((requests: ReadonlyArray<Get>) =>
  Effect.forEach(requests, (r) => Request.succeed(r, r.id), { discard: true })
)

export const paths = (): ReadonlyArray<Path> => [
  path(
    "effect",
    "ScopedRef.set",
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const ref = yield* ScopedRef.fromAcquire(handle)
        yield* ScopedRef.set(ref, handle)
      })
    )
  ),
  path(
    "effect",
    "RcRef.get twice",
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const ref = yield* RcRef.make({ acquire: handle })
        yield* Effect.scoped(RcRef.get(ref))
        yield* Effect.scoped(RcRef.get(ref))
      })
    )
  ),
  path(
    "effect",
    "RcMap.get twice",
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const map = yield* RcMap.make({ lookup: (_: string) => handle })
        yield* Effect.scoped(RcMap.get(map, "a"))
        yield* Effect.scoped(RcMap.get(map, "b"))
      })
    )
  ),
  permits(),
  // Only a hang to find: it opens no handle.
  path(
    "effect",
    "Effect.all, unbounded",
    Effect.all([Effect.void, Effect.void], { concurrency: "unbounded" }),
    {}
  ),
  path(
    "effect",
    "Effect.forEach, concurrency 2, scoped handles",
    Effect.scoped(
      Effect.zipRight(
        reset,
        Effect.forEach([1, 2, 3], () => handle, { concurrency: 2 })
      )
    )
  ),
  path(
    "effect",
    "FiberSet.run",
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const set = yield* FiberSet.make()
        yield* FiberSet.run(set, Effect.scoped(Effect.zipRight(handle, Effect.never)))
        yield* Effect.yieldNow()
      })
    )
  ),
  path(
    "effect",
    "FiberMap.run, same key twice",
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const map = yield* FiberMap.make<string>()
        yield* FiberMap.run(map, "a", Effect.scoped(Effect.zipRight(handle, Effect.never)))
        yield* FiberMap.run(map, "a", Effect.scoped(Effect.zipRight(handle, Effect.never)))
        yield* Effect.yieldNow()
      })
    )
  ),
  path(
    "effect",
    "FiberHandle.run twice",
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const h = yield* FiberHandle.make()
        yield* FiberHandle.run(h, Effect.scoped(Effect.zipRight(handle, Effect.never)))
        yield* FiberHandle.run(h, Effect.scoped(Effect.zipRight(handle, Effect.never)))
        yield* Effect.yieldNow()
      })
    )
  ),
  path(
    "effect",
    "Scope.close in user code",
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
  ),
  path(
    "effect",
    "Pool.get",
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const pool = yield* Pool.make({ acquire: handle, size: 2 })
        yield* Effect.scoped(Pool.get(pool))
      })
    )
  ),
  path(
    "effect",
    "KeyedPool.get",
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const pool = yield* KeyedPool.make({ acquire: (_: string) => handle, size: 2 })
        yield* Effect.scoped(KeyedPool.get(pool, "a"))
      })
    )
  ),
  path(
    "effect",
    "ScopedCache.get twice",
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
    )
  ),
  path(
    "effect",
    "Layer.memoize, provided twice",
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const memoized = yield* Layer.memoize(Layer.scoped(Service, handle))
        yield* Effect.provide(Service, memoized)
        yield* Effect.provide(Service, memoized)
      })
    )
  ),
  path(
    "effect",
    "Layer.merge of two scoped layers (MemoMap)",
    Effect.zipRight(
      reset,
      Effect.provide(
        Effect.void,
        Layer.merge(Layer.scopedDiscard(handle), Layer.scopedDiscard(handle))
      )
    )
  ),
  path(
    "effect",
    "Resource.manual and refresh",
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const r = yield* Resource.manual(handle)
        yield* Resource.refresh(r)
        yield* Resource.get(r)
      })
    )
  ),
  path(
    "effect",
    "Effect.forkScoped, joined",
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        yield* Fiber.join(yield* Effect.forkScoped(Effect.scoped(handle)))
      })
    )
  ),
  path(
    "effect",
    "Effect.raceAll of scoped handles",
    Effect.zipRight(
      reset,
      Effect.raceAll([Effect.scoped(handle), Effect.scoped(Effect.zipRight(handle, handle))])
    )
  ),
  firstCaller(
    "Effect.cached, first caller in its own fiber",
    Effect.cached(Effect.as(Effect.yieldNow(), 1))
  ),
  firstCaller(
    "Effect.once, first caller in its own fiber",
    Effect.once(Effect.as(Effect.yieldNow(), 1))
  ),
  firstCaller(
    "Cache.get, first caller in its own fiber",
    Effect.map(
      Cache.make({
        capacity: 10,
        timeToLive: "1 hour",
        lookup: (_: string) => Effect.as(Effect.yieldNow(), 1)
      }),
      (cache) => cache.get("a")
    )
  ),
  firstCaller(
    "RcMap.get, first caller in its own fiber",
    Effect.map(RcMap.make({ lookup: (_: string) => Effect.as(Effect.yieldNow(), 1) }), (map) =>
      Effect.scoped(RcMap.get(map, "a"))
    )
  ),
  firstCaller(
    "Effect.request with a request cache, first caller in its own fiber",
    Effect.succeed(Effect.withRequestCaching(Effect.request(new Get({ id: 1 }), resolver), true))
  ),
  path(
    "effect",
    "Stream.flatMap(switch) over scoped inner streams",
    Effect.zipRight(
      reset,
      Stream.runDrain(Stream.flatMap(Stream.make(1, 2), () => held, { switch: true }))
    )
  ),
  path(
    "effect",
    "Stream.flatMap(concurrency 2) over scoped inner streams",
    Effect.zipRight(
      reset,
      Stream.runDrain(Stream.flatMap(Stream.make(1, 2, 3), () => held, { concurrency: 2 }))
    )
  ),
  path(
    "effect",
    "Stream.merge of two scoped streams",
    Effect.zipRight(reset, Stream.runDrain(Stream.merge(held, held)))
  ),
  path(
    "effect",
    "Stream.zip of two scoped streams",
    Effect.zipRight(reset, Stream.runDrain(Stream.zip(held, held)))
  ),
  path(
    "effect",
    "Stream.broadcast(2) of a scoped stream",
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const [a, b] = yield* Stream.broadcast(held, 2, 4)
        yield* Effect.all([Stream.runDrain(a), Stream.runDrain(b)], { concurrency: 2 })
      })
    )
  ),
  path(
    "effect",
    "Stream.buffer of a scoped stream",
    Effect.zipRight(
      reset,
      Stream.runDrain(Stream.buffer(Stream.concat(held, held), { capacity: 1 }))
    )
  ),
  path(
    "effect",
    "Stream.toPull, pulled twice",
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const pull = yield* Stream.toPull(Stream.concat(held, held))
        yield* pull
        yield* pull
      })
    )
  ),
  path(
    "effect",
    "Queue.bounded offer/take between fibers",
    Effect.gen(function* () {
      const queue = yield* Queue.bounded<number>(1)
      const taker = yield* Effect.fork(Effect.zipRight(Queue.take(queue), Queue.take(queue)))
      yield* Queue.offer(queue, 1)
      yield* Queue.offer(queue, 2)
      yield* Fiber.join(taker)
    }),
    {}
  ),
  path(
    "effect",
    "PubSub.subscribe, publish, take",
    Effect.scoped(
      Effect.gen(function* () {
        const pubsub = yield* PubSub.bounded<number>(2)
        const sub = yield* PubSub.subscribe(pubsub)
        yield* PubSub.publish(pubsub, 1)
        yield* sub.take
      })
    ),
    {}
  ),
  path(
    "effect",
    "Mailbox offer/take between fibers",
    Effect.gen(function* () {
      const mailbox = yield* Mailbox.make<number>({ capacity: 1 })
      const taker = yield* Effect.fork(Effect.zipRight(mailbox.take, mailbox.take))
      yield* mailbox.offer(1)
      yield* mailbox.offer(2)
      yield* Fiber.join(taker)
    }),
    {}
  ),
  path(
    "effect",
    "Deferred handed over between fibers",
    Effect.gen(function* () {
      const deferred = yield* Deferred.make<number>()
      const waiter = yield* Effect.fork(Deferred.await(deferred))
      yield* Deferred.succeed(deferred, 1)
      yield* Fiber.join(waiter)
    }),
    {}
  ),
  path(
    "effect",
    "Effect.timeout around a scoped handle",
    Effect.zipRight(reset, Effect.timeout(Effect.scoped(handle), "1 hour")),
    { check }
  )
]
