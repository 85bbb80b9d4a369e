/**
 * Interruption testing: interrupt a program at every step it takes, and check after each run
 * that nothing leaked, ran twice or hung.
 *
 * Hand-written interruption tests guess a point, interrupt there, and hope it was the
 * interesting one. Leaks hide in the windows nobody guessed — between an acquisition and the
 * registration of its release, between a check and an act. The explorer removes the guess:
 *
 * 1. a dry run counts the steps (every operation executed by the program's fibers; run twice,
 *    to tell whether the count is deterministic);
 * 2. for every step `k`, the program runs again from scratch and its root fiber is interrupted
 *    exactly before step `k` — unless Effect's runtime guarantees that point behaves exactly
 *    like an earlier one (see `Reduced`): it then shares that point's run;
 * 3. after each run, the `check` decides whether it left things as they must be, every
 *    `Resource` / `Guard` made during the run must be released / settled (`leaks`), no fiber
 *    of the run may still run (`fibers`), its `Exit` may hold no defect (`defects`), and a run
 *    that does not finish within `max(hangTimeout, 3 × the uninterrupted run's time)`
 *    (wall-clock) after its interruption is a hang — at once, when none of its fibers can ever
 *    run again (see `Hangs`).
 *
 * Options are checked when the effect runs: a wrong one (`null` and wrong types included:
 * only `undefined` means the default) dies with an `InvalidOptionsError` naming it.
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
 *         yield* Resource.use(conn, () => Effect.yieldNow())
 *         yield* Resource.close(conn)
 *       })
 *     )
 *   )
 * )
 * ```
 *
 * With `mode: "yield"` the fiber at step `k` only yields there (every other ready fiber runs
 * first), which explores interleavings instead of interruptions. With `mode: "budget"` nothing
 * is forced: the runtime ends turns itself (`Effect.withMaxOpsBeforeYield`) and another fiber
 * interrupts at each turn end, so every failure found is one Effect's default scheduler
 * reaches. Every failure says how it is reached (`Failure.reach`).
 *
 * A program is run many times, so build its state inside it (`Effect.suspend`, `Ref.make`)
 * and use the `TestClock`; `check` sees the run's `Exit`, and may read state the program
 * shares with it through a closure that the program resets when it starts.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Option from "effect/Option"
import type { Tracking } from "@scopeguard/core"
import type { InterruptionError } from "./Errors.js"
import type * as Layer from "effect/Layer"
import * as internal from "./internal/explorer.js"
import * as reach from "./internal/reach.js"

/**
 * How a step is perturbed — three modes, each matching something Effect's runtime does, and
 * `"all"`, the default, which runs them in the order that finds the most for the least:
 *
 * - `"all"` (the default when neither `mode` nor `target` is given): budget passes first
 *   (`"budget"` with `budgets`, by default `[12, 32]`: only turn ends, so they are cheap, and
 *   every failure they find is one Effect's default scheduler makes), with the root as target,
 *   then with `target: "holder"` at the turn ends of the program's own fibers (forked by its
 *   code, not by a library's internals: see `Where.internal`); then `"interrupt"` with the
 *   root as target, then `"interrupt"` with `target: "holder"` at the steps of its own fibers. Each
 *   failure names the pass that found it (`Failure.mode`, `Failure.target`); `Report.passes`
 *   has each pass's numbers. The schedule was chosen by measurement on the survey of upstream
 *   code (`npm run survey`): each of its passes finds a confirmed finding the others miss.
 *
 * - `"interrupt"` (the default): the fiber holding step `k` is preempted right before it and,
 *   while it is paused, the program's root fiber is interrupted. Every step is a point, so this
 *   finds the most; each failing point says whether Effect's default scheduler can reach it
 *   (`Failure.reach`).
 * - `"yield"`: the fiber holding step `k` is only preempted there — every other ready fiber
 *   runs first, then it resumes. This explores interleavings: a check-then-act split by a
 *   preemption.
 * - `"budget"`: nothing is forced. The program runs with a per-turn operation budget
 *   (`Effect.withMaxOpsBeforeYield`, each of `budgets`), once without interruption (a race
 *   that only the budget's preemptions show fails there: step 0 of that budget), then once for
 *   every point where the runtime itself ends a fiber's turn (the budget is used up, a
 *   `yieldNow`, an async wait), where another fiber interrupts the root. Every failure it finds
 *   happens under Effect's default scheduler with that budget.
 *
 * @since 0.1.0
 * @category models
 */
