/**
 * Checks the options of this package's constructors when their effect runs (building an
 * effect never throws), by the two editions' shared rules (`common/rules.ts`) and with the
 * same `InvalidOptionsError` as `@scopeguard/core` (durations are decoded by
 * `InvalidOptionsError.decodeDuration`).
 *
 * @internal
 */
import type * as Duration from "effect/Duration"
import { InvalidOptionsError } from "@scopeguard/core"
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

/** A duration option; `undefined` stays `undefined`. Refuses `NaN`, negatives, typos. */
export const duration = (
  option: string,
  value: Duration.DurationInput | undefined
): Duration.Duration | undefined => InvalidOptionsError.decodeDuration(option, value)

/** A number of bytes: non-negative (`Infinity` allowed: never by size). */
export const bytes = (option: string, value: number | undefined): number | undefined =>
  refusing(() => rules.bytes(option, value))

/** A label: a string, or `undefined` for the default. */
export const label = (option: string, value: unknown): string | undefined =>
  refusing(() => rules.label(option, value))
