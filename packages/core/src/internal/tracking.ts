import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { dual } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as Layer from "effect/Layer"
import type * as Tracking from "../Tracking.js"

/**
 * How many trackers are installed anywhere in the process. While it is zero, creating a
 * `Resource` or `Guard` does not even read the fiber ref: the hook costs one integer
 * comparison.
 */
const installed = globalValue(Symbol.for("@scopeguard/core/Tracking/installed"), () => ({
  count: 0
}))

/** @internal */
export const currentTracker = globalValue(Symbol.for("@scopeguard/core/Tracking/current"), () =>
  FiberRef.unsafeMake<Tracking.Tracker | undefined>(undefined)
)

/** @internal */
export const isAnyInstalled = (): boolean => installed.count > 0

const install = Effect.acquireRelease(
  Effect.sync(() => {
    installed.count++
  }),
  () =>
    Effect.sync(() => {
      installed.count--
    })
)

/** @internal */
export const withTracker: {
  (tracker: Tracking.Tracker): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, tracker: Tracking.Tracker): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, tracker: Tracking.Tracker): Effect.Effect<A, E, R> =>
    Effect.scoped(Effect.zipRight(install, Effect.locally(self, currentTracker, tracker)))
)

/** @internal */
export const layer = (tracker: Tracking.Tracker): Layer.Layer<never> =>
  Layer.merge(Layer.scopedDiscard(install), Layer.locallyScoped(currentTracker, tracker))