export type Mode = "all" | "interrupt" | "yield" | "budget"

/**
 * Whom an interruption is for: the program's root fiber (the default: the whole program is
 * cancelled), or the fiber holding the step (`"holder"`: one fiber — a request, a worker — is
 * cut off while the rest of the program goes on; finds state shared between fibers that an
 * interrupted one leaves broken, such as a cache that remembers the interruption).
 *
 * @since 0.1.0
 * @category models
 */
export type Target = "root" | "holder"

/**
 * Whether Effect's default scheduler can reach a failing point:
 *
 * - `"uninterrupted"`: the run was not perturbed (step 0, or a run that ended before its step);
 * - `"turn-start"`: the step begins a turn of its fiber (it had just started, resumed from a
 *   wait or yielded), so any scheduler lets another fiber run right before it;
 * - `"budget"`: the fiber had run at least 10 operations in its turn (`Where.turn`), so the
 *   default scheduler with `Effect.withMaxOpsBeforeYield(turn)` ends the turn there, if the
 *   turns before ran as they did in this run. In budget mode it did (`Failure.budget`);
 * - `"explorer-only"`: 1 to 9 operations into a turn; no setting of the default scheduler
 *   preempts a fiber there (budgets under 10 livelock effect 3.22's runtime). A bug under some
 *   other scheduler, or none in practice.
 * - `"internal"`: (`target: "holder"`) the step's fiber was forked by a library's internals
 *   (`Where.internal`: a stream's producer, a worker of `Effect.all`), which no user code can
 *   interrupt on its own; the program could not do what this run did. Not blamed by default.
 *
 * `failOn: "reachable"` (the default) fails on every reach but `"explorer-only"` and
 * `"internal"`.
 *
 * @since 0.1.0
 * @category models
 */
