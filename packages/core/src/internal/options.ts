/**
 * Checks the options users pass to constructors. Constructors call these inside the effect
 * they build (never at call time, so that building an effect cannot throw) and die with an
 * `InvalidOptionsError` naming the option.
 *
 * @internal
 */
import type * as Duration from "effect/Duration"
import { InvalidOptionsError } from "../Errors.js"

/** A duration option: `undefined` stays `undefined`; a valid input becomes a `Duration`. */
export const duration = (
  option: string,
  value: Duration.DurationInput | undefined
): Duration.Duration | undefined => InvalidOptionsError.decodeDuration(option, value)

/** The options object itself: `undefined` (the defaults) or an object; `null` is refused. */
export const object = (value: unknown): void => {
  if (value === undefined || (typeof value === "object" && value !== null)) return
  throw new InvalidOptionsError({ option: "options", value, reason: "is not an object" })
}

/** A choice among fixed values. */
export const oneOf = <const A extends ReadonlyArray<unknown>>(
  option: string,
  value: unknown,
  choices: A
): A[number] | undefined => {
  if (value === undefined || choices.includes(value)) return value as A[number] | undefined
  throw new InvalidOptionsError({
    option,
    value,
    reason: `is not one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`
  })
}

/** A label: a string, or `undefined` for the default. */
export const label = (option: string, value: unknown): string | undefined => {
  if (value === undefined || typeof value === "string") return value
  throw new InvalidOptionsError({ option, value, reason: "is not a string" })
}
