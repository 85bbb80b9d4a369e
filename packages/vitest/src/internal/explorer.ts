import {
  check as checkOptions,
  type Checked,
  MIN_BUDGET,
  program as checkProgram,
  replayBudget,
  step as checkStep
} from "./options.js"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as GlobalValue from "effect/GlobalValue"
import * as Option from "effect/Option"
import * as RuntimeFlags from "effect/RuntimeFlags"
import * as RuntimeFlagsPatch from "effect/RuntimeFlagsPatch"
import type * as Context from "effect/Context"
import * as Supervisor from "effect/Supervisor"
import * as TestContext from "effect/TestContext"
import { Timer, Tracking } from "@scopeguard/core"
import type * as Interruption from "../Interruption.js"
import * as leakProbe from "./leakProbe.js"
import { InterruptionError } from "../Errors.js"
import { describeEntry, describeLive } from "./describe.js"
import * as progress from "./progress.js"

const DEFAULT_HANG_TIMEOUT = Duration.seconds(1)

/**
 * An uninterrupted run (the dry runs, `runAt` at step 0) is a hang only after
 * `max(hangTimeout, UNINTERRUPTED_FLOOR)`: its duration is not known yet, and a slow program
 * must not be cut short at step 0.
 */
export const UNINTERRUPTED_FLOOR = Duration.seconds(10)

/**
 * Every other run is a hang after `max(hangTimeout, SLOWDOWN × the uninterrupted run's wall
 * time)` (the faster of the two dry runs), from its start and again from its interruption: a
 * run never needs much longer than the run it perturbs, even on a loaded machine.
 */
export const SLOWDOWN = 3

/** The larger of two durations. */
const maxDuration = (a: Duration.Duration, b: Duration.Duration): Duration.Duration =>
  Duration.greaterThan(a, b) ? a : b

/** The bound of the runs after the dry runs, from the faster dry run's wall time. */
export const runBoundOf = (hangTimeout: Duration.Duration, millis: number): Duration.Duration =>
  maxDuration(hangTimeout, Duration.millis(Math.ceil(SLOWDOWN * millis)))

/** The bound of an uninterrupted run. */
const uninterruptedBound = (hangTimeout: Duration.Duration): Duration.Duration =>
  maxDuration(hangTimeout, UNINTERRUPTED_FLOOR)

/** The fiber id the explorer interrupts with, so that traces name it. */
const explorerId = FiberId.make(-1, 0)

/**
 * Counts every operation executed by the fibers of one run and, when asked to, interrupts
 * the run's root fiber exactly before operation `interruptAt` executes.
 *
 * `onEffect` is called by the fiber run loop before each operation, when the `OpSupervision`
 * runtime flag is on. Forked fibers inherit the supervisor and the flag, so their steps count
 * too. At step k the stepping fiber yields before the operation, and the root is interrupted
 * while it is paused: when that fiber is the root, the interruption lands exactly before step
 * k (or, in an uninterruptible region, where the region ends).
 */
class StepSupervisor extends Supervisor.AbstractSupervisor<void> {
  steps = 0
  root: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  /** Every fiber of the run the supervisor saw start (the root excluded). */
  fibersSeen = 0
  /** The run's fibers that have started and not ended. */
  readonly running = new Set<Fiber.RuntimeFiber<unknown, unknown>>()
  /** Names by start order ("fiber 1" is the first the root forked): the same in every run. */
  readonly names = new Map<unknown, string>()
  /** What started each fiber: its parent, and the span in force where it was forked. */
  readonly origins = new Map<unknown, Origin>()
  /** Where step `interruptAt` was: the fiber, the operation, the innermost span. */
  where: Interruption.Where | undefined = undefined
  /** Whether step `interruptAt` was reached (and the interruption, or the yield, done). */
  reached = false
  /** Stops counting when the run has ended: abandoned daemon fibers may still run. */
  finished = false
  onReach: () => void = () => {}

  /**
   * Budget mode, interrupting: each fiber's last operation run outside a runtime-inserted
   * yield, and how far into its turn it was (where a turn the budget ended was preempted).
   */
  readonly lastOp = new Map<
    unknown,
    { readonly effect: Effect.Effect<unknown, unknown, unknown>; readonly turn: number }
  >()

  /** Budget mode: the steps at which a fiber's turn ends (a yield, or an async wait). */
  readonly turnEnds: Array<number> = []

  constructor(
    readonly interruptAt: number | undefined,
    readonly mode: Interruption.Mode,
    readonly target: Interruption.Target
  ) {
    super()
  }

  value = Effect.void

