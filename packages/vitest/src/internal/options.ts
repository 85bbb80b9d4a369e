/**
 * Checks the explorer's options when its effect runs (building never throws), with the same
 * `InvalidOptionsError` as `@scopeguard/core`. Core's checker is internal to core; these few
 * lines are repeated rather than made public API there.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import { InvalidOptionsError } from "@scopeguard/core"
import type * as Interruption from "../Interruption.js"

const durationOf = (option: string, value: Duration.DurationInput): Duration.Duration => {
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

/** The checked options of `explore`, `assertEveryStep` and `runAt`. */
export const check = <R>(
  options: Interruption.Options<R>,
  defaultHangTimeout: Duration.DurationInput
) => {
  const mode = options.mode
  if (mode !== undefined && mode !== "interrupt" && mode !== "yield") {
    throw new InvalidOptionsError({
      option: "mode",
      value: mode,
      reason: 'is not "interrupt" or "yield"'
    })
  }
  if (options.check !== undefined && typeof options.check !== "function") {
    throw new InvalidOptionsError({
      option: "check",
      value: options.check,
      reason: "is not a function"
    })
  }
  const sample = options.sample
  if (
    sample !== undefined &&
    !(
      Number.isInteger(sample.runs) &&
      sample.runs >= 1 &&
      (sample.seed === undefined || Number.isInteger(sample.seed))
    )
  ) {
    throw new InvalidOptionsError({
      option: "sample",
      value: sample,
      reason: "is not { runs: a positive integer, seed?: an integer }"
    })
  }
  return {
    mode,
    hangTimeout: durationOf("hangTimeout", options.hangTimeout ?? defaultHangTimeout)
  }
}

/** A step of `runAt`: a non-negative integer. */
export const step = (value: number): number => {
  if (Number.isInteger(value) && value >= 0) return value
  throw new InvalidOptionsError({ option: "step", value, reason: "is not a non-negative integer" })
}