export type Reach = "uninterrupted" | "turn-start" | "budget" | "explorer-only" | "internal"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<R = never> {
  /**
   * Every mode in turn (`"all"`, the default when `target` is not given either), interrupt at
   * each step (the default when `target` is given), only yield there, or sweep budgets: see
   * `Mode`.
   */
  readonly mode?: Mode | undefined
  /**
   * Whom the interruption is for: the root (the default) or the fiber holding the step. Mode
   * `"all"` sets it per pass, so it refuses a `target`.
   */
  readonly target?: Target | undefined
  /**
   * Budget mode (and the budget pass of mode `"all"`): the per-turn operation budgets to
   * sweep, each an integer of at least 10. Default: 10 to 16, 32, 64 and 2048 (the runtime's
   * default) in budget mode; 12 and 32 in mode `"all"`.
   */
  readonly budgets?: ReadonlyArray<number> | undefined
  /**
   * Budget mode: one budget — what `runAt` replays with (a failure names its `budget`); for
   * `explore`, the same as `budgets: [budget]`.
   */
  readonly budget?: number | undefined
  /**
   * What makes `assertEveryStep` fail: only the failing points Effect's default scheduler can
   * reach (`"reachable"`, the default: `reach` other than `"explorer-only"` and `"internal"`),
   * or any failing point (`"any"`). The report lists every failure either way.
   */
  readonly failOn?: "any" | "reachable" | undefined
  /**
   * An invariant checked after each run with the run's `Exit`; a failure marks that step.
   * It is user code, and each of these is a failure of the step (kind `"check"`), never a
   * crash or a hang of the explorer: failing (its error is the message), dying, throwing
   * instead of returning an Effect, returning something else than an Effect, and not
   * returning within `hangTimeout` of wall-clock time (it is then interrupted without being
   * waited for). It runs in the caller's fiber's services, after the run.
   */
  readonly check?:
    ((exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void, unknown, R>) | undefined
  /**
   * Wall-clock time a run may take after its interruption before it is reported as a hang,
   * and a `check` may take before it is reported as not returning. The bound of a run scales
   * with the program: `max(hangTimeout, 3 × the uninterrupted run's wall time)`, and
   * `max(hangTimeout, 10 s)` for a run without interruption, so that a program slower than
   * `hangTimeout` is explored rather than reported as a hang at step 0. Any `Duration` input
   * (`"30 days"` is honoured: the timer is `Timer.set`'s, not a bare `setTimeout`, which fires
   * a delay above 2³¹−1 ms after 1 ms). `Infinity`: no bound — a run or a check that hangs
   * then hangs the exploration. Default: 1 second. A run whose fibers can never run again is
   * a hang at once, without waiting for the bound (see `Hangs`).
   */
  readonly hangTimeout?: Duration.DurationInput | undefined
  /**
   * Whether a `Resource` still acquired or a `Guard` still armed after a run marks that
   * step. Each run has its own leak probe. Default: `true`.
   */
  readonly leaks?: boolean | undefined
  /**
   * Whether a fiber of the run still running after it ended (a forgotten daemon, a fiber a
   * `FiberSet` did not stop) marks that step. Default: `true`.
   */
  readonly fibers?: boolean | undefined
  /**
   * Whether a run whose `Exit` holds a defect (a die: the uninterrupted run dies, a cleanup
   * dies when the run is interrupted, the program function throws) marks that step, kind
   * `"defect"`. A typed failure never does (the `check` judges it), nor does the explorer's
   * interruption. `false` leaves defects to the `check`, which sees every `Exit`: for a
   * program whose dying is expected. Default: `true`.
   */
  readonly defects?: boolean | undefined
  /**
   * Whether an exploration that takes longer than a second shows its progress on stderr:
   * points done of the total, failing points so far, time elapsed and an estimate of the time
   * left. On a terminal it is one line rewritten in place; elsewhere (a CI log, and under
   * vitest, whose workers' stderr is no terminal) a line every 5 seconds; a last line says
   * when it is done. Default: `true`.
   */
  readonly progress?: boolean | undefined
  /**
   * Whether points that the runtime guarantees to behave exactly like an earlier point share
   * that point's run instead of running on their own (see `Reduced`): every point is still
   * reported, with its own step, `where` and `reach`. `false` runs every point, for comparing
   * the two. Budget mode is never reduced. Default: `true`.
   */
  readonly reduce?: boolean | undefined
  /**
   * Whether each run gets fresh test services (its own `TestClock`, `TestRandom`, …), so that
   * a run that wedges them cannot wedge the runs after it. Default: when the program runs on
   * test services (as in `it.effect`); `false` keeps the services of the caller.
   */
  readonly isolate?: boolean | undefined
  /**
   * Explore only `runs` of the points (the steps; in budget mode, the turn ends), chosen
   * uniformly by a generator seeded with `seed` (default 1): the same seed explores the same
   * points (and, with `reduce`, those of them equivalent to an earlier chosen one share its
   * run). Exploring costs about steps² / 2 operations, less the points reduced: see the
   * README's Cost. Default: every point. The report says when it sampled.
   */
  readonly sample?: { readonly runs: number; readonly seed?: number | undefined } | undefined
}

/**
 * What the explorer runs: an Effect, or a function that makes one, called once per run (a
 * per-run setup: each run starts from fresh state).
 *
 * @since 0.1.0
 * @category models
 */
export type Program<A, E, R> = Effect.Effect<A, E, R> | (() => Effect.Effect<A, E, R>)

/**
 * Where a step was: the fiber that ran it, the operation (the runtime's primitive, such as
 * `OnSuccess` for a `flatMap` or `Sync`), and the innermost span (`Effect.withSpan`,
 * `Effect.fn`), which names the code.
 *
 * @since 0.1.0
 * @category models
 */
export interface Where {
  /** `root`, or `fiber N`: the Nth fiber the run started (the same in every run). */
  readonly fiber: string
  readonly op: string
  readonly span?: string | undefined
  /**
   * Where the span was made (`path:line:column`, relative to the working directory), when
   * Effect captured its call site (`Effect.withSpan`, `Effect.fn`).
   */
  readonly source?: string | undefined
  /** How many operations the fiber had run in its current turn before this step. */
  readonly turn: number
  /**
   * The line of user code that forked the step's fiber (`path:line:column`): the nearest frame
   * of the program's own code on its parent's stack when it forked. Read through the V8
   * inspector (`node:inspector`); absent for the root, or without an inspector.
   */
  readonly forkedAt?: string | undefined
  /**
   * `true` when a library's internals forked the step's fiber: its parent's stack held no
   * frame of user code, or at least two library frames above the nearest one (a user's
   * `Effect.fork` has none, `FiberSet.run` and `Effect.fork(…).pipe(Effect.tap(…))` one, a
   * worker of `Effect.all` or a stream's producer more). No user code holds such a fiber, so
   * interrupting it alone (`target: "holder"`) is `Reach` `"internal"`.
   */
  readonly internal?: boolean | undefined
  /**
   * The line of user code nearest to the step: the innermost frame of the program's own code on
   * the fiber's stack at the step (for `Effect.gen`, the `yield*` it is at). Set by `runAt`, and
   * by `assertEveryStep` when it fails: on the first step of each range (`Report.ranges`, the
   * first 20, but for hangs), with one replay each. Not by `explore` (a replay after the last
   * point could leave what its run started running into what comes next); without an
   * inspector, absent.
   */
  readonly near?: string | undefined
}

/**
 * Consecutive failing steps with the same kind and message (runtime ids such as `#12`, which
 * differ from run to run, aside); `message` is the first step's.
 *
 * @since 0.1.0
 * @category models
 */
export interface Range {
  /** The pass that found it: its mode and target. */
  readonly mode: Exclude<Mode, "all">
  readonly target: Target
  readonly from: number
  readonly to: number
  /** How many explored points the range spans (in budget mode, turn ends rather than steps). */
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
   * The line of user code nearest to the range's first step (`Where.near`), as on Effect 4
   * (`Range.near` there). Set by `assertEveryStep` when it fails (see `Where.near`).
   */
  readonly near?: string | undefined
  /** Where the first step of the range was. */
  readonly where?: Where | undefined
}

/**
 * One failing interruption point. Step `0` is the run without interruption. `kind`:
 *
 * - `"check"`: the `check` failed (or threw, or did not return);
 * - `"leak"`: a `Resource` / `Guard` of the run was left alive (`leaked …`);
 * - `"hang"`: the run did not finish within the wall-clock bound after its interruption (told
 *   at once when it was stuck, `Hangs.stuck`);
 * - `"deadlock"`: never on this edition. The Effect 4 edition's scheduler sees every wait and
 *   tells a run that no fiber can ever go on from one waiting on the outside world; this
 *   edition's stuck runs may still wait on a timer due past the bound, and are hangs.
 * - `"fibers"`: fibers of the run still running after it ended, each named (its explorer name,
 *   its runtime id, who forked it, in which span, and the span it is in now);
 * - `"defect"`: the run's `Exit` holds a defect (`the run died: …`).
 *
 * The same fields as the Effect 4 edition's `Failure` (which adds `preemptions` and
 * `original` for its PCT and exhaustive modes); `where` is this edition's own.
 *
 * @since 0.1.0
 * @category models
 */
export interface Failure {
  /** The pass that found it: its mode and target. */
  readonly mode: Exclude<Mode, "all">
  readonly target: Target
  readonly step: number
  readonly kind: "check" | "hang" | "deadlock" | "leak" | "fibers" | "defect"
  readonly message: string
  /**
   * The run, as `replay` takes it: `""` the run without interruption, `"i12"` interrupt the
   * root at step 12, `"h12"` interrupt the fiber holding step 12, `"y12"` force a yield there;
   * budget mode prefixes the budget: `"b10 i12"` (step 12 of budget 10's run), `"b10"` (that
   * run uninterrupted).
   */
  readonly schedule: string
  /** Whether Effect's default scheduler can reach this point. */
  readonly reach: Reach
  /** Budget mode: the budget of the run (replay with `{ mode: "budget", budget }`). */
  readonly budget?: number | undefined
  /** The fiber that held the step (`Where.fiber`); absent for step 0. */
  readonly fiber?: string | undefined
  /** What the explorer saw at the step: its fiber, operation, span, turn. */
  readonly where?: Where | undefined
}

/**
 * Budget mode: one budget's dry run — its steps, and at how many of them a turn ended (each
 * one an interruption point).
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
 * The points covered by equivalence: each behaves, by a guarantee of Effect's runtime, exactly
 * like an earlier point (or like the run without interruption), so it shares that run and is
 * reported with that run's failures, at its own step, `where` and `reach`:
 *
 * - `deferred`: the interruption is deferred there. Its target cannot be interrupted (it is
 *   uninterruptible, or has already ended) both before and after the previous step, the
 *   previous step is one operation of the same fiber in the same turn that does not read its
 *   fiber (no `withFiberRuntime`), and no other fiber is ready to run: the interruption takes
 *   effect where the region ends whichever of the two steps it was sent before.
 * - `continuation`: the previous step only pushed a continuation on its fiber's stack (a
 *   `flatMap`, `catchAll`, `matchCause` frame), or only built the next operation (the first
 *   step of `Effect.uninterruptibleMask` or `interruptibleMask`, whose function runs in the
 *   next step; a yielded `Context.Tag`, `Option` or `Either`, which makes the service's read
 *   or the success or failure it stands for), one operation of the same fiber in the same
 *   turn: interrupted or preempted before it or after it, the fiber is in the same state
 *   (unwinding drops the frame; resuming pushes it; the building step changed nothing).
 * - `idle`: (yield mode, and after the root has ended) the forced yield finds no other fiber
 *   ready to run and the interruption nothing to interrupt: the run is the run without
 *   interruption.
 *
 * A shared run also has to end the fiber's turn where each of its points would: `unconfirmed`
 * counts the points whose earlier equivalent's run did not show that (the fiber ran into its
 * operation budget with other fibers ready) and that were run on their own.
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
 * How the hangs were told: `stuck` ones at once, because no fiber of the run could ever run
 * again (none ready, nothing of its own pending outside: no timer due before the bound, no
 * I/O, no promise), `timedOut` ones by waiting for the wall-clock bound (the run waited on
 * something the runtime cannot see the end of, or the runtime has no `async_hooks`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Hangs {
  readonly stuck: number
  readonly timedOut: number
}

/**
 * One pass of an exploration: its mode and target, how many points it explored (steps; in
 * budget mode turn ends and each budget's own run, which mode `"all"`'s holder pass leaves to
 * the root pass; for the holder passes of mode `"all"`, only the program's own fibers'), its
 * runs and what it found.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pass {
  readonly mode: Exclude<Mode, "all">
  readonly target: Target
  /** Budget mode: the budgets swept. */
  readonly budgets?: ReadonlyArray<number> | undefined
  readonly points: number
  /** This pass's perturbed runs (see `Report.runs`). */
  readonly runs: number
  readonly failures: number
  readonly reachable: number
  /** Wall-clock time of the pass, in milliseconds. */
  readonly millis: number
}

