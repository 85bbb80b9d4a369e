/**
 * The one checked conversion from a duration to a Node timer.
 *
 * `setTimeout` takes a 32-bit signed delay: anything above 2³¹−1 ms (about 24.8 days) — a
 * `"30 days"` deadline, `Infinity` — is clamped to **1 ms** with a warning, so a bound meant to
 * be long fires at once. Every timer scopeguard sets outside Effect's clock (the shutdown
 * deadline, the explorer's hang bound) goes through `Timer.set`: an infinite duration sets no
 * timer, a longer one waits in steps of at most 2³¹−1 ms, and a duration that is not a valid
 * duration is refused with an `InvalidOptionsError` (as `InvalidOptionsError.decodeDuration`).
 *
 * Bounds that go through Effect's clock (`Effect.sleep`, `releaseTimeout`, `drainTimeout`) need
 * none of this: Effect 3's clock treats a delay above the limit as infinite instead of clamping.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as internal from "./internal/timer.js"

/**
 * The longest delay one `setTimeout` honours: 2³¹−1 ms.
 *
 * @example
 * ```ts
 * import { Timer } from "@scopeguard/core"
 *
 * const days = Timer.MAX_DELAY_MILLIS / 86_400_000 // about 24.8
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_DELAY_MILLIS: number = internal.MAX_DELAY_MILLIS

/**
 * Cancels a timer set by `Timer.set`. Calling it again, or after the timer fired, does nothing.
 *
 * @since 0.1.0
 * @category models
 */
export type Cancel = () => void

/**
 * Options of `Timer.set`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Whether the timer keeps the process alive while it waits (Node's `unref`). Default: `true`. */
  readonly keepAlive?: boolean | undefined
}

/**
 * Calls `callback` once `duration` has passed, on the real clock. An infinite duration sets no
 * timer (the callback never runs); a duration longer than `MAX_DELAY_MILLIS` is waited in steps.
 * Throws an `InvalidOptionsError` naming `option` when `duration` is not a valid duration: call
 * it inside the effect (or the function) that checks its options.
 *
 * @example
 * ```ts
 * import { Timer } from "@scopeguard/core"
 *
 * // Fires after 30 days, not after 1 ms as a bare setTimeout would.
 * const cancel = Timer.set("deadline", "30 days", () => console.log("deadline"))
 * cancel()
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const set: (
  option: string,
  duration: Duration.DurationInput,
  callback: () => void,
  options?: Options
) => Cancel = internal.set

/**
 * The delay of a duration for one `setTimeout`, checked: `undefined` for an infinite duration
 * (set no timer), otherwise whole milliseconds up to `MAX_DELAY_MILLIS` (a longer duration is
 * capped: wait again for the rest, as `Timer.set` does). Throws an `InvalidOptionsError` naming
 * `option` when `duration` is not a valid duration.
 *
 * @example
 * ```ts
 * import { Timer } from "@scopeguard/core"
 *
 * Timer.delayMillis("hangTimeout", "2 seconds") // 2000
 * Timer.delayMillis("hangTimeout", Infinity) // undefined: no timer
 * ```
 *
 * @since 0.1.0
 * @category conversions
 */
export const delayMillis: (option: string, duration: Duration.DurationInput) => number | undefined =
  internal.delayMillis
