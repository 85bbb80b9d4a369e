/**
 * The checks of the platform modules' options, by the core's rules: inside the effect a
 * constructor builds, dying with an `InvalidOptionsError` naming the option.
 *
 * @internal
 */
import type * as Duration from "effect/Duration"
import { InvalidOptionsError } from "@scopeguard/core"

/** A duration option, by the core's one duration checker. */
export const duration = (
  option: string,
  value: Duration.Input | undefined
): Duration.Duration | undefined => InvalidOptionsError.decodeDuration(option, value)

/** The options object itself: `undefined`, or an object. */
export const record = <A extends object>(value: A | undefined): A | undefined => {
  if (value === undefined || (typeof value === "object" && value !== null)) return value
  throw new InvalidOptionsError({ option: "options", value, reason: "is not an object" })
}

/** A number of bytes: `undefined`, or a non-negative number. */
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
