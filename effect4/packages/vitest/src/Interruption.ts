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
 * first), which explores interleavings instead of interruptions; `mode: "pct"` runs seeded
 * random schedules (priority change points) with a stated probability bound; `mode:
 * "exhaustive"` runs every schedule with at most `preemptions` preemptions, fewest first, and
 * says whether it ran them all (`Report.exhaustive`). Every fiber runs
 * on the harness's own scheduler, one step at a time: a run is a function of its schedule, a
 * run in which no fiber can run is a deadlock reported at once, and each failure's `schedule`
 * is replayed exactly by `replay`.
 *
 * The program runs with the caller's services (its `TestClock`, its layers) and a `Scheduler`
 * of the harness in place of the caller's; fibers it forks inherit it. A program is run
 * many times, so build its state inside it (`Effect.suspend`, a function that makes the
 * program) and let the `check` read state the program resets when it starts.
 *
 * `failOn`, `sample`, `isolate`, `mode: "budget"` and `mode: "all"` mean what they mean in the
 * Effect 3 explorer; as there, `"all"` is the default when neither `mode` nor `target` is given.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type { Tracking } from "@scopeguard/core"
import type { InterruptionError } from "./Errors.js"
import * as internal from "./internal/explorer.js"

/**
 * How the runs are scheduled:
 *
 * - `"interrupt"` (the default when a `target` is given): one run per point; the fiber at point
 *   `k` is preempted there
 *   and the `target` (the root, or the fiber holding the point) is interrupted while it is
 *   paused;
 * - `"yield"`: one run per point; the fiber at point `k` is only preempted, so that every other
 *   ready fiber runs in that gap (a check-then-act split by a preemption);
 * - `"pct"`: `runs` seeded random schedules with priority change points (PCT): a bug that needs
 *   `depth` ordering constraints is found by each run with at least the probability the report
 *   states (`Report.pct`);
 * - `"exhaustive"`: every schedule with at most `preemptions` preemptions (a preemption: the
 *   running fiber is made to yield where another task could run), fewest preemptions first,
 *   up to `maxSchedules` schedules; the queue runs in Effect's own order (priority, then first
 *   in, first out), so every schedule is one Effect's runtime can make with some fibers
 *   yielding at those points (but for resumed fibers, which the explorer queues where Effect
 *   runs them at once: see the package README). Nothing is interrupted: a race between fibers that needs up to
 *   `preemptions` preemptions is found for certain when the report says `exhausted`;
 * - `"budget"`: nothing is forced. For each of `budgets`, the program runs as Effect's default
 *   scheduler runs it with `Scheduler.MaxOpsBeforeYield` set to that budget (every fiber
 *   yields once it has run that many operations of its turn), once without interruption and
 *   then once per turn end of that run (the budget used up, a `yieldNow`, an async wait, a
 *   fiber's end), where the root (or, with `target: "holder"`, the fiber whose turn it was)
 *   is interrupted before the next turn starts. Every failure it finds is one the default
 *   scheduler makes with that budget (`Failure.budget`); it finds the bugs that need the
 *   interleaving a small budget makes, which the other modes' single perturbation does not;
 * - `"all"` (the default when neither `mode` nor `target` is given, as on Effect 3): budget
 *   mode (budgets 10, 12 and 32, or `budgets`) with the root, then with the holder as target,
 *   then interrupt mode with the root, then with the holder; the holder passes cut off only the
 *   program's own fibers (not the root, whose points are the root passes', nor a fiber a
 *   library forked for itself). One report, each failure naming its pass (`Failure.mode`,
 *   `Failure.target`; `Report.passes`); a program that fails without interruption stops after
 *   the first pass. Refuses a `target` (set per pass).
 *
 * @since 0.1.0
 * @category models
 */
export type Mode = "interrupt" | "yield" | "pct" | "exhaustive" | "budget" | "all"

/**
 * Whom the interruption is for in interrupt mode: the program's root fiber (the default), or
 * the fiber holding the point (a child, a daemon, a `FiberSet`'s fiber).
 *
 * @since 0.1.0
 * @category models
 */
export type Target = "root" | "holder"

