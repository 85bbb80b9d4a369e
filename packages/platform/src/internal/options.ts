/**
 * Checks the options of this package's constructors when their effect runs (building an
 * effect never throws), with the same `InvalidOptionsError` as `@scopeguard/core` (durations
 * are decoded by `InvalidOptionsError.decodeDuration`).
 *
 * @internal
 */
import type * as Duration from "effect/Duration"
import { InvalidOptionsError } from "@scopeguard/core"

/** A duration option; `undefined` stays `undefined`. Refuses `NaN`, negatives, typos. */
export const duration = (
  option: string,
  value: Duration.DurationInput | undefined
): Duration.Duration | undefined => InvalidOptionsError.decodeDuration(option, value)

/** A number of bytes: non-negative (`Infinity` allowed: never by size). */
export const bytes = (option: string, value: number | undefined): number | undefined => {
  if (value === undefined || (typeof value === "number" && value >= 0)) return value
  throw new InvalidOptionsError({
    option,
    value,
    reason: "is not a number of bytes (a non-negative number)"
  })
}

/** A label: a string, or `undefined` for the default. */
export const label = (option: string, value: unknown): string | undefined => {
  if (value === undefined || typeof value === "string") return value
  throw new InvalidOptionsError({ option, value, reason: "is not a string" })
}
