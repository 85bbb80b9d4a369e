/**
 * Checks the explorer's options when its effect runs (building never throws), with the same
 * `InvalidOptionsError` as `@scopeguard/core` (durations are decoded by
 * `InvalidOptionsError.decodeDuration`). Only `undefined` means "the default": `null`, `0`,
 * `"no"` and every other value of the wrong type are refused, never coerced.
 *
 * @internal
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import { InvalidOptionsError } from "@scopeguard/core"
import type * as Interruption from "../Interruption.js"

/** The smallest per-turn budget the runtime runs with (9 or less livelocks `Effect.void`). */
export const MIN_BUDGET = 10

/**
 * The budgets budget mode sweeps by default: every budget from 10 to 16 ends turns at
 * different places in a long turn, the larger ones reach deeper into it, and 2048 is the
 * runtime's default (where only async waits and the program's own yields end a turn).
 */
export const DEFAULT_BUDGETS: ReadonlyArray<number> = [10, 11, 12, 13, 14, 15, 16, 32, 64, 2048]

/**
 * The budget passes of mode "all": 12 and 32 end turns often enough to reach the windows of a
 * multi-operation step (a lookup, an acquisition) and leave few points. Chosen by measurement
 * on the survey (`npm run survey -- --modes all`): the budget findings confirmed by plain
 * programs were confirmed at 12 or 32, and `Cache.get`'s first caller, interrupted alone, is
 * reached only at 12 (its window is 2 to 6 operations into a turn at the default budget).
 */
export const ALL_BUDGETS: ReadonlyArray<number> = [12, 32]

/** `runAt` with mode "all": it replays one point of one pass. */
export const refuseAll = (): never =>
  refuse(
    "mode",
    "all",
    'is a schedule of passes: replay a point with its failure\'s mode and target (mode "interrupt", "yield" or "budget")'
  )

/** The options of one exploration, checked once: nothing reads the user's object again. */
export interface Checked<R> {
  readonly mode: Interruption.Mode
  readonly target: Interruption.Target
  readonly budgets: ReadonlyArray<number>
  readonly budget: number | undefined
  readonly failOn: "any" | "reachable"
  readonly check:
    ((exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void, unknown, R>) | undefined
  readonly hangTimeout: Duration.Duration
  readonly leaks: boolean
  readonly fibers: boolean
  readonly defects: boolean
  readonly progress: boolean
  readonly reduce: boolean
  readonly isolate: boolean | undefined
  readonly sample: { readonly runs: number; readonly seed: number } | undefined
}

const refuse = (option: string, value: unknown, reason: string): never => {
  throw new InvalidOptionsError({ option, value, reason })
}

const oneOf = <const A extends ReadonlyArray<string>>(
  option: string,
  value: unknown,
  choices: A,
  reason: string
): A[number] | undefined =>
  value === undefined || choices.includes(value as string)
    ? (value as A[number] | undefined)
    : refuse(option, value, reason)

const boolean = (option: string, value: unknown): boolean | undefined =>
  value === undefined || typeof value === "boolean"
    ? value
    : refuse(option, value, "is not a boolean")

const isBudget = (b: unknown): b is number => Number.isInteger(b) && (b as number) >= MIN_BUDGET

/** A program: an Effect, or a function that makes one (called once per run). */
export const program = <A, E, R>(
  value: Interruption.Program<A, E, R>
): Interruption.Program<A, E, R> =>
  typeof value === "function" || Effect.isEffect(value)
    ? value
    : refuse("program", value, "is not an Effect or a function that returns one")

/** The checked options of `explore`, `assertEveryStep` and `runAt`. */
export const check = <R>(
  options: Interruption.Options<R> | undefined,
  defaultHangTimeout: Duration.DurationInput
): Checked<R> => {
  if (options === undefined) options = {}
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    refuse("options", options, "is not an object")
  }
  const target = oneOf("target", options.target, ["root", "holder"], 'is not "root" or "holder"')
  // The default is every pass (mode "all"), unless a target names one: then interrupt mode.
  const mode =
    oneOf(
      "mode",
      options.mode,
      ["all", "interrupt", "yield", "budget"],
      'is not "all", "interrupt", "yield" or "budget"'
    ) ?? (target === undefined ? "all" : "interrupt")
  if (mode === "all" && target !== undefined) {
    refuse("target", target, 'is set per pass by mode "all" (leave it out, or choose a mode)')
  }
  const failOn =
    oneOf("failOn", options.failOn, ["any", "reachable"], 'is not "any" or "reachable"') ??
    "reachable"
  if (options.budget !== undefined && !isBudget(options.budget)) {
    refuse(
      "budget",
      options.budget,
      `is not an integer of at least ${MIN_BUDGET} (smaller budgets livelock the runtime)`
    )
  }
  const listed = options.budgets
  if (
    listed !== undefined &&
    !(Array.isArray(listed) && listed.length > 0 && listed.every(isBudget))
  ) {
    refuse("budgets", listed, `is not a non-empty array of integers of at least ${MIN_BUDGET}`)
  }
  const userCheck = options.check
  if (userCheck !== undefined && typeof userCheck !== "function") {
    refuse("check", userCheck, "is not a function")
  }
  const sample = options.sample as unknown
  let checkedSample: Checked<R>["sample"] = undefined
  if (sample !== undefined) {
    const { runs, seed } = (typeof sample === "object" && sample !== null ? sample : {}) as {
      runs?: unknown
      seed?: unknown
    }
    if (
      typeof sample !== "object" ||
      sample === null ||
      !(Number.isInteger(runs) && (runs as number) >= 1) ||
      !(seed === undefined || Number.isInteger(seed))
    ) {
      refuse("sample", sample, "is not { runs: a positive integer, seed?: an integer }")
    }
    checkedSample = { runs: runs as number, seed: (seed as number | undefined) ?? 1 }
  }
  const leaks = boolean("leaks", options.leaks) ?? true
  const fibers = boolean("fibers", options.fibers) ?? true
  const defects = boolean("defects", options.defects) ?? true
  const isolate = boolean("isolate", options.isolate)
  const progress = boolean("progress", options.progress) ?? true
  const reduce = boolean("reduce", options.reduce) ?? true
  // Not `??`: a `null` is refused as a wrong value, not read as the default.
  const hangTimeout = InvalidOptionsError.decodeDuration(
    "hangTimeout",
    options.hangTimeout === undefined ? defaultHangTimeout : options.hangTimeout
  )!
  // `budget` alone explores that one budget; `runAt` replays with `budget`, or the only one
  // of `budgets`.
  const budgets =
    listed ??
    (options.budget !== undefined
      ? [options.budget]
      : mode === "all"
        ? ALL_BUDGETS
        : DEFAULT_BUDGETS)
  return {
    mode,
    target: target ?? "root",
    budgets,
    budget: options.budget ?? (budgets.length === 1 ? budgets[0] : undefined),
    failOn,
    check: userCheck,
    hangTimeout,
    leaks,
    fibers,
    defects,
    progress,
    reduce,
    isolate,
    sample: checkedSample
  }
}

