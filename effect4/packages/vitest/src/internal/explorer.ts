/**
 * The interrupt-at-every-step harness for Effect 4 (the full explorer is a later issue).
 *
 * Effect 4's run loop asks the `Scheduler` in a fiber's context `shouldYield(fiber)` once per
 * iteration: every point where the runtime can preempt a fiber. A run of the program under a
 * `StepScheduler` counts those calls — the steps. To perturb step `k`, the scheduler answers
 * `true` at its `k`-th call (the fiber yields right there) and, in interrupt mode, queues the
 * root fiber's interruption ahead of every other task, so that it lands while that fiber is
 * paused. Fibers the program forks inherit the scheduler through their context.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Scheduler from "effect/Scheduler"
import { InvalidOptionsError, Timer, Tracking } from "@scopeguard/core"
import { InterruptionError } from "../Errors.js"
import type * as Interruption from "../Interruption.js"
import { describeEntry, describeLive } from "./describe.js"
import { makeUnsafe as makeProbe } from "./leakProbe.js"

/** Runs ahead of a yielding fiber's resumption (priority 0) in the shared queue. */
const INTERRUPT_PRIORITY = -1

class StepScheduler implements Scheduler.Scheduler {
  readonly executionMode: "sync" | "async"
  /** One queue for every fiber of the run: their order is the order of the queue. */
  private readonly dispatcher: Scheduler.SchedulerDispatcher
  steps = 0

  constructor(
    readonly parent: Scheduler.Scheduler,
    readonly target: number,
    readonly onTarget: (dispatcher: Scheduler.SchedulerDispatcher) => void
  ) {
    this.executionMode = parent.executionMode
    this.dispatcher = parent.makeDispatcher()
  }

  shouldYield(fiber: Fiber.Fiber<unknown, unknown>): boolean {
    const step = ++this.steps
    if (step === this.target) {
      this.onTarget(this.dispatcher)
      return true
    }
    return this.parent.shouldYield(fiber)
  }

  makeDispatcher(): Scheduler.SchedulerDispatcher {
    return this.dispatcher
  }
}

interface Settings {
  readonly mode: Interruption.Mode
  readonly hangTimeout: Duration.Duration
  readonly leaks: boolean
  readonly defects: boolean
  readonly check:
    ((exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void, unknown, any>) | undefined
}

const DEFAULT_HANG_TIMEOUT = "2 seconds"

const checkOptions = (options: Interruption.Options<any> | undefined): Settings => {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new InvalidOptionsError({ option: "options", value: options, reason: "is not an object" })
  }
  const mode = options?.mode ?? "interrupt"
  if (mode !== "interrupt" && mode !== "yield") {
    throw new InvalidOptionsError({
      option: "mode",
      value: mode,
      reason: 'is not one of "interrupt", "yield"'
    })
  }
  const leaks = options?.leaks ?? true
  if (typeof leaks !== "boolean") {
    throw new InvalidOptionsError({ option: "leaks", value: leaks, reason: "is not a boolean" })
  }
  const defects = options?.defects ?? true
  if (typeof defects !== "boolean") {
    throw new InvalidOptionsError({ option: "defects", value: defects, reason: "is not a boolean" })
  }
  const check = options?.check
  if (check !== undefined && typeof check !== "function") {
    throw new InvalidOptionsError({ option: "check", value: check, reason: "is not a function" })
  }
  const hangTimeout = InvalidOptionsError.decodeDuration(
    "hangTimeout",
    options?.hangTimeout ?? DEFAULT_HANG_TIMEOUT
  )!
  return { mode, hangTimeout, leaks, defects, check }
}

interface Run {
  readonly steps: number
  /** `undefined` when the run did not finish within the hang timeout. */
  readonly exit: Exit.Exit<unknown, unknown> | undefined
  readonly live: ReadonlyArray<Tracking.Entry>
}

/**
 * A function is the per-run setup: called before the run starts (so that even a run
 * interrupted at its first step starts from fresh state); a throw is the run's defect.
 */
const toEffect = <A, E, R>(program: Interruption.Program<A, E, R>): Effect.Effect<A, E, R> => {
  if (Effect.isEffect(program)) return program
  try {
    return program()
  } catch (error) {
    return Effect.die(error)
  }
}

/**
 * Runs the program once from scratch under a `StepScheduler` perturbing step `target` (0:
 * none), with the caller's services (its `TestClock`, its layers) and a fresh leak probe.
 */
