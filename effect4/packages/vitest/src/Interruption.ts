/**
 * Interruption testing: interrupt a program at every step it takes, and check after each run
 * that nothing leaked, ran twice or hung.
 *
 * Hand-written interruption tests guess a point, interrupt there, and hope it was the
 * interesting one. Leaks hide in the windows nobody guessed — between an acquisition and the
 * registration of its release, between a check and an act. This harness removes the guess:
 *
 * 1. a dry run counts the steps — every point where Effect 4's runtime asks the `Scheduler`
 *    whether a fiber of the program should yield (run twice, to tell whether the count is
 *    deterministic);
 * 2. for every step `k`, the program runs again from scratch; the fiber at step `k` yields
 *    there, and the program's root fiber is interrupted while it is paused;
 * 3. after each run, the `check` decides whether it left things as they must be, every
 *    `Resource` / `Guard` made during the run must be released / settled (`leaks`), and a run
 *    that does not finish within `hangTimeout` after its interruption is a hang.
 *
 * ```ts
 * import { it } from "@effect/vitest"
 * import { Effect } from "effect"
 * import { Resource } from "@scopeguard/core"
 * import { Interruption } from "@scopeguard/vitest"
 *
 * it.effect("a connection is released whatever step is interrupted", () =>
 *   Interruption.assertEveryStep(
 *     Effect.scoped(
 *       Effect.gen(function* () {
 *         const conn = yield* Resource.make(Effect.succeed("conn"), () => Effect.void)
 *         yield* Resource.use(conn, () => Effect.yieldNow)
 *         yield* Resource.close(conn)
 *       })
 *     )
 *   )
 * )
 * ```
 *
 * With `mode: "yield"` the fiber at step `k` only yields there (every other ready fiber runs
 * first), which explores interleavings instead of interruptions.
 *
 * The program runs with the caller's services (its `TestClock`, its layers) and a `Scheduler`
 * of the harness wrapped around the caller's; fibers it forks inherit it. A program is run
 * many times, so build its state inside it (`Effect.suspend`, a function that makes the
 * program) and let the `check` read state the program resets when it starts.
 *
 * This is the minimal harness of the Effect 4 edition: one point per scheduler step, the root
 * fiber as the target. Budget mode, holder targets, sampling and reach labels are the full
 * explorer's.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type { InterruptionError } from "./Errors.js"
import * as internal from "./internal/explorer.js"

/**
 * How a step is perturbed: `"interrupt"` (the default) — the fiber at step `k` yields there and
 * the program's root fiber is interrupted while it is paused; `"yield"` — it only yields, so
 * that every other ready fiber runs in that gap (a check-then-act split by a preemption).
 *
 * @since 0.1.0
 * @category models
 */
export type Mode = "interrupt" | "yield"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<R = never> {
  /** Default `"interrupt"`. */
  readonly mode?: Mode | undefined
  /** An invariant checked after each run that finished; a failure marks that step. */
  readonly check?:
    ((exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void, unknown, R>) | undefined
  /** On the real clock, from the interruption (default 2 seconds). */
  readonly hangTimeout?: Duration.Input | undefined
  /** Whether a `Resource` still acquired or a `Guard` still armed after a run fails it (default `true`). */
  readonly leaks?: boolean | undefined
  /**
   * Whether a run whose `Exit` holds a defect (the run dies, a cleanup dies when the run is
   * interrupted, the program function throws) marks that step, kind `"defect"`. A typed
   * failure never does (the `check` judges it), nor does the harness's interruption. `false`
   * leaves defects to the `check`. Default: `true`.
   */
  readonly defects?: boolean | undefined
}

/**
 * What the harness runs: an Effect, or a function that makes one, called once per run (a
 * per-run setup: each run starts from fresh state).
 *
 * @since 0.1.0
 * @category models
 */
export type Program<A, E, R> = Effect.Effect<A, E, R> | (() => Effect.Effect<A, E, R>)

/**
 * One failing point. Step `0` is a run without interruption.
 *
 * @since 0.1.0
 * @category models
 */
export interface Failure {
  readonly step: number
  readonly kind: "check" | "hang" | "leak" | "defect"
  readonly message: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Report {
  /** The steps of the uninterrupted run. */
  readonly steps: number
  /** The perturbed runs: one per step. */
  readonly runs: number
  readonly failures: ReadonlyArray<Failure>
  /** Whether two uninterrupted runs took the same number of steps. */
  readonly deterministic: boolean
  /** Steps a perturbed run ended before reaching (its run was shorter). */
  readonly unreached: ReadonlyArray<number>
}

/**
 * Runs `program` once to count its steps, then once per step, perturbing it there, and
 * reports every step after which the check failed, something leaked, or the run hung.
 * Options are checked when the effect runs: an invalid one dies with `InvalidOptionsError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 * import { Interruption } from "@scopeguard/vitest"
 *
 * const program = Effect.scoped(Effect.flatMap(Guard.make(Effect.void), Guard.disarm))
 * const report = Interruption.explore(program, { hangTimeout: "1 second" })
 * // Effect<{ steps, runs, failures: [], deterministic: true, unreached: [] }>
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const explore: <A, E, R, R2 = never>(
  program: Program<A, E, R>,
  options?: Options<R2>
) => Effect.Effect<Report, never, R | R2> = internal.explore

/**
 * `explore`, failing with an `InterruptionError` that names the failing steps.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resource } from "@scopeguard/core"
 * import { Interruption } from "@scopeguard/vitest"
 *
 * const program = Interruption.assertEveryStep(
 *   Effect.scoped(Resource.make(Effect.succeed(1), () => Effect.void))
 * )
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const assertEveryStep: <A, E, R, R2 = never>(
  program: Program<A, E, R>,
  options?: Options<R2>
) => Effect.Effect<Report, InterruptionError, R | R2> = internal.assertEveryStep

/**
 * Replays one point: the program's `Exit` when it is perturbed at `step` (`undefined` if it
 * hung), for debugging a failure `explore` reported.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Interruption } from "@scopeguard/vitest"
 *
 * const exit = Interruption.runAt(Effect.yieldNow, 1)
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const runAt: <A, E, R, R2 = never>(
  program: Program<A, E, R>,
  step: number,
  options?: Options<R2>
) => Effect.Effect<Exit.Exit<A, E> | undefined, never, R | R2> = internal.runAt
