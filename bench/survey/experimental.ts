/** The survey's paths in `@effect/experimental`. */
import {
  PersistedCache,
  Persistence,
  RateLimiter,
  Reactivity,
  RequestResolver as DataLoader
} from "@effect/experimental"
import { Effect, Fiber, PrimaryKey, Request, RequestResolver, Schema } from "effect"
import { laterCaller, path, type Path } from "./world.js"

class Get extends Request.TaggedClass("Get")<number, never, { readonly id: number }> {}
const resolver = RequestResolver.makeBatched((requests: ReadonlyArray<Get>) =>
  Effect.forEach(requests, (r) => Request.succeed(r, r.id), { discard: true })
)

class Key extends Schema.TaggedRequest<Key>()("Key", {
  failure: Schema.String,
  success: Schema.Number,
  payload: { id: Schema.Number }
}) {
  [PrimaryKey.symbol]() {
    return `key-${this.id}`
  }
}

/** Reactivity.query: after the run, no query of the run may still be registered. */
const reactivityQuery = () => {
  const state = { runs: 0, reactivity: undefined as Reactivity.Reactivity.Service | undefined }
  return path(
    "@effect/experimental",
    "Reactivity.query, then its scope closes",
    Effect.gen(function* () {
      state.runs = 0
      const reactivity = yield* Reactivity.make
      state.reactivity = reactivity
      yield* Effect.scoped(
        Effect.flatMap(
          reactivity.query(
            ["k"],
            Effect.sync(() => ++state.runs)
          ),
          (mailbox) => mailbox.take
        )
      )
    }),
    {
      check: () =>
        Effect.suspend(() => {
          if (state.reactivity === undefined) return Effect.void
          const before = state.runs
          state.reactivity.unsafeInvalidate(["k"])
          return Effect.zipRight(
            Effect.yieldNow(),
            Effect.suspend(() =>
              state.runs === before
                ? Effect.void
                : Effect.fail("a query of a closed scope still runs on invalidation")
            )
          )
        })
    }
  )
}

/** A PersistedCache whose first caller, a fiber of its own, may be interrupted (holder). */
const persistedCache = () => {
  const { state, check } = laterCaller()
  return path(
    "@effect/experimental",
    "PersistedCache.get, first caller in its own fiber",
    Effect.scoped(
      Effect.gen(function* () {
        state.later = undefined
        const cache = yield* PersistedCache.make({
          storeId: "survey",
          lookup: (key: Key) => Effect.as(Effect.yieldNow(), key.id),
          timeToLive: () => "1 hour"
        })
        yield* Fiber.await(yield* Effect.fork(cache.get(new Key({ id: 1 }))))
        state.later = yield* Effect.exit(Effect.timeout(cache.get(new Key({ id: 1 })), "1 second"))
      })
    ).pipe(Effect.provide(Persistence.layerResultMemory)),
    { check, target: "holder" }
  )
}

export const paths = (): ReadonlyArray<Path> => [
  path(
    "@effect/experimental",
    "RequestResolver.dataLoader, two callers in one window",
    Effect.scoped(
      Effect.gen(function* () {
        const loader = yield* DataLoader.dataLoader(resolver, { window: "1 millis" })
        yield* Effect.all(
          [Effect.request(new Get({ id: 1 }), loader), Effect.request(new Get({ id: 2 }), loader)],
          { concurrency: 2 }
        )
      })
    ),
    { hangTimeout: "300 millis" }
  ),
  persistedCache(),
  path(
    "@effect/experimental",
    "RateLimiter.consume twice (memory store)",
    Effect.gen(function* () {
      const limiter = yield* RateLimiter.make
      yield* limiter.consume({ key: "k", limit: 10, window: "1 minute" })
      yield* limiter.consume({ key: "k", limit: 10, window: "1 minute" })
    }).pipe(Effect.provide(RateLimiter.layerStoreMemory)),
    {}
  ),
  reactivityQuery(),
  path(
    "@effect/experimental",
    "Reactivity.mutation invalidating a live query",
    Effect.scoped(
      Effect.gen(function* () {
        const reactivity = yield* Reactivity.make
        const mailbox = yield* reactivity.query(["k"], Effect.succeed(1))
        yield* mailbox.take
        yield* reactivity.mutation(["k"], Effect.void)
        yield* mailbox.take
      })
    ),
    { hangTimeout: "300 millis" }
  )
]
