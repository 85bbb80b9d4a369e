/**
 * Leases: a connection is never closed under a running query — the primitive a graceful
 * shutdown needs ("let in-flight requests finish within a bound") — the Effect 4 edition.
 *
 * Shows: two queries in flight when the shutdown starts; a request that arrives during the
 * shutdown is refused with a typed error; the quick query finishes, the slow one is interrupted
 * when `drainTimeout` passes, and only then is the connection released.
 *
 * Run: (cd effect4 && npx tsx --conditions=@scopeguard/source examples/lease-drain.ts)
 * Prints:
 *   open connection
 *   quick query started
 *   slow query started
 *   shutdown: draining
 *   late request refused: connection is Releasing
 *   quick query done
 *   slow query interrupted by the drain timeout
 *   close connection
 *   slow query failed: ResourceReleasedError
 *   shutdown complete
 */
import { Cause, Console, Deferred, Effect, Exit, Fiber, Option } from "effect"
import { Resource } from "@scopeguard/core"

const program = Effect.gen(function* () {
  const connection = yield* Resource.make(
    Effect.as(Console.log("open connection"), "connection"),
    () => Console.log("close connection"),
    { label: "connection", drainTimeout: "200 millis", releaseTimeout: "5 seconds" }
  )
  const quickStarted = yield* Deferred.make<void>()
  const slowStarted = yield* Deferred.make<void>()
  const finishQuick = yield* Deferred.make<void>()

  const quick = yield* Effect.forkChild(
    Resource.use(connection, () =>
      Console.log("quick query started").pipe(
        Effect.andThen(Deferred.succeed(quickStarted, undefined)),
        Effect.andThen(Deferred.await(finishQuick)),
        Effect.andThen(Console.log("quick query done"))
      )
    )
  )
  yield* Deferred.await(quickStarted)
  const slow = yield* Effect.forkChild(
    Resource.use(connection, () =>
      Console.log("slow query started").pipe(
        Effect.andThen(Deferred.succeed(slowStarted, undefined)),
        Effect.andThen(Effect.never),
        Effect.onInterrupt(() => Console.log("slow query interrupted by the drain timeout"))
      )
    )
  )
  yield* Deferred.await(slowStarted)

  yield* Console.log("shutdown: draining")
  const shutdown = yield* Effect.forkChild(Resource.close(connection))
  // The late request arrives once the shutdown has begun.
  yield* Resource.state(connection).pipe(Effect.repeat({ until: (s) => s._tag === "Releasing" }))
  yield* Resource.use(connection, () => Console.log("late request served")).pipe(
    Effect.catchTag("ResourceReleasedError", (e) =>
      Console.log(`late request refused: ${e.label} is ${e.status}`)
    )
  )
  yield* Deferred.succeed(finishQuick, undefined)
  yield* Fiber.join(quick)
  // The close returns once the drain has interrupted the slow query and the release has run.
  yield* Fiber.join(shutdown)
  const slowExit = yield* Fiber.await(slow)
  if (Exit.isFailure(slowExit)) {
    const error = Option.getOrElse(Cause.findErrorOption(slowExit.cause), () =>
      Cause.squash(slowExit.cause)
    )
    yield* Console.log(`slow query failed: ${(error as { _tag?: string })._tag}`)
  }
  yield* Console.log("shutdown complete")
})

Effect.runPromise(Effect.scoped(program))