/**
 * Which points Effect's default scheduler can reach: `"uninterrupted"` (a run without
 * preemption), `"turn-start"` (the first point of a fiber's turn — it had just started,
 * resumed or yielded, so any scheduler may run another fiber right before it), `"budget"`
 * (`budget` operations into its turn: the default scheduler with
 * `Scheduler.MaxOpsBeforeYield` set to `budget` preempts there, if the turns before ran as in
 * this run), `"internal"` (`target: "holder"`: the fiber interrupted was started by a
 * library's internals — a stream's producer, a cache's lookup, a pool's filler — which no user
 * code can interrupt on its own; not counted by `failOn: "reachable"`).
 *
 * @since 0.1.0
 * @category models
 */
export type Reach = "uninterrupted" | "turn-start" | "budget" | "internal"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<R = never> {
  /** Default `"all"` (`"interrupt"` when a `target` is given; `runAt` and `replay`: `"interrupt"`): see `Mode`. */
  readonly mode?: Mode | undefined
  /** Interrupt mode: interrupt the root (the default) or the fiber holding the point. */
  readonly target?: Target | undefined
  /**
   * An invariant checked after each run that finished; a failure marks that point. It is
   * user code: failing, dying, throwing, returning something else than an Effect and not
   * returning within `hangTimeout` (real time) are each a failure of kind `"check"`.
   */
  readonly check?:
    ((exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void, unknown, R>) | undefined
  /**
   * Real time a run may wait on the outside world (a real timer, I/O) or keep running, and a
   * `check` may take (default 2 seconds). A run bounded by it is a `"hang"`; a run in which no
   * fiber can run and nothing waits on the outside world is a `"deadlock"` at once, whatever
   * the bound. A perturbed run may take `max(hangTimeout, 3 × the uninterrupted run's time)`;
   * an uninterrupted one `max(hangTimeout, 10 s)`.
   */
  readonly hangTimeout?: Duration.Input | undefined
  /** Whether a `Resource` still acquired or a `Guard` still armed after a run fails it (default `true`). */
  readonly leaks?: boolean | undefined
  /** Whether a fiber of the run left running (or waiting) after it ended fails it (default `true`). */
  readonly fibers?: boolean | undefined
  /**
   * Whether a run whose `Exit` holds a defect (the run dies, a cleanup dies when the run is
   * interrupted, the program function throws) marks that point, kind `"defect"`. A typed
   * failure never does (the `check` judges it), nor does the harness's interruption. `false`
   * leaves defects to the `check`. Default: `true`.
   */
  readonly defects?: boolean | undefined
  /**
   * Whether an exploration that takes longer than a second shows its progress on stderr, in
   * the Effect 3 edition's lines: points (exhaustive mode: schedules) done of the total,
   * failures so far, time elapsed and an estimate of the time left. On a terminal it is one
   * line rewritten in place; elsewhere (a CI log, and under vitest, whose workers' stderr is no
   * terminal) a line every 5 seconds; a last line says when it is done. Default: `true`.
   */
  readonly progress?: boolean | undefined
  /** PCT mode: the seed of the schedules (default 1): the same seed, the same runs. */
  readonly seed?: number | undefined
  /** PCT mode: how many schedules (default 100). */
  readonly runs?: number | undefined
  /** PCT mode: the bug depth d targeted, the number of ordering constraints (default 2). */
  readonly depth?: number | undefined
  /**
   * PCT and exhaustive modes: whether failing schedules are shrunk to the fewest decisions
   * (default `true`; the first three failures).
   */
  readonly shrink?: boolean | undefined
  /**
   * Exhaustive mode: the most preemptions a schedule has (default 2; an integer, 0 or more;
   * 0 runs the schedule without preemption only).
   */
  readonly preemptions?: number | undefined
  /**
   * Exhaustive mode: the most schedules run, the one without preemption included (default
   * 10,000; an integer, 1 or more). When it is reached the exploration stops there and the
   * report says so (`exhaustive.exhausted: false`).
   */
  readonly maxSchedules?: number | undefined
  /**
   * Whether the sound reductions apply (default `true`; `false` runs everything, for comparing
   * the two). Interrupt and yield modes: a point that Effect's runtime guarantees to behave
   * exactly like the point before it, or like the run without perturbation, shares that run
   * instead of running on its own, and is still reported with its own step, schedule and
   * reach (see `Reduced`). Exhaustive mode: a point where no other task could run is skipped
   * as a place for a preemption (preempted there, the fiber is the only one to run, so the run
   * is the run without that preemption), and so is a point right before an operation that
   * only pushes a continuation frame (the preemption right after the push makes the same run).
   */
  readonly reduce?: boolean | undefined
  /**
   * Interrupt and yield modes: explore only `runs` of the points, chosen uniformly by a
   * generator seeded with `seed` (default 1): the same seed explores the same points. Default:
   * every point. The report says when it sampled (`Report.sampled`). Refused in the pct and
   * exhaustive modes (their bounds are `runs` and `maxSchedules`).
   */
  readonly sample?: { readonly runs: number; readonly seed?: number | undefined } | undefined
  /**
   * What makes `assertEveryStep` fail: only the failures Effect's default scheduler can reach
   * (`"reachable"`, the default: every `reach` but `"budget"` with a `budget` under 10, which
   * no `MaxOpsBeforeYield` a program sets preempts at), or any failure (`"any"`). The report
   * lists every failure either way (`Report.reachable` counts the reachable ones).
   */
  readonly failOn?: "any" | "reachable" | undefined
  /**
   * Whether each run gets fresh test services (its own `TestClock` at time 0 with no sleeper,
   * its own `TestConsole`), so that what one run leaves on them cannot reach the runs after
   * it; the explorer's scheduler stays. Default: when the caller runs on test services (a
   * `TestClock`, as under `it.effect`); `false` keeps the caller's.
   */
  readonly isolate?: boolean | undefined
  /**
   * Budget mode: the per-turn operation budgets to sweep (`Scheduler.MaxOpsBeforeYield`),
   * each an integer of at least 10. Default: 10 to 16, 32, 64 and 2048 (Effect's default).
   */
  readonly budgets?: ReadonlyArray<number> | undefined
  /**
   * Budget mode: one budget — what `runAt` replays with (a failure names its `budget`); for
   * `explore`, the same as `budgets: [budget]`.
   */
  readonly budget?: number | undefined
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
 * One way a run failed (a run that ended can fail several ways: a leak, fibers left running, a
 * defect, the check, each a failure at the same step; one that did not end is a hang or a
 * deadlock). In interrupt and yield modes `step` is the point perturbed (`0`: a run
 * without perturbation); in PCT and exhaustive modes, the run's number. `schedule` replays it exactly with
 * `replay`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Failure {
  readonly step: number
  readonly kind: "check" | "hang" | "deadlock" | "leak" | "fibers" | "defect"
  readonly message: string
  /** The run's schedule: `"i12"`, `"y3 s4:1"` (see `replay`). */
  readonly schedule: string
  /** Which points Effect's default scheduler reaches (of the first preemption). */
  readonly reach: Reach
  /** With `reach: "budget"`: the `MaxOpsBeforeYield` that preempts there. */
  readonly budget?: number | undefined
  /**
   * The fiber the run was perturbed at — preempted or interrupted there; in budget mode, the
   * fiber whose turn had just ended — by its number in the run and what started it:
   * `"fiber 2 (a child of fiber 1)"`, `"fiber 3 (a daemon)"`, `"fiber 1 (the root)"`.
   * Absent for a run without perturbation.
   */
  readonly fiber?: string | undefined
  /** The pass that found it (in mode `"all"`, one of its four): its mode and target. */
  readonly mode: Exclude<Mode, "all">
  readonly target: Target
  /** The preemptions of `schedule`. */
  readonly preemptions?: number | undefined
  /** A shrunk failure: the schedule it was shrunk from. */
  readonly original?: string | undefined
}

/**
 * Failures at consecutively explored points (turn ends of one budget in budget mode; runs in
 * pct and exhaustive modes) that failed the same way — the same kind, the same message once
 * runtime ids (`#12`) are set aside, the same reach (and budget, in budget mode; elsewhere the
 * same `reachable`) — as one range: one bug is one line however many points it fails.
 *
 * @since 0.1.0
 * @category models
 */
export interface Range {
  readonly from: number
  readonly to: number
  /** The explored points it spans (with a sample, fewer than `to - from + 1`). */
  readonly points: number
  readonly kind: Failure["kind"]
  /** The first failure's message. */
  readonly message: string
  /** The first failure's reach. */
  readonly reach: Reach
  /** Whether Effect's default scheduler reaches these failures (`failOn: "reachable"`). */
  readonly reachable: boolean
  /** Budget mode: the budget of the runs. */
  readonly budget?: number | undefined
  /** The first failure's fiber (`Failure.fiber`). */
  readonly fiber?: string | undefined
  /** The first failure's schedule (`replay` runs it). */
  readonly schedule: string
  /**
   * The line of user code nearest to the range's first perturbation (`path:line:column`,
   * relative to the working directory): the innermost frame of the program's own code on the
   * perturbed fiber's stack there (for `Effect.gen`, the `yield*` it is at), as on Effect 3
   * (`Where.near`). Set by `assertEveryStep` when it fails, on up to 20 ranges with a
   * perturbation but hangs (those its message shows first), with one replay of each distinct
   * schedule; not by `explore`. Read through the V8
   * inspector (`node:inspector`); without one, absent.
   */
  readonly near?: string | undefined
  /** The pass that found it (in mode `"all"`, one of its four): its mode and target. */
  readonly mode: Exclude<Mode, "all">
  readonly target: Target
}

/**
 * Mode `"all"`: one pass's numbers.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pass {
  readonly mode: Exclude<Mode, "all">
  readonly target: Target
  /**
   * Points explored (budget mode: turn ends, over its budgets, and each budget's own run when
   * the pass judges it; pct and exhaustive modes: the runs and schedules run).
   */
  readonly points: number
  /** This pass's perturbed runs (see `Report.runs`). */
  readonly runs: number
  /** Failing points of the pass. */
  readonly failures: number
  readonly reachable: number
  /** Budget mode: its budgets. */
  readonly budgets?: ReadonlyArray<number> | undefined
  /** Wall-clock time of the pass, in milliseconds. */
  readonly millis: number
}

/**
 * PCT's guarantee for the program explored: each run finds a bug of depth `depth` with
 * probability at least `perRun` = 1 / (n · k^(depth-1)), n fibers and k points; `atLeastOnce`
 * over all the runs.
 *
 * @since 0.1.0
 * @category models
 */
export interface PctBound {
  readonly seed: number
  readonly depth: number
  readonly perRun: number
  readonly atLeastOnce: number
}

/**
 * What an exhaustive exploration covered.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExhaustiveReport {
  /** The bound on preemptions per schedule (`preemptions`). */
  readonly preemptions: number
  /** Schedules run, the one without preemption (the first uninterrupted run) included. */
  readonly schedules: number
  /**
   * Points skipped as places for a preemption because no other task could run there (each a
   * schedule `reduce: false` runs, with its own extensions).
   */
  readonly reduced: number
  /**
   * Whether every schedule within the bound was run; `false`: the exploration was cut short
   * by `maxSchedules` after `schedules` schedules.
   */
  readonly exhausted: boolean
  readonly maxSchedules: number
}

