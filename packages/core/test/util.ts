import { expect } from "@effect/vitest"
import { Deferred, Effect, Fiber, Option, type Scope } from "effect"

/** An append-only event log: the witness that cleanup ran, once, in order. */
export const makeLog = () => {
  const events: Array<string> = []
  return {
    events,
    add: (event: string) =>
      Effect.sync(() => {
        events.push(event)
      }),
    acquire: (name: string) =>
      Effect.sync(() => {
        events.push(`acquire ${name}`)
        return name
      })
  }
}

/**
 * How many finalizers a scope holds. Effect exposes no public count, so this reads the
 * scope's internal state; it is the only way to prove that removed entries are really gone.
 */
export const finalizerCount = (scope: Scope.Scope): number => {
  const state = (
    scope as unknown as { state: { _tag: string; finalizers?: Map<unknown, unknown> } }
  ).state
  return state._tag === "Open" ? (state.finalizers?.size ?? 0) : 0
}

/**
 * A cleanup that logs "release start", waits until the test opens its gate, then logs
 * "release end": it lets a test act while a release is running, without sleeping.
 */
export const makeBlockedCleanup = (log: ReturnType<typeof makeLog>) =>
  Effect.gen(function* () {
    const started = yield* Deferred.make<void>()
    const gate = yield* Deferred.make<void>()
    return {
      cleanup: Effect.gen(function* () {
        yield* log.add("release start")
        yield* Deferred.succeed(started, undefined)
        yield* Deferred.await(gate)
        yield* log.add("release end")
      }),
      /** Waits until the cleanup has started. */
      started: Deferred.await(started),
      /** Lets the cleanup finish. */
      open: Deferred.succeed(gate, undefined)
    }
  })

/**
 * Lets every ready fiber run, then asserts that `fiber` is still waiting: the witness that it
 * is blocked on something (a release in progress), not merely not scheduled yet.
 */
export const expectStillWaiting = (fiber: Fiber.Fiber<unknown, unknown>) =>
  Effect.gen(function* () {
    yield* Effect.yieldNow()
    expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
  })
