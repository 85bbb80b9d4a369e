import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"

/**
 * Runs `effect` in a daemon fiber of its own and waits at most `timeout` for its exit:
 * `None` when it did not finish in time, and it is then interrupted without waiting.
 *
 * Safe inside a finalizer, where `Effect.timeout` is not: there the loser of the race cannot
 * be interrupted (the region is uninterruptible) and `timeout` would wait for it forever.
 */
export const within = <A, E>(
  effect: Effect.Effect<A, E>,
  timeout: Duration.DurationInput
): Effect.Effect<Option.Option<Exit.Exit<A, E>>> =>
  Effect.suspend(() => {
    const latch = Deferred.unsafeMake<Option.Option<Exit.Exit<A, E>>>(FiberId.none)
    return Effect.flatMap(
      Effect.forkDaemon(
        Effect.flatMap(Effect.exit(Effect.interruptible(effect)), (exit) =>
          Deferred.succeed(latch, Option.some(exit))
        )
      ),
      (worker) =>
        Effect.flatMap(
          Effect.forkDaemon(
            Effect.interruptible(
              Effect.zipRight(Effect.sleep(timeout), Deferred.succeed(latch, Option.none()))
            )
          ),
          (timer) =>
            Effect.tap(Deferred.await(latch), (result) =>
              Option.isNone(result) ? Fiber.interruptFork(worker) : Fiber.interruptFork(timer)
            )
        )
    )
  })

/** Whether an exit is a success. */
export const succeeded = <A, E>(result: Option.Option<Exit.Exit<A, E>>): boolean =>
  Option.isSome(result) && Exit.isSuccess(result.value)