/**
 * Budget mode: one budget's run without interruption — its points, and how many turn ends it
 * had (each one an interruption point).
 *
 * @since 0.1.0
 * @category models
 */
export interface BudgetRun {
  readonly budget: number
  readonly steps: number
  readonly points: number
}

/**
 * The points of an interrupt or yield exploration covered by equivalence rather than run, by
 * the equivalence that covered each (a point joins the class of the point before it):
 *
 * - `deferred`: (interrupt mode) the target — the root, or with `target: "holder"` the point's
 *   fiber — is uninterruptible at both points, with the same stack frame, nothing reads or
 *   writes its pending interruption between them, and no other task is queued at either: an
 *   interruption sent to an uninterruptible fiber is only recorded, and acted on where the
 *   region ends, so nothing can tell which of the two points it was sent at.
 * - `continuation`: the operation between the two points of one fiber only pushed a
 *   continuation frame (a `flatMap`, `map`, `catchCause`, `matchCause`): preempted or
 *   interrupted before the push or after it, the fiber ends up in the same state.
 * - `idle`: (yield mode, and interrupt mode once the root has ended) no other task is queued:
 *   the preemption lets nothing run and the interruption has nothing to stop, so the run is
 *   the run without perturbation, whose failure the point gets.
 *
 * `unconfirmed` is always 0 here (the Effect 3 edition's shared runs must confirm where a
 * fiber's operation budget ends its turn; the explorer's scheduler preempts only where the
 * schedule says).
 *
 * @since 0.1.0
 * @category models
 */
