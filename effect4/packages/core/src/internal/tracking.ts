import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as Tracking from "../Tracking.js"

/**
 * How many trackers are installed anywhere in the process. While it is zero, creating a
 * `Resource` or `Guard` does not even read the reference: the hook costs one integer
 * comparison. Shared through `globalThis` so that two copies of this module agree.
 */
const installed: { count: number } = ((globalThis as any)[
  Symbol.for("@scopeguard/core/Tracking/installed")
] ??= { count: 0 })

/**
 * The tracker of the current fiber: a `Context.Reference`, so that fibers forked inside
 * `withTracker` see it too.
 *
 * @internal
 */
export const CurrentTracker = Context.Reference<Tracking.Tracker | undefined>(
  "@scopeguard/core/Tracking/CurrentTracker",
  { defaultValue: () => undefined }
)

/** @internal */
export const isAnyInstalled = (): boolean => installed.count > 0

const increment = Effect.sync(() => {
  installed.count++
})
const decrement = Effect.sync(() => {
  installed.count--
})
const install = Effect.acquireRelease(increment, () => decrement)

/** @internal */
export const withTracker: {
  (tracker: Tracking.Tracker): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, tracker: Tracking.Tracker): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, tracker: Tracking.Tracker): Effect.Effect<A, E, R> =>
    // Not `Effect.scoped`: `self` may need the caller's own `Scope`.
    Effect.acquireUseRelease(
      increment,
      () => Effect.provideService(self, CurrentTracker, tracker),
      () => decrement
    )
)

/** @internal */
export const layer = (tracker: Tracking.Tracker): Layer.Layer<never> =>
  Layer.merge(Layer.effectDiscard(install), Layer.succeed(CurrentTracker, tracker))
