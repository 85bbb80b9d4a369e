/**
 * Checks the options users pass to constructors. Constructors call these inside the effect
 * they build (never at call time, so that building an effect cannot throw) and die with an
 * `InvalidOptionsError` naming the option. The rules are the two editions' shared ones
 * (`common/rules.ts`).
 *
 * @internal
 */
import type * as Duration from "effect/Duration"
import { InvalidOptionsError } from "../Errors.js"
import * as rules from "./common/rules.js"

/** Runs a rule; its refusal becomes an `InvalidOptionsError`. */
export const refusing = <A>(rule: () => A): A => {
  try {
    return rule()
  } catch (error) {
    if (!(error instanceof rules.Refusal)) throw error
    throw new InvalidOptionsError({
      option: error.option,
      value: error.value,
      reason: error.reason
    })
  }
}

/** The options object itself: `undefined`, or an object. */
export const record = <A extends object>(value: A | undefined): A | undefined =>
  refusing(() => rules.object(value))

/** A duration option: `undefined` stays `undefined`; a valid input becomes a `Duration`. */
export const duration = (
  option: string,
  value: Duration.Input | undefined
): Duration.Duration | undefined => InvalidOptionsError.decodeDuration(option, value)

/** A choice among fixed values. */
export const oneOf = <const A extends ReadonlyArray<unknown>>(
  option: string,
  value: unknown,
  choices: A
): A[number] | undefined => refusing(() => rules.oneOf(option, value, choices))

/** A label: a string, or `undefined` for the default. */
export const label = (option: string, value: unknown): string | undefined =>
  refusing(() => rules.label(option, value))