  /**
   * Every fiber that carries this supervisor — forked children, daemons, `forkIn`, and the
   * fibers that `Runtime.runFork` starts (`FiberHandle`, `FiberSet`, `FiberMap` run with
   * the default runtime flags, which leave operation supervision off) — has its operations
   * counted from its first one.
   */
  override onStart<A, E, R>(
    _context: Context.Context<R>,
    _effect: Effect.Effect<A, E, R>,
    parent: Option.Option<Fiber.RuntimeFiber<any, any>>,
    fiber: Fiber.RuntimeFiber<A, E>
  ) {
    if (this.finished) return
    const runtime = fiber as unknown as { currentRuntimeFlags: RuntimeFlags.RuntimeFlags }
    runtime.currentRuntimeFlags = RuntimeFlags.enable(
      runtime.currentRuntimeFlags,
      RuntimeFlags.OpSupervision
    )
    if (fiber !== (this.root as unknown)) {
      this.fibersSeen++
      this.running.add(fiber)
      this.names.set(fiber, `fiber ${this.fibersSeen}`)
      // A child starts with its parent's context: its span is the one the fork ran in.
      const span = spanOf(fiber)
      this.origins.set(fiber, {
        parent: Option.isNone(parent)
          ? undefined
          : parent.value === (this.root as unknown)
            ? "root"
            : (this.names.get(parent.value) ?? "a fiber outside the run"),
        span
      })
    }
  }

  override onEnd<A, E>(_value: Exit.Exit<A, E>, fiber: Fiber.RuntimeFiber<A, E>) {
    this.running.delete(fiber)
  }

  /**
   * A fiber of the run, for the report: its name (stable across runs), its runtime id, who
   * forked it and in which span (with the line that made the span), and the span it is in now.
   * `fiber 2 (#812, forked by root in startWorker at src/worker.ts:3:7, now in poll at …)`
   */
  describe(fiber: Fiber.RuntimeFiber<unknown, unknown>): string {
    const origin = this.origins.get(fiber)
    const parts = [FiberId.threadName(fiber.id())]
    if (origin !== undefined) {
      parts.push(
        `${origin.parent === undefined ? "started by a runtime (Runtime.runFork)" : `forked by ${origin.parent}`}${inSpan(origin.span)}`
      )
    }
    const now = spanOf(fiber)
    if (now !== undefined && now !== origin?.span) parts.push(`now${inSpan(now)}`)
    return `${this.names.get(fiber) ?? "a fiber"} (${parts.join(", ")})`
  }

  /**
   * The root's first turn also runs the explorer's own set-up (providing the probe, turning
   * supervision on) before the program's first step: those operations are not the program's,
   * so its turn is counted from its first step until the turn ends.
   */
  rootOffset = -1
  private rootLast = 0

  /** The operations the fiber has run in its current turn before this one. */
  turnOf(fiber: unknown): number {
    const count = (fiber as { currentOpCount?: number }).currentOpCount ?? 0
    return fiber === this.root && this.rootOffset > 0 ? count - this.rootOffset : count
  }

