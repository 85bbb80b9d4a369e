/**
 * Checks the explorer's options when its effect runs (building never throws), with the same
 * `InvalidOptionsError` as `@scopeguard/core` (durations are decoded by
 * `InvalidOptionsError.decodeDuration`).
 *
 * @internal
 */
import type * as Duration from "effect/Duration"
import { InvalidOptionsError } from "@scopeguard/core"
import type * as Interruption from "../Interruption.js"

/** The checked options of `explore`, `assertEveryStep` and `runAt`. */
export const check = <R>(
  options: Interruption.Options<R>,
  defaultHangTimeout: Duration.DurationInput
) => {
  const mode = options.mode ?? "interrupt"
  if (mode !== "interrupt" && mode !== "yield" && mode !== "budget") {
    throw new InvalidOptionsError({
      option: "mode",
      value: mode,
      reason: 'is not "interrupt", "yield" or "budget"'
    })
  }
  const isBudget = (b: unknown): b is number => Number.isInteger(b) && (b as number) >= MIN_BUDGET
  if (options.budget !== undefined && !isBudget(options.budget)) {
    throw new InvalidOptionsError({
      option: "budget",
      value: options.budget,
      reason: `is not an integer of at least ${MIN_BUDGET} (smaller budgets livelock the runtime)`
    })
  }
  if (
    options.budgets !== undefined &&
    !(
      Array.isArray(options.budgets) &&
      options.budgets.length > 0 &&
      options.budgets.every(isBudget)
    )
  ) {
    throw new InvalidOptionsError({
      option: "budgets",
      value: options.budgets,
      reason: `is not a non-empty array of integers of at least ${MIN_BUDGET}`
    })
  }
  const target = options.target ?? "root"
  if (target !== "root" && target !== "holder") {
    throw new InvalidOptionsError({
      option: "target",
      value: target,
      reason: 'is not "root" or "holder"'
    })
  }
  if (options.failOn !== undefined && options.failOn !== "any" && options.failOn !== "reachable") {
    throw new InvalidOptionsError({
      option: "failOn",
      value: options.failOn,
      reason: 'is not "any" or "reachable"'
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
  // `budget` alone explores that one budget; `runAt` replays with `budget`, or the only one
  // of `budgets`.
  const budgets =
    options.budgets ?? (options.budget === undefined ? DEFAULT_BUDGETS : [options.budget])
  return {
    mode,
    target,
    budgets,
    budget: options.budget ?? (budgets.length === 1 ? budgets[0] : undefined),
    hangTimeout: InvalidOptionsError.decodeDuration(
      "hangTimeout",
      options.hangTimeout ?? defaultHangTimeout
    )!
  }
}

/**
 * The budgets budget mode sweeps by default: every budget from 10 to 16 ends turns at
 * different places in a long turn, the larger ones reach deeper into it, and 2048 is the
 * runtime's default (where only async waits and the program's own yields end a turn).
 */
export const DEFAULT_BUDGETS: ReadonlyArray<number> = [10, 11, 12, 13, 14, 15, 16, 32, 64, 2048]

/** The smallest per-turn budget the runtime runs with (9 or less livelocks `Effect.void`). */
export const MIN_BUDGET = 10

/** A budget for `runAt` in budget mode. */
export const replayBudget = (budget: number | undefined): number => {
  if (budget !== undefined) return budget
  throw new InvalidOptionsError({
    option: "budget",
    value: budget,
    reason: "is required to replay in budget mode (the report names each point's budget)"
  })
}

/** A step of `runAt`: a non-negative integer. */
export const step = (value: number): number => {
  if (Number.isInteger(value) && value >= 0) return value
  throw new InvalidOptionsError({ option: "step", value, reason: "is not a non-negative integer" })
}