const runOnce = <A, E, R>(
  program: Interruption.Program<A, E, R>,
  target: number,
  settings: Settings
): Effect.Effect<Run, never, R> =>
  Effect.withFiber((parent) => {
    const probe = settings.leaks ? makeProbe() : undefined
    let root: Fiber.Fiber<A, E> | undefined
    let interrupted = false
    let armHang: () => void = () => {}
    const scheduler = new StepScheduler(
      parent.getRef(Scheduler.Scheduler),
      target,
      (dispatcher) => {
        if (settings.mode !== "interrupt") return
        dispatcher.scheduleTask(() => {
          interrupted = true
          root?.interruptUnsafe()
          armHang()
        }, INTERRUPT_PRIORITY)
      }
    )
    let effect: Effect.Effect<A, E, R> = toEffect(program)
    if (probe !== undefined) effect = Tracking.withTracker(effect, probe.tracker)
    const context = Context.add(
      parent.context as Context.Context<R>,
      Scheduler.Scheduler,
      scheduler
    )
    return Effect.callback<Run>((resume) => {
      let cancelHang: Timer.Cancel = () => {}
      let finished = false
      const done = (exit: Exit.Exit<unknown, unknown> | undefined) => {
        if (finished) return
        finished = true
        cancelHang()
        resume(Effect.succeed({ steps: scheduler.steps, exit, live: probe?.unsafeLive() ?? [] }))
      }
      // The hang bound counts from the interruption (or from the start, when nothing is
      // interrupted), on the real clock: the program may wait on a TestClock nobody moves.
      armHang = () => {
        cancelHang()
        cancelHang = Timer.set("hangTimeout", settings.hangTimeout, () => {
          root?.interruptUnsafe()
          done(undefined)
        })
      }
      if (settings.mode !== "interrupt" || target === 0) armHang()
      root = Effect.runForkWith(context)(effect)
      // A dispatcher that runs tasks at once may have run the interruption before `root` was
      // known: deliver it now.
      if (interrupted) root.interruptUnsafe()
      const removeObserver = root.addObserver((exit) => done(exit))
      return Effect.sync(() => {
        removeObserver()
        cancelHang()
      })
    })
  })

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error)

const describeFailure = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.findErrorOption(cause)
  if (error._tag === "Some" && typeof error.value === "string") return error.value
  return Cause.pretty(cause)
}

/** What went wrong in one run, if anything. */
const judge = (
  run: Run,
  step: number,
  settings: Settings
): Effect.Effect<Interruption.Failure | undefined> => {
  if (run.exit === undefined) {
    const after = step === 0 ? "after it started" : "after its interruption"
    return Effect.succeed({
      step,
      kind: "hang",
      message: `did not finish within ${Duration.format(settings.hangTimeout)} ${after}`
    })
  }
  if (run.live.length > 0) {
    return Effect.succeed({
      step,
      kind: "leak",
      message: `leaked ${describeLive(run.live)}: ${run.live.map(describeEntry).join(", ")}`
    })
  }
  const exit = run.exit
  if (settings.defects && Exit.isFailure(exit)) {
    const defects = exit.cause.reasons.filter(Cause.isDieReason).map((reason) => reason.defect)
    if (defects.length > 0) {
      return Effect.succeed({
        step,
        kind: "defect",
        message: `the run died: ${defects.map(describeError).join("; ")}`
      })
    }
  }
  const check = settings.check
  if (check === undefined) return Effect.undefined
  return Effect.map(
    Effect.exit(Effect.suspend(() => check(exit))),
    (checked): Interruption.Failure | undefined =>
      Exit.isSuccess(checked)
        ? undefined
        : { step, kind: "check", message: describeFailure(checked.cause) }
  ) as Effect.Effect<Interruption.Failure | undefined>
}

/** @internal */
export const explore: <A, E, R>(
  program: Interruption.Program<A, E, R>,
  options?: Interruption.Options<any>
) => Effect.Effect<Interruption.Report, never, R> = Effect.fn("Interruption.explore")(function* <
  A,
  E,
  R
>(program: Interruption.Program<A, E, R>, options?: Interruption.Options<any>) {
  // Checked when the effect runs: an invalid option dies with an InvalidOptionsError.
  const settings = checkOptions(options)
  const failures: Array<Interruption.Failure> = []
  // The dry run, twice: its steps, and whether the count is deterministic.
  const first = yield* runOnce(program, 0, settings)
  const second = yield* runOnce(program, 0, settings)
  for (const run of [first, second]) {
    const failure = yield* judge(run, 0, settings)
    if (failure !== undefined) {
      failures.push(failure)
      break
    }
  }
  const steps = first.steps
  const unreached: Array<number> = []
  for (let step = 1; step <= steps; step++) {
    const run = yield* runOnce(program, step, settings)
    if (run.steps < step) unreached.push(step)
    const failure = yield* judge(run, step, settings)
    if (failure !== undefined) failures.push(failure)
  }
  const report: Interruption.Report = {
    steps,
    runs: steps,
    failures,
    deterministic: first.steps === second.steps,
    unreached
  }
  return report
})

/** @internal */
export const assertEveryStep = <A, E, R>(
  program: Interruption.Program<A, E, R>,
  options?: Interruption.Options<any>
): Effect.Effect<Interruption.Report, InterruptionError, R> =>
  Effect.flatMap(explore(program, options), (report) =>
    report.failures.length === 0
      ? Effect.succeed(report)
      : Effect.fail(new InterruptionError({ report }))
  )

/** @internal */
export const runAt = <A, E, R>(
  program: Interruption.Program<A, E, R>,
  step: number,
  options?: Interruption.Options<any>
): Effect.Effect<Exit.Exit<A, E> | undefined, never, R> =>
  Effect.suspend(() => {
    if (!Number.isInteger(step) || step < 0) {
      throw new InvalidOptionsError({ option: "step", value: step, reason: "is not a step number" })
    }
    return Effect.map(
      runOnce(program, step, checkOptions(options)),
      (run) => run.exit as Exit.Exit<A, E> | undefined
    )
  })