  override onEffect<A, E>(fiber: Fiber.RuntimeFiber<A, E>, effect: Effect.Effect<any, any, any>) {
    if (this.finished) return
    this.steps++
    if (fiber === (this.root as unknown) && this.rootOffset !== 0) {
      const count = (fiber as unknown as { currentOpCount: number }).currentOpCount
      if (this.rootOffset === -1) this.rootOffset = count
      else if (count < this.rootLast) this.rootOffset = 0 // a new turn: counted from its start
      this.rootLast = count
    }
    if (
      this.mode === "budget" &&
      this.interruptAt !== undefined &&
      !(fiber as unknown as { _isYielding?: boolean })._isYielding
    ) {
      this.lastOp.set(fiber, { effect, turn: this.turnOf(fiber) })
    }
    if (this.mode === "budget" && this.interruptAt === undefined) {
      // A `Yield` ends the fiber's turn (the budget's, or the program's own `yieldNow`); an
      // `Async` usually does (it suspends unless its callback already ran).
      const op = (effect as { _op?: unknown })._op
      if (op === "Yield" || op === "Async") this.turnEnds.push(this.steps)
      return
    }
    if (this.steps === this.interruptAt && this.root !== undefined) {
      this.reached = true
      // Budget mode: when the runtime ends a turn because its budget is used up, the step is
      // the `Yield` it inserts (0 operations into a new turn); where the turn ended is the
      // operation it preempted, after `budget` operations of its turn.
      const preempted =
        this.mode === "budget" && (fiber as unknown as { _isYielding?: boolean })._isYielding
          ? this.lastOp.get(fiber)
          : undefined
      this.where = whereOf(
        fiber === (this.root as unknown) ? "root" : (this.names.get(fiber) ?? "unseen fiber"),
        fiber,
        preempted?.effect ?? effect,
        preempted?.turn ?? this.turnOf(fiber)
      )
      const root = this.root
      // Whom the interruption is for: the program's root, or the fiber holding step k (a
      // request's fiber cut off while the program goes on).
      const target: Fiber.RuntimeFiber<unknown, unknown> =
        this.target === "holder" ? (fiber as Fiber.RuntimeFiber<unknown, unknown>) : root
      if (this.mode === "budget") {
        // Nothing forced: the fiber runs on until its turn ends where the runtime ends it (the
        // budget set with `withMaxOpsBeforeYield`, or an async wait), and the interruption is
        // the next task on the scheduler — what another fiber interrupting the program does.
        target.currentScheduler.scheduleTask(
          () => target.unsafeInterruptAsFork(explorerId),
          0,
          target
        )
        this.onReach()
        return
      }
      if (this.mode === "yield") {
        // Only the yield: the other fibers run first, then this one resumes at step k. This
        // explores interleavings — a check-then-act split by a yield shows up here.
        yieldAtThisStep(fiber)
        this.onReach()
        return
      }
      // What a real interruption looks like in a single-threaded runtime: the fiber that
      // runs step k yields right before it (as the scheduler does once a fiber has used its
      // operation budget), and while it is paused another fiber interrupts the target.
      yieldAtThisStep(fiber)
      if (target === (fiber as unknown)) {
        // A running fiber never receives a message from another fiber in the middle of its
        // turn (Effect's own combinators rely on that), so the interruption is queued behind
        // the yield: it lands when the fiber resumes, before step k.
        target.currentScheduler.scheduleTask(
          () => target.unsafeInterruptAsFork(explorerId),
          0,
          target
        )
      } else {
        // The root is suspended: it handles the interruption (and interrupts its children)
        // before the paused fiber resumes, so that fiber is interrupted before step k too.
        root.unsafeInterruptAsFork(explorerId)
      }
      this.onReach()
    }
  }
}

/**
 * Effect keeps the call site of `Effect.withSpan` / `Effect.fn` (captured when the span is
 * made) in this global map, the one `Cause.pretty` reads; `globalValue` returns the map
 * Effect made.
 */
const spanToTrace = GlobalValue.globalValue(
  "effect/Tracer/spanToTrace",
  () => new WeakMap<object, () => string | undefined>()
)