/** A budget for `runAt` in budget mode. */
export const replayBudget = (budget: number | undefined): number =>
  budget !== undefined
    ? budget
    : refuse(
        "budget",
        budget,
        "is required to replay in budget mode (the report names each point's budget)"
      )

/** A step of `runAt`: a non-negative integer. */
export const step = (value: number): number =>
  Number.isInteger(value) && value >= 0
    ? value
    : refuse("step", value, "is not a non-negative integer")

/** A schedule `replay` takes (`Failure.schedule`), read as the `runAt` it stands for. */
export interface ParsedSchedule {
  readonly step: number
  readonly mode: "interrupt" | "yield" | "budget"
  readonly target: Interruption.Target
  readonly budget?: number | undefined
}

/**
 * `""`, `"i12"`, `"h12"`, `"y12"`, each after an optional budget (`"b10 i12"`, `"b10"`): one
 * run with at most one perturbation, which is every run this edition makes. The Effect 4
 * edition's other tokens (`sN:M`, `eN`, several preemptions) name schedules of its own
 * scheduler: refused with the reason.
 */
export const parseSchedule = (schedule: unknown): ParsedSchedule => {
  if (typeof schedule !== "string") return refuse("schedule", schedule, "is not a string")
  let budget: number | undefined
  let point: { kind: string; step: number } | undefined
  for (const word of schedule.split(/\s+/)) {
    if (word === "") continue
    const b = /^b([1-9]\d*)$/.exec(word)
    if (b !== null && budget === undefined && point === undefined) {
      budget = Number(b[1])
      continue
    }
    const p = /^([yih])([1-9]\d*)$/.exec(word)
    if (p !== null && point === undefined) {
      point = { kind: p[1]!, step: Number(p[2]) }
      continue
    }
    return refuse(
      "schedule",
      schedule,
      `has "${word}" where the Effect 3 edition's runs take an optional budget bN, then at most one of yN, iN, hN`
    )
  }
  // A number past 2^53 would be read as another one: refused rather than run elsewhere.
  if (
    (budget !== undefined && !Number.isSafeInteger(budget)) ||
    (point !== undefined && !Number.isSafeInteger(point.step))
  ) {
    return refuse("schedule", schedule, "has a number too large to be a point")
  }
  if (budget !== undefined && point?.kind === "y") {
    return refuse("schedule", schedule, "forces a yield in budget mode, which interrupts")
  }
  return {
    step: point?.step ?? 0,
    mode: budget !== undefined ? "budget" : point?.kind === "y" ? "yield" : "interrupt",
    target: point?.kind === "h" ? "holder" : "root",
    ...(budget === undefined ? {} : { budget })
  }
}

/**
 * The pass `replay` names a schedule's failures with, as the Effect 4 edition does: what the
 * schedule says — a budget is budget mode, an interruption interrupt mode (`h`: the holder), a
 * forced yield yield mode — and, where it cannot say, the options (the empty schedule is any
 * pass's run without interruption; a schedule without an interruption has the options'
 * target, else the root). A `mode` the schedule rules out (mode `"all"` among them) is
 * refused. The run itself is the schedule's (`parseSchedule`); this is the name its failures get.
 */
export const replayPass = (
  parsed: ParsedSchedule,
  options: { readonly mode?: unknown; readonly target?: unknown },
  schedule: string
): ParsedSchedule => {
  // Points are numbered from 1: step 0 is a schedule without a point token.
  const point = parsed.step > 0
  // The empty schedule is every pass's run without interruption (a budget pass's too, at the
  // default budget).
  const allowed: ReadonlyArray<Interruption.Mode> =
    parsed.mode === "budget" ? ["budget"] : point ? [parsed.mode] : ["interrupt", "yield", "budget"]
  const asked = options.mode
  if (asked !== undefined && !allowed.includes(asked as Interruption.Mode)) {
    return refuse(
      "mode",
      asked,
      `is not a mode that makes the schedule "${schedule}" (${allowed.join(", ")})`
    )
  }
  // An `i` or `h` token names the target (with a budget too); a yield or no token does not.
  const interrupts = point && parsed.mode !== "yield"
  return {
    ...parsed,
    mode: (asked as ParsedSchedule["mode"] | undefined) ?? parsed.mode,
    target: interrupts
      ? parsed.target
      : ((options.target as Interruption.Target | undefined) ?? "root")
  }
}