export interface Reduced {
  /** Points that shared an equivalent point's run (the sum of the three below). */
  readonly points: number
  readonly deferred: number
  readonly continuation: number
  readonly idle: number
  readonly unconfirmed: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly mode: Mode
  /** The points of the uninterrupted run: every time a fiber asked the scheduler. */
  readonly steps: number
  /**
   * The perturbed runs: one per point not covered by equivalence (`reduced`), in budget mode
   * one per turn end explored (PCT: `runs`; exhaustive: the schedules with a preemption), over
   * every pass. The uninterrupted runs (the two dry runs of each pass, budget mode's run per
   * budget) are not counted, as on Effect 3.
   */
  readonly runs: number
  readonly failures: ReadonlyArray<Failure>
  /** The failures grouped: consecutive points that failed the same way are one range. */
  readonly ranges: ReadonlyArray<Range>
  /** The failures Effect's default scheduler can reach (see `Options.failOn`). */
  readonly reachable: number
  /** What `assertEveryStep` fails on (`Options.failOn`). */
  readonly failOn: "any" | "reachable"
  /**
   * Whether the program behaved as one: two uninterrupted runs took the same points, fiber by
   * fiber, and every run reached the point it was to be perturbed at (`unreached` is empty).
   */
  readonly deterministic: boolean
  /** Points a perturbed run ended before reaching (its run was shorter). */
  readonly unreached: ReadonlyArray<number>
  /** Whether each run had fresh test services (`Options.isolate`). */
  readonly isolated: boolean
  /** Whom the interruptions were for (`Options.target`; mode `"all"`: the interrupt/root pass's). */
  readonly target: Target
  /**
   * The points of the two runs without perturbation (mode `"all"`: the interrupt/root pass's);
   * different counts make the report not `deterministic`.
   */
  readonly dryRunSteps: readonly [number, number]
  /** How the runs that did not end were told, over every pass (see `Hangs`). */
  readonly hangs: Hangs
  /**
   * Events of all runs that happened outside the explorer's scheduler and that it could see
   * (target: 0): a fiber of the run running inside `PreventSchedulerYield`, a task queued by a
   * fiber that was not running a step. A runtime's fibers without `Interruption.layer` are not
   * seen at all (see `layer`).
   */
  readonly outsideControl: number
  /** The most fibers a run had. */
  readonly fibers: number
  /** PCT mode: the probability bound. */
  readonly pct?: PctBound | undefined
  /** Exhaustive mode: the schedules explored, reduced, the bound, and whether it was exhausted. */
  readonly exhaustive?: ExhaustiveReport | undefined
  /**
   * Interrupt and yield modes: the points covered by equivalence rather than run (see
   * `Reduced`); `undefined` with `reduce: false`, or when the two dry runs noted different
   * points or did not end (nothing is reduced then).
   */
  readonly reduced?: Reduced | undefined
  /** Budget mode: each budget's run without interruption (mode `"all"`: budget/root's). */
  readonly budgets?: ReadonlyArray<BudgetRun> | undefined
  /**
   * Each pass's numbers, in the order run: one for a single mode, four for mode `"all"` (only
   * the first when the program fails without interruption).
   */
  readonly passes: ReadonlyArray<Pass>
  /** Set when only a sample of the points was explored (`Options.sample`): how many, and the seed. */
  readonly sampled?: { readonly runs: number; readonly seed: number } | undefined
}

