/**
 * Checks the options of this package's constructors when their effect runs (building an
 * effect never throws), with the same `InvalidOptionsError` as `@scopeguard/core`. Core's own
 * checker is internal to core; these few lines are repeated rather than exported from there
 * as public API.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import { InvalidOptionsError } from "@scopeguard/core"

/** A duration option; `undefined` stays `undefined`. Refuses `NaN`, negatives, typos. */
export const duration = (
  option: string,
  value: Duration.DurationInput | undefined
): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  const decoded =
    (typeof value === "number" && !(value >= 0)) ||
    (typeof value === "bigint" && value < BigInt(0)) ||
    (typeof value === "string" && value.trimStart().startsWith("-"))
      ? Option.none()
      : Duration.decodeUnknown(value)
  if (Option.isNone(decoded)) {
    throw new InvalidOptionsError({ option, value, reason: InvalidOptionsError.durationReason })
  }
  return decoded.value
}

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