/** `file.ts:12:5` from the first frame of a captured trace, relative to the working directory. */
const sourceOf = (span: object | undefined): string | undefined => {
  if (span === undefined) return undefined
  const trace = spanToTrace.get(span)?.()
  const frame = trace?.split("\n")[0]?.trim()
  if (frame === undefined || frame === "") return undefined
  const location = /\(?((?:file:\/\/)?[^()\s]+:\d+:\d+)\)?$/.exec(frame)?.[1]
  if (location === undefined) return undefined
  const path = location.replace(/^file:\/\//, "")
  const cwd = typeof process === "undefined" ? "" : `${process.cwd()}/`
  return path.startsWith(cwd) ? path.slice(cwd.length) : path
}

/**
 * How the runtime could reach a step: `turn` is how many operations the fiber had run in its
 * current turn (since it started, resumed or yielded) before it. Effect's schedulers end a turn
 * when a fiber waits, yields, or has run `maxOpsBeforeYield` operations (2048 by default;
 * budgets under 10 livelock effect 3.22's runtime).
 */
export const reachOf = (turn: number): Interruption.Reach =>
  turn === 0 ? "turn-start" : turn >= MIN_BUDGET ? "budget" : "explorer-only"

/** Who started a fiber of the run, and in which span. */
interface Origin {
  /** `root`, `fiber N`; `undefined` for a fiber a runtime started (`Runtime.runFork`). */
  readonly parent: string | undefined
  readonly span: object | undefined
}

/** The innermost span a fiber is in (`Effect.withSpan`, `Effect.fn`), if any. */
const spanOf = (fiber: unknown): object | undefined =>
  (fiber as { currentSpan?: object | undefined }).currentSpan

/** ` in name at file.ts:1:2`, or nothing for no span (or one without a name). */
const inSpan = (span: object | undefined): string => {
  const name = (span as { name?: unknown } | undefined)?.name
  if (typeof name !== "string") return ""
  const source = sourceOf(span)
  return ` in ${name}${source === undefined ? "" : ` at ${source}`}`
}

/** The fiber, the operation, the innermost span and its call site, and the turn of a step. */
const whereOf = (
  name: string,
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  effect: Effect.Effect<unknown, unknown, unknown>,
  turn: number
): Interruption.Where => {
  const op = (effect as { _op?: unknown })._op
  const span = (fiber as unknown as { currentSpan?: { name?: unknown } }).currentSpan
  const source = sourceOf(span)
  return {
    fiber: name,
    op: typeof op === "string" ? op : "?",
    ...(typeof span?.name === "string" ? { span: span.name } : {}),
    ...(source === undefined ? {} : { source }),
    turn
  }
}

/**
 * Makes a fiber yield before the operation it is about to execute. The run loop asks the
 * scheduler whether to yield right after `onEffect`, and Effect's schedulers yield once the
 * fiber's operation count passes its budget.
 */
const yieldAtThisStep = (fiber: unknown): void => {
  const runtime = fiber as { currentOpCount?: number }
  if (typeof runtime.currentOpCount === "number") runtime.currentOpCount = Number.MAX_SAFE_INTEGER
}

/** One execution of the program. */
export interface Run {
  readonly step: number | undefined
  readonly steps: number
  readonly reached: boolean
  readonly outcome:
    | { readonly _tag: "Exited"; readonly exit: Exit.Exit<unknown, unknown> }
    | { readonly _tag: "Hung" }
  readonly live: ReadonlyArray<Tracking.Entry>
  /** The fibers of the run still running after it ended, described (`StepSupervisor.describe`). */
  readonly leftRunning: ReadonlyArray<string>
  readonly fibersSeen: number
  readonly where: Interruption.Where | undefined
  /** Budget mode, without an interruption: the steps at which a turn ended. */
  readonly turnEnds: ReadonlyArray<number>
  /** The run's wall-clock time, in milliseconds (to its end, or to the hang bound). */
  readonly millis: number
  /** The bound it was held to (`Settings.runBound`). */
  readonly bound: Duration.Duration
}

/** How every run of one exploration is made. */
export interface Settings {
  readonly hangTimeout: Duration.Duration
  /**
   * The wall-clock bound of a run, from its start and again from its interruption: for an
   * uninterrupted run `max(hangTimeout, UNINTERRUPTED_FLOOR)`, for the others `runBoundOf`.
   */
  readonly runBound: Duration.Duration
  readonly mode: Interruption.Mode
  readonly isolate: boolean
  readonly target: Interruption.Target
  /** Budget mode: the runtime's operations per turn (`Effect.withMaxOpsBeforeYield`). */
  readonly budget?: number | undefined
}

const opSupervision = RuntimeFlagsPatch.enable(RuntimeFlags.OpSupervision)

/**
 * Runs the program once from scratch, optionally interrupting it at step `interruptAt`, and
 * waits at most `hangTimeout` (wall-clock) after the interruption — or after the start, when
 * there is none — for it to finish.
 */
export const runOnce = <A, E, R>(
  program: Interruption.Program<A, E, R>,
  interruptAt: number | undefined,
  settings: Settings
): Effect.Effect<Run, never, R> =>
  Effect.gen(function* () {
    const { runBound, mode, isolate, budget, target } = settings
    const probe = leakProbe.unsafeMake()
    const supervisor = new StepSupervisor(interruptAt, mode, target)
    const gate = yield* Deferred.make<void>()
    // A factory is called once per run, before the run's first step: each run starts from
    // fresh state. One that throws makes a run that dies with what it threw, one that returns
    // something else than an Effect a run that dies saying so (both are reported as defects).
    const made = Effect.isEffect(program)
      ? program
      : yield* Effect.sync((): Effect.Effect<A, E, R> => {
          try {
            const effect: unknown = program()
            return Effect.isEffect(effect)
              ? (effect as Effect.Effect<A, E, R>)
              : Effect.die(
                  new Error(`the program function returned ${show(effect)}, not an Effect`)
                )
          } catch (error) {
            return Effect.die(error)
          }
        })
    const supervised = made.pipe(
      // Budget mode: the runtime's own per-turn budget, inherited by every fiber of the run.
      (effect) => (budget === undefined ? effect : Effect.withMaxOpsBeforeYield(effect, budget)),
      Effect.supervised(supervisor),
      Effect.withRuntimeFlagsPatch(opSupervision),
      Tracking.withTracker(probe.tracker),
      // Fresh test services per run, built outside the counted region: a run that wedges its
      // TestClock cannot wedge the next.
      (effect) => (isolate ? Effect.provide(effect, TestContext.TestContext) : effect)
    )
    // The gate lets us hand the root fiber to the supervisor before its first step. A daemon,
    // so that a hung run can be abandoned: a child would be awaited when the explorer ends.
    const fiber = yield* Effect.forkDaemon(Effect.zipRight(Deferred.await(gate), supervised))
    supervisor.root = fiber
    const started = performance.now()
    yield* Deferred.succeed(gate, undefined)
    const outcome = yield* awaitWithin(fiber, supervisor, runBound).pipe(
      Effect.onInterrupt(() => Fiber.interruptFork(fiber))
    )
    const millis = performance.now() - started
    if (outcome._tag === "Hung") {
      supervisor.finished = true
      // Abandoned: it may be stuck in an uninterruptible region, so do not wait for it.
      yield* Fiber.interruptFork(fiber)
    } else {
      // Fibers that were interrupted as the run ended finish on the next turns.
      for (let turn = 0; turn < 3 && supervisor.running.size > 0; turn++) yield* Effect.yieldNow()
      supervisor.finished = true
    }
    return {
      step: interruptAt,
      steps: supervisor.steps,
      reached: supervisor.reached,
      outcome,
      live: probe.unsafeLive(),
      leftRunning:
        outcome._tag === "Hung"
          ? []
          : Array.from(supervisor.running, (running) => supervisor.describe(running)),
      fibersSeen: supervisor.fibersSeen,
      where: supervisor.where,
      turnEnds: supervisor.turnEnds,
      millis,
      bound: runBound
    } satisfies Run
  })

/**
 * Waits for the fiber's exit, or for `hangTimeout` of wall-clock time after the interruption
 * (the timer is restarted when it is sent). Real time on purpose: a hang must be detected even
 * when the program runs on the `TestClock`. The timer is `Timer.set`'s: a bound above 2³¹−1 ms
 * is honoured (a bare `setTimeout` fires it after 1 ms), an infinite one sets none.
 */
const awaitWithin = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  supervisor: StepSupervisor,
  hangTimeout: Duration.Duration
): Effect.Effect<Run["outcome"]> =>
  Effect.async<Run["outcome"]>((resume) => {
    let cancel: Timer.Cancel = () => {}
    let settled = false
    const settle = (outcome: Run["outcome"]) => {
      if (settled) return
      settled = true
      cancel()
      resume(Effect.succeed(outcome))
    }
    const startTimer = () => {
      cancel()
      if (!settled) cancel = Timer.set("hangTimeout", hangTimeout, () => settle({ _tag: "Hung" }))
    }
    startTimer()
    supervisor.onReach = startTimer
    const observer = (exit: Exit.Exit<unknown, unknown>) => settle({ _tag: "Exited", exit })
    fiber.addObserver(observer)
    return Effect.sync(() => {
      settled = true
      cancel()
      fiber.removeObserver(observer)
    })
  })