/**
 * How the runs that did not end were told, as on Effect 3: `stuck` ones at once (kind
 * `"deadlock"`: no fiber of the run could run and none waited on the outside world),
 * `timedOut` ones by waiting for the real-time bound (kind `"hang"`: the run waited on a real
 * timer, I/O, or kept running). On Effect 3 both are kind `"hang"`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Hangs {
  readonly stuck: number
  readonly timedOut: number
}

/**
 * One run replayed by `replay`: the same fields in both editions.
 *
 * @since 0.1.0
 * @category models
 */
export interface Replayed<A, E> {
  /** `undefined` if the root did not end (a deadlock, a hang). */
  readonly exit: Exit.Exit<A, E> | undefined
  /** The first of `failures`. */
  readonly failure: Failure | undefined
  /** What the checks found, as `explore` reports it (`step` 0): a run can leak and fail its check. */
  readonly failures: ReadonlyArray<Failure>
  readonly points: number
  /** The schedule as it was followed. */
  readonly schedule: string
  /** The line of user code nearest to the first perturbation (see `Range.near`). */
  readonly near?: string | undefined
}

/**
 * One point replayed by `runAt`: the run's `Exit` (none if it did not end), what it left
 * alive, and the failures `explore` would report for it; the same fields as the Effect 3
 * edition's `Replay` (which adds its `where`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Replay {
  readonly step: number
  /** The points the run took. */
  readonly steps: number
  /** Whether the run reached the step (a shorter run ends before it, unperturbed). */
  readonly reached: boolean
  /** The run as `replay` takes it (`Failure.schedule`). */
  readonly schedule: string
  /** The fiber perturbed at the step (`Failure.fiber`); absent for step 0 or unreached. */
  readonly fiber?: string | undefined
  /** The line of user code nearest to the step (`Range.near`). */
  readonly near?: string | undefined
  readonly exit: Option.Option<Exit.Exit<unknown, unknown>>
  readonly live: ReadonlyArray<Tracking.Entry>
  readonly failures: ReadonlyArray<Failure>
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
 * // Effect<{ mode: "interrupt", steps, runs, failures: [], deterministic: true, unreached: [], outsideControl: 0, fibers: 1 }>
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
 * Replays one point, for debugging a failure `explore` reported: the program perturbed at
 * `step` as `options` say (mode, target; budget mode: `step` is a turn end of the run with
 * `budget`), with its `Exit`, what it left alive and its failures, as on Effect 3.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Interruption } from "@scopeguard/vitest"
 *
 * const replay = Interruption.runAt(Effect.yieldNow, 1, { mode: "interrupt" })
 * // Effect<{ step: 1, reached: true, schedule: "i1", exit: Some(Exit.Failure (interrupted)), live: [], failures: [] }>
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const runAt: <A, E, R, R2 = never>(
  program: Program<A, E, R>,
  step: number,
  options?: Options<R2>
) => Effect.Effect<Replay, never, R | R2> = internal.runAt