/**
 * What `explore` found. `steps` is the step count of the first dry run; `runs` counts the
 * perturbed runs (see `runs`: the points covered by equivalence, `reduced`, share an earlier
 * point's run; `0` when the first dry run hangs: the program hangs without interruption, and
 * nothing more is run).
 * `deterministic` is `true` only when every run followed the uninterrupted one: both dry runs
 * finished after the same number of steps (`dryRunSteps`), every explored run reached its
 * step, and no operation ran unseen (`outsideControl`); `unreached` lists the points (steps; in budget
 * mode, steps of that budget's run) at which the run had already finished, so nothing was
 * interrupted. With mode `"all"`, `steps`, `dryRunSteps`, `unreached`, `fibers`, `reduced`
 * and `budgets` are those of the interrupt/root pass (budgets: of the budget pass), or of the
 * first pass when the program failed without interruption and the others were not run;
 * `deterministic` holds for every pass.
 *
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly mode: Mode
  readonly steps: number
  /**
   * The perturbed runs: one per point not covered by equivalence (`reduced`), in budget mode
   * one per turn end explored, over every pass. The uninterrupted runs (the two dry runs of
   * each pass, budget mode's run per budget) and the replays that read `Where.near` are not
   * counted, as on Effect 4.
   */
  readonly runs: number
  readonly failures: ReadonlyArray<Failure>
  /** The failures, consecutive steps grouped: what the message of `assertEveryStep` lists. */
  readonly ranges: ReadonlyArray<Range>
  /**
   * How many of the failures Effect's default scheduler can reach (`reach` is not
   * `"explorer-only"` nor `"internal"`): what `assertEveryStep` fails on by default.
   */
  readonly reachable: number
  /**
   * Each pass of the exploration, in order: one for a single mode, four for mode `"all"`
   * (budget/root, budget/holder and interrupt/holder at the program's own fibers, with
   * interrupt/root between them) — only the first when the program fails without
   * interruption (the others would show only that).
   */
  readonly passes: ReadonlyArray<Pass>
  /** What `assertEveryStep` fails on (`Options.failOn`); the message lists only those ranges. */
  readonly failOn: "any" | "reachable"
  /**
   * Operations run during the exploration's runs by fibers the explorer could not see: started
   * by a runtime made outside the program (a `ManagedRuntime`, `Runtime.runFork` of a runtime
   * built elsewhere, `Effect.runFork` inside the program) without `Interruption.layer`. They
   * are neither counted as steps nor interrupted: they ran outside the explorer's control
   * (the Effect 4 edition's field of the same name counts what its scheduler did not decide).
   * `0` in a complete exploration.
   */
  readonly outsideControl: number
  /** Budget mode: each budget's dry run. */
  readonly budgets?: ReadonlyArray<BudgetRun> | undefined
  readonly deterministic: boolean
  readonly dryRunSteps: readonly [number, number]
  readonly unreached: ReadonlyArray<number>
  /** How many fibers besides the root the program started (the dry run); all are explored. */
  readonly fibers: number
  /** Whether each run had fresh test services. */
  readonly isolated: boolean
  /** Whom the interruptions were for. */
  readonly target: Target
  /** Set when only a sample of the steps was explored: how many, and the seed. */
  readonly sampled?: { readonly runs: number; readonly seed: number } | undefined
  /**
   * The points covered by equivalence rather than run (see `Reduced`); `undefined` with
   * `reduce: false`, in budget mode, or when the dry runs differ (nothing is reduced then).
   */
  readonly reduced?: Reduced | undefined
  /** How the hangs among the failing points were told (see `Hangs`). */
  readonly hangs: Hangs
}