/**
 * Runs `effect` in a fiber of its own and waits at most `bound` of wall-clock time for it
 * (`Timer.set`; an infinite bound waits for ever): `None` when the bound passed first, and the
 * fiber is then interrupted without waiting (an uninterruptible one is abandoned). For user
 * code that may never return (a `check`), on the `TestClock` or not.
 */
const withinRealTime = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  bound: Duration.Duration
): Effect.Effect<Option.Option<Exit.Exit<A, E>>, never, R> =>
  !Duration.isFinite(bound)
    ? Effect.map(Effect.exit(effect), Option.some)
    : // Masked between the fork and the wait: an explorer interrupted there would otherwise
      // leave the check's fiber running; interrupted while waiting, the canceller stops it.
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(Effect.forkDaemon(restore(effect)), (fiber) =>
          restore(
            Effect.async<Option.Option<Exit.Exit<A, E>>>((resume) => {
              let settled = false
              const observer = (exit: Exit.Exit<A, E>) => {
                if (settled) return
                settled = true
                cancel()
                resume(Effect.succeed(Option.some(exit)))
              }
              const cancel = Timer.set("hangTimeout", bound, () => {
                if (settled) return
                settled = true
                fiber.removeObserver(observer)
                resume(Effect.as(Fiber.interruptFork(fiber), Option.none()))
              })
              fiber.addObserver(observer)
              return Effect.sync(() => {
                settled = true
                cancel()
                fiber.removeObserver(observer)
                fiber.unsafeInterruptAsFork(explorerId)
              })
            })
          )
        )
      )

/** A value in a message: strings quoted, objects as JSON. */
const show = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "bigint") return `${value}n`
  if (typeof value === "object" && value !== null) {
    try {
      return JSON.stringify(value)
    } catch {
      return String(value)
    }
  }
  return String(value)
}

/** What a thrown value or a defect says: an error's message, a string as it is. */
const describeError = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "string" ? error : show(error)

/**
 * Runs the user's check on a run's exit. It is user code: it may throw instead of returning an
 * Effect, return something else, fail, die or never return — each is a failure of the step,
 * never a crash or a hang of the explorer. `undefined` when the check passed.
 */