/**
 * Runs the program once on a schedule a `Failure` printed (`Failure.schedule`), exactly as it
 * ran then: the same preemptions, interruptions and choices of the next fiber, and the same
 * checks. Tokens: `yN` preempt at point N, `iN` preempt and interrupt the root, `hN` interrupt
 * the fiber holding point N, `sN:M` run the queued task M (0: first) at step N; budget mode's
 * `bB` (the budget), then at most one `eN` or `ehN` (interrupt the root, or the fiber whose turn
 * ended, at turn end N). Its failures name the pass the schedule says (a budget: budget mode;
 * an interruption: interrupt mode, with its target; a pick: PCT) and, where it cannot say, the
 * options' (preemptions alone: yield mode for one, exhaustive for more, unless `mode` says
 * PCT or exhaustive; a schedule without an interruption: the options' `target`): replaying
 * `f.schedule` with `{ mode: f.mode, target: f.target, check }` gives back `f` (as run 0). An
 * invalid schedule, or a `mode` it rules out, dies with `InvalidOptionsError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Interruption } from "@scopeguard/vitest"
 *
 * const replayed = Interruption.replay(Effect.yieldNow, "i1")
 * // Effect<{ exit: Exit.Failure (interrupted), failure: undefined, points, schedule: "i1" }>
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const replay: <A, E, R, R2 = never>(
  program: Program<A, E, R>,
  schedule: string,
  options?: Options<R2>
) => Effect.Effect<Replayed<A, E>, never, R | R2> = internal.replay

/**
 * Puts the explorer into a runtime the program does not fork from — a `ManagedRuntime`, built
 * inside the program or once for many runs — so that its fibers are the run's: while a run is
 * in progress, every fiber of that runtime runs only when the explorer's scheduler says so
 * (counted as points, preempted, interrupted with `target: "holder"`, named among the fibers
 * left running), and the `Resource`s and `Guard`s it makes are counted by the run's leak
 * probe. Add it to the runtime's layer; outside an exploration it does nothing (its fibers run
 * on Effect's default scheduler).
 *
 * Without it, such a runtime's fibers run on Effect's default scheduler, unseen: Effect 4 has
 * no supervisor to count them by, and `Report.outsideControl` does not count them.
 *
 * @example
 * ```ts
 * import { Effect, ManagedRuntime } from "effect"
 * import { Interruption } from "@scopeguard/vitest"
 *
 * const runtime = ManagedRuntime.make(Interruption.layer)
 * const program = Effect.promise(() => runtime.runPromise(Effect.yieldNow))
 * const report = Interruption.explore(program) // report.outsideControl: 0
 * ```
 *
 * @since 0.1.0
 * @category reach
 */
export const layer: Layer.Layer<never> = internal.layer