/**
 * One replayed interruption point (`runAt`): the run's `Exit` (none if it hung), what it left
 * alive, and the failures `explore` would report for it. The same fields in both editions
 * (`where` is this edition's own).
 *
 * @since 0.1.0
 * @category models
 */
export interface Replay {
  readonly step: number
  /** The steps the run took. */
  readonly steps: number
  /** Whether the run reached the step (a shorter run ends before it, uninterrupted). */
  readonly reached: boolean
  /** The run as `replay` takes it (`Failure.schedule`). */
  readonly schedule: string
  /** The fiber that held the step (`Where.fiber`), when it was reached; absent for step 0. */
  readonly fiber?: string | undefined
  /** The line of user code nearest to the step (`Where.near`). */
  readonly near?: string | undefined
  /** Where the step was, when it was reached. */
  readonly where?: Where | undefined
  readonly exit: Option.Option<Exit.Exit<unknown, unknown>>
  readonly live: ReadonlyArray<Tracking.Entry>
  readonly failures: ReadonlyArray<Failure>
}

/**
 * One run replayed by `replay`, as in the Effect 4 edition.
 *
 * @since 0.1.0
 * @category models
 */
export interface Replayed<A, E> {
  /** `undefined` if the run did not end (a deadlock, a hang). */
  readonly exit: Exit.Exit<A, E> | undefined
  /** The first of `failures`. */
  readonly failure: Failure | undefined
  /** What the checks found, as `explore` reports it for this point. */
  readonly failures: ReadonlyArray<Failure>
  /** The steps the run took. */
  readonly points: number
  /** The schedule as it was followed. */
  readonly schedule: string
  /** The line of user code nearest to the step (`Where.near`). */
  readonly near?: string | undefined
}