const runCheck = <R>(
  check: (exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void, unknown, R>,
  exit: Exit.Exit<unknown, unknown>,
  hangTimeout: Duration.Duration
): Effect.Effect<string | undefined, never, R> =>
  Effect.suspend(() => {
    let made: unknown
    try {
      made = check(exit)
    } catch (error) {
      return Effect.succeed(`the check threw: ${describeError(error)}`)
    }
    if (!Effect.isEffect(made)) {
      return Effect.succeed(`the check returned ${show(made)}, not an Effect`)
    }
    return Effect.map(
      withinRealTime(made as Effect.Effect<void, unknown, R>, hangTimeout),
      (result): string | undefined => {
        if (Option.isNone(result)) {
          return `the check did not return within ${Duration.format(hangTimeout)}`
        }
        const checked = result.value
        if (Exit.isSuccess(checked)) return undefined
        if (Option.isSome(Cause.failureOption(checked.cause))) {
          return messageOf(checked.cause)
        }
        const defects = Array.from(Cause.defects(checked.cause))
        return defects.length > 0
          ? `the check died: ${defects.map(describeError).join("; ")}`
          : "the check was interrupted"
      }
    )
  })

const messageOf = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause)
  const error = Option.isSome(failure) ? failure.value : Cause.squash(cause)
  if (error instanceof Error) return error.message
  if (typeof error === "string") return error
  try {
    return JSON.stringify(error)
  } catch {
    return String(error)
  }
}

/** What went wrong in one run, if anything, each failure labelled with how it was reached. */
const judge = <R>(
  run: Run,
  step: number,
  options: Checked<R>,
  settings: Settings
): Effect.Effect<ReadonlyArray<Interruption.Failure>, never, R> => {
  const label = labelOf(run, step, settings)
  const failure = (kind: Interruption.Failure["kind"], message: string): Interruption.Failure => ({
    step,
    kind,
    message,
    ...label
  })
  if (run.outcome._tag === "Hung") {
    const after = !run.reached
      ? "(step not reached)"
      : settings.mode === "yield"
        ? "after the yield"
        : "after its interruption"
    const scaled = Duration.equals(run.bound, settings.hangTimeout)
      ? ""
      : step === 0
        ? ""
        : ` (${SLOWDOWN} × the uninterrupted run's time)`
    return Effect.succeed([
      failure(
        "hang",
        `did not finish within ${Duration.format(run.bound)} ${step === 0 ? "without interruption" : after}${scaled}`
      )
    ])
  }
  const exit = run.outcome.exit
  const failures: Array<Interruption.Failure> = []
  if (options.leaks && run.live.length > 0) {
    failures.push(
      failure(
        "check",
        `leaked ${describeLive(run.live)}: ${run.live.map(describeEntry).join(", ")}`
      )
    )
  }
  const left = run.leftRunning
  if (options.fibers && left.length > 0) {
    failures.push(
      failure(
        "fibers",
        `${left.length} fiber${left.length === 1 ? "" : "s"} of the run still running after it ended: ${left.join("; ")}`
      )
    )
  }
  // A defect anywhere in the run's exit — an uninterrupted run that dies, a cleanup that dies
  // when interrupted, a program function that throws — is a bug, with or without a check.
  // A typed failure is the program's own answer: the check judges it.
  if (options.defects && Exit.isFailure(exit)) {
    const defects = Array.from(Cause.defects(exit.cause))
    if (defects.length > 0) {
      failures.push(failure("defect", `the run died: ${defects.map(describeError).join("; ")}`))
    }
  }
  if (options.check === undefined) {
    return Effect.succeed(failures)
  }
  return Effect.map(runCheck(options.check, exit, settings.hangTimeout), (message) => {
    if (message !== undefined) failures.push(failure("check", message))
    return failures
  })
}

/**
 * Where a run's step was and whether Effect's default scheduler can reach it: in budget mode
 * it did (the runtime ended the turn there); otherwise it is read from the turn of the fiber
 * that held the step.
 */
const labelOf = (
  run: Run,
  step: number,
  settings: Settings
): Pick<Interruption.Failure, "where" | "reach" | "budget"> => {
  const where = run.where === undefined ? {} : { where: run.where }
  if (step === 0 || !run.reached) return { ...where, reach: "uninterrupted" }
  if (settings.budget !== undefined) return { ...where, reach: "budget", budget: settings.budget }
  return { ...where, reach: reachOf(run.where?.turn ?? 0) }
}

/**
 * Whether to give each run fresh test services: by default, when the program runs on test
 * services (its `Clock` is a `TestClock`), so that a run that wedges them cannot wedge the
 * runs after it. A program on live services keeps them.
 */
const shouldIsolate = <R>(options: Checked<R>): Effect.Effect<boolean> =>
  options.isolate !== undefined
    ? Effect.succeed(options.isolate)
    : Effect.map(
        Effect.clock,
        (clock) => typeof (clock as { adjust?: unknown }).adjust === "function"
      )

