/**
 * A hook for tools that watch the lifecycle of every `Resource` and `Guard` — the leak probe
 * of `@scopeguard/vitest` is built on it. Application code does not need this module.
 *
 * When no tracker is installed anywhere in the process, the hook costs one integer comparison
 * per `Resource.make` / `Guard.make` (see `npm run bench`).
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as internal from "./internal/tracking.js"

/**
 * What a tracker is told about: one `Resource` or `Guard`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Entry {
  readonly kind: "resource" | "guard"
  readonly id: number
  readonly label: string
}

/**
 * Receives `opened` when a `Resource` is acquired or a `Guard` is armed, `committing` (if
 * given) when a `Guard.commit` starts its final action with the guard, `releasing` (if given)
 * when its release or cleanup starts (including the wait for in-flight uses; after
 * `committing`, the compensation of a failed commit), and `settled` when it no longer holds
 * anything: released, detached, ran, disarmed (a successful commit included) or skipped.
 * All are called synchronously; one that throws is ignored (it costs neither the registration
 * nor the release).
 *
 * @since 0.1.0
 * @category models
 */
export interface Tracker {
  readonly opened: (entry: Entry) => void
  readonly settled: (entry: Entry) => void
  readonly releasing?: ((entry: Entry) => void) | undefined
  readonly committing?: ((entry: Entry) => void) | undefined
}

/**
 * Runs `self` with `tracker` watching every `Resource` and `Guard` made inside it (and in
 * the fibers it forks).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Guard, Tracking } from "@scopeguard/core"
 *
 * const live = new Set<string>()
 * const tracker: Tracking.Tracker = {
 *   opened: (entry) => live.add(entry.label),
 *   settled: (entry) => live.delete(entry.label)
 * }
 * const program = Effect.scoped(Guard.make(Effect.void, { label: "g" })).pipe(
 *   Tracking.withTracker(tracker)
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withTracker: {
  (tracker: Tracker): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, tracker: Tracker): Effect.Effect<A, E, R>
} = internal.withTracker

/**
 * A layer that installs `tracker` for the effect it is provided to.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Tracking } from "@scopeguard/core"
 *
 * const tracker: Tracking.Tracker = { opened: () => {}, settled: () => {} }
 * const program = Effect.void.pipe(Effect.provide(Tracking.layer(tracker)))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (tracker: Tracker) => Layer.Layer<never> = internal.layer