export {
  /**
   * @since 0.1.0
   * @category errors
   */
  InterruptionError
} from "./Errors.js"

/**
 * Runs `program` once to count its steps, then once per step `k`, interrupted at step `k`,
 * and reports the steps whose run failed the checks or hung.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Interruption } from "@scopeguard/vitest"
 *
 * let open = false
 * const leaky = Effect.scoped(
 *   Effect.gen(function* () {
 *     open = false // every run starts from scratch
 *     yield* Effect.sync(() => (open = true)) // acquire...
 *     yield* Effect.addFinalizer(() => Effect.sync(() => (open = false))) // ...register: too late
 *   })
 * )
 * // The explorer cannot see a plain flag: the check reads it after each run.
 * const report = Interruption.explore(leaky, {
 *   check: () => (open ? Effect.fail("left open") : Effect.void)
 * }) // report.ranges: the steps between the two, each labelled with its reach
 * ```
 *
 * @since 0.1.0
 * @category exploring
 */
export const explore: <A, E, R, R2 = never>(
  program: Program<A, E, R>,
  options?: Options<R2>
) => Effect.Effect<Report, never, R | R2> = internal.explore

/**
 * `explore`, failing with an `InterruptionError` whose message names the failing steps.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 * import { Interruption } from "@scopeguard/vitest"
 *
 * const program = Effect.scoped(
 *   Effect.flatMap(Guard.make(Effect.void, { label: "undo" }), Guard.disarm)
 * )
 * const test = Interruption.assertEveryStep(program) // succeeds with the report
 * ```
 *
 * @since 0.1.0
 * @category exploring
 */