/** One interruption point: a step of the run made with `budget` (budget mode) or of the plain run. */
interface Point {
  readonly step: number
  readonly budget?: number | undefined
}

/** @internal */
export const explore = <A, E, R, R2 = never>(
  program: Interruption.Program<A, E, R>,
  options: Interruption.Options<R2> = {}
): Effect.Effect<Interruption.Report, never, R | R2> =>
  Effect.gen(function* () {
    const checked = checkOptions(options, DEFAULT_HANG_TIMEOUT)
    checkProgram(program)
    const { hangTimeout, mode, budgets, target } = checked
    const shown = progress.make(yield* progress.ProgressConsole, checked.progress)
    const dry: Settings = {
      hangTimeout,
      runBound: uninterruptedBound(hangTimeout),
      mode,
      target,
      isolate: yield* shouldIsolate(checked)
    }
    // Two dry runs: the step count, and whether it is the same every time.
    const first = yield* runOnce(program, undefined, dry)
    const explored: Array<{
      readonly point: Point
      readonly failures: ReadonlyArray<Interruption.Failure>
    }> = [{ point: { step: 0 }, failures: yield* judge(first, 0, checked, dry) }]
    const steps = first.steps
    if (first.outcome._tag === "Hung") {
      // The program hangs with no interruption: nothing to compare the other runs with.
      const failures = explored[0]!.failures
      return {
        mode,
        steps,
        runs: 1,
        failures,
        ranges: toRanges(explored),
        reachable: failures.length,
        deterministic: false,
        dryRunSteps: [steps, steps] as const,
        unreached: [],
        fibers: first.fibersSeen,
        isolated: dry.isolate,
        target,
        ...(mode === "budget" ? { budgets: [] } : {}),
        sampled: undefined
      } satisfies Interruption.Report
    }
    const second = yield* runOnce(program, undefined, dry)
    let runs = 2
    const settings: Settings = {
      ...dry,
      runBound: runBoundOf(
        hangTimeout,
        second.outcome._tag === "Hung" ? first.millis : Math.min(first.millis, second.millis)
      )
    }
    // Budget mode: one more dry run per budget finds where the runtime ends turns with it.
    let points: Array<Point>
    const perBudget: Array<Interruption.BudgetRun> = []
    const budgetBounds = new Map<number, Duration.Duration>()
    if (mode === "budget") {
      points = []
      for (const budget of budgets) {
        // Uninterrupted: bounded like the dry runs.
        const budgetRun = yield* runOnce(program, undefined, { ...dry, budget })
        runs++
        perBudget.push({ budget, steps: budgetRun.steps, points: budgetRun.turnEnds.length })
        // A small budget's runs yield more often, and may be slower than the default's: its
        // points are bounded by its own dry run too.
        if (budgetRun.outcome._tag === "Exited") {
          budgetBounds.set(
            budget,
            maxDuration(settings.runBound, runBoundOf(hangTimeout, budgetRun.millis))
          )
        }
        for (const step of budgetRun.turnEnds) points.push({ step, budget })
      }
    } else {
      points = Array.from({ length: steps }, (_, i) => ({ step: i + 1 }))
    }
    const sample = checked.sample
    const chosen =
      sample === undefined || sample.runs >= points.length
        ? points
        : sampleSteps(points.length, sample.runs, sample.seed).map((i) => points[i - 1]!)
    const unreached: Array<number> = []
    // Point 0 (the run without interruption) and the chosen points.
    const total = chosen.length + 1
    let failing = explored[0]!.failures.length > 0 ? 1 : 0
    for (const point of chosen) {
      const pointSettings =
        point.budget === undefined
          ? settings
          : {
              ...settings,
              budget: point.budget,
              runBound: budgetBounds.get(point.budget) ?? settings.runBound
            }
      const run = yield* runOnce(program, point.step, pointSettings)
      runs++
      if (!run.reached) unreached.push(point.step)
      const pointFailures = yield* judge(run, point.step, checked, pointSettings)
      if (pointFailures.length > 0) failing++
      explored.push({ point, failures: pointFailures })
      shown.update(explored.length, total, failing)
    }
    shown.end(explored.length, total, failing)
    const failures = explored.flatMap((e) => e.failures)
    return {
      mode,
      steps,
      runs,
      failures,
      ranges: toRanges(explored),
      reachable: failures.filter((f) => f.reach !== "explorer-only").length,
      // Deterministic only when every run followed the uninterrupted one: both dry runs ended
      // after the same steps, and every run reached its step (its prefix is the dry run's).
      deterministic:
        first.steps === second.steps && second.outcome._tag === "Exited" && unreached.length === 0,
      dryRunSteps: [first.steps, second.steps] as const,
      unreached,
      fibers: first.fibersSeen,
      isolated: settings.isolate,
      target,
      ...(mode === "budget" ? { budgets: perBudget } : {}),
      sampled: chosen === points ? undefined : { runs: chosen.length, seed: sample!.seed }
    } satisfies Interruption.Report
  })