export const assertEveryStep: <A, E, R, R2 = never>(
  program: Program<A, E, R>,
  options?: Options<R2>
) => Effect.Effect<Report, InterruptionError, R | R2> = internal.assertEveryStep

/**
 * Replays one interruption point, for debugging a failure reported by `explore`. Past step 0
 * it runs the program once without interruption first, to hold the step to the hang bound
 * `explore` does (`max(hangTimeout, 3 × that run's time)`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Interruption } from "@scopeguard/vitest"
 *
 * const program = Effect.scoped(Effect.addFinalizer(() => Effect.log("released")))
 * const replay = Interruption.runAt(program, 3) // { step: 3, exit: Some(...), failures: [] }
 * ```
 *
 * @since 0.1.0
 * @category exploring
 */
export const runAt: <A, E, R, R2 = never>(
  program: Program<A, E, R>,
  step: number,
  options?: Options<R2>
) => Effect.Effect<Replay, never, R | R2> = internal.runAt

/**
 * Runs the program once on the schedule a `Failure` printed (`Failure.schedule`), as
 * `explore` ran it: `""` without interruption, `"i12"` interrupted at step 12, `"h12"` the
 * fiber holding step 12 interrupted, `"y12"` a forced yield there, each after an optional
 * budget (`"b10 i12"`: budget mode, budget 10). The run is the schedule's; its failures name
 * the pass the schedule says (a budget: budget mode; `i`, `h`: interrupt mode, the root or the
 * holder; `y`: yield mode) and, where it cannot say, the options' (`target` for a yield or the
 * empty schedule, `mode` for the empty schedule): replaying `f.schedule` with
 * `{ mode: f.mode, target: f.target, check }` gives back `f`. An invalid schedule, or a `mode`
 * it rules out, dies with `InvalidOptionsError` (as do the Effect 4 edition's tokens of more
 * than one perturbation, which this edition's runs never have).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Interruption } from "@scopeguard/vitest"
 *
 * const replayed = Interruption.replay(Effect.yieldNow(), "i1")
 * // Effect<{ exit: Exit.Failure (interrupted), failure: undefined, points, schedule: "i1" }>
 * ```
 *
 * @since 0.1.0
 * @category exploring
 */
export const replay: <A, E, R, R2 = never>(
  program: Program<A, E, R>,
  schedule: string,
  options?: Options<R2>
) => Effect.Effect<Replayed<A, E>, never, R | R2> = internal.replay

/**
 * Puts the explorer into a runtime the program does not fork from — a `ManagedRuntime`, or a
 * `Runtime` built with `Layer.toRuntime` — so that the fibers it starts while a run is in
 * progress are the run's: counted as steps, interrupted, checked. Add it to the runtime's
 * layer; outside an exploration it does nothing (its fibers run on Effect's default scheduler).
 *
 * Without it, such a runtime's fibers run unseen, and the report counts their operations
 * (`Report.outsideControl`; `deterministic` is then `false`).
 *
 * @example
 * ```ts
 * import { Effect, Layer, ManagedRuntime } from "effect"
 * import { Interruption } from "@scopeguard/vitest"
 *
 * const runtime = ManagedRuntime.make(Layer.mergeAll(Layer.empty, Interruption.layer))
 * const program = Effect.promise(() => runtime.runPromise(Effect.yieldNow()))
 * const report = Interruption.explore(program) // report.outsideControl: 0
 * ```
 *
 * @since 0.1.0
 * @category reach
 */
export const layer: Layer.Layer<never> = reach.layer