/**
 * `runs` distinct steps of `1..steps`, in order, chosen uniformly by a seeded generator
 * (mulberry32): the same seed picks the same steps, so a sampled report can be replayed.
 */
export const sampleSteps = (steps: number, runs: number, seed: number): Array<number> => {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  // Floyd's algorithm: `runs` distinct picks without materialising `1..steps`.
  const picked = new Set<number>()
  for (let j = steps - runs + 1; j <= steps; j++) {
    const t = 1 + Math.floor(next() * j)
    picked.add(picked.has(t) ? j : t)
  }
  return Array.from(picked).sort((a, b) => a - b)
}

/**
 * Failures at consecutively explored points (consecutive steps; in budget mode, consecutive
 * turn ends of one budget's run) with the same kind, message and reach, as one range.
 */
export const toRanges = (
  explored: ReadonlyArray<{
    readonly point: Point
    readonly failures: ReadonlyArray<Interruption.Failure>
  }>
): Array<Interruption.Range> => {
  const ranges: Array<Interruption.Range> = []
  // The ranges the previous point extended or opened: only those can go on at this point.
  let open: Array<number> = []
  for (const { failures } of explored) {
    const next: Array<number> = []
    for (const failure of failures) {
      const index = open.find((i) => sameRange(ranges[i]!, failure))
      if (index !== undefined) {
        ranges[index] = { ...ranges[index]!, to: failure.step, points: ranges[index]!.points + 1 }
        next.push(index)
      } else {
        next.push(ranges.length)
        ranges.push({
          from: failure.step,
          to: failure.step,
          points: 1,
          kind: failure.kind,
          message: failure.message,
          reach: failure.reach,
          ...(failure.budget === undefined ? {} : { budget: failure.budget }),
          ...(failure.where === undefined ? {} : { where: failure.where })
        })
      }
    }
    open = next
  }
  return ranges
}

/**
 * Runtime ids (`#12`: a resource's, a fiber's) differ from run to run; the rest of a message
 * says whether two steps failed the same way.
 */
const withoutIds = (message: string): string => message.replace(/#\d+/g, "#")

const sameRange = (range: Interruption.Range, failure: Interruption.Failure): boolean =>
  range.kind === failure.kind &&
  withoutIds(range.message) === withoutIds(failure.message) &&
  range.reach === failure.reach &&
  range.budget === failure.budget

/** @internal */
export const runAt = <A, E, R, R2 = never>(
  program: Interruption.Program<A, E, R>,
  step: number,
  options: Interruption.Options<R2> = {}
): Effect.Effect<Interruption.Replay, never, R | R2> =>
  Effect.gen(function* () {
    const checked = checkOptions(options, DEFAULT_HANG_TIMEOUT)
    checkProgram(program)
    checkStep(step)
    const { hangTimeout, mode, budget, target } = checked
    const dry: Settings = {
      hangTimeout,
      runBound: uninterruptedBound(hangTimeout),
      mode,
      target,
      isolate: yield* shouldIsolate(checked),
      ...(mode === "budget" ? { budget: replayBudget(budget) } : {})
    }
    // Past step 0, an uninterrupted run first, for the bound `explore` holds the step to.
    const uninterrupted = step === 0 ? undefined : yield* runOnce(program, undefined, dry)
    const settings: Settings =
      uninterrupted === undefined || uninterrupted.outcome._tag === "Hung"
        ? dry
        : { ...dry, runBound: runBoundOf(hangTimeout, uninterrupted.millis) }
    const run = yield* runOnce(program, step, settings)
    const failures = yield* judge(run, step, checked, settings)
    return {
      step,
      steps: run.steps,
      reached: run.reached,
      ...(run.where === undefined ? {} : { where: run.where }),
      exit: run.outcome._tag === "Exited" ? Option.some(run.outcome.exit) : Option.none(),
      live: run.live,
      failures
    } satisfies Interruption.Replay
  })

/** @internal */
export const assertEveryStep = <A, E, R, R2 = never>(
  program: Interruption.Program<A, E, R>,
  options: Interruption.Options<R2> = {}
): Effect.Effect<Interruption.Report, InterruptionError, R | R2> =>
  Effect.flatMap(explore(program, options), (report) =>
    // `explore` has checked the options: `failOn` is "any", "reachable" or undefined.
    (options?.failOn === "reachable" ? report.reachable : report.failures.length) === 0
      ? Effect.succeed(report)
      : Effect.fail(new InterruptionError({ report }))
  )
