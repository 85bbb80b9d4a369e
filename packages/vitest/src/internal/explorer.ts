import { check as checkOptions, step as checkStep } from "./options.js"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as RuntimeFlags from "effect/RuntimeFlags"
import * as RuntimeFlagsPatch from "effect/RuntimeFlagsPatch"
import type * as Context from "effect/Context"
import * as Supervisor from "effect/Supervisor"
import * as TestContext from "effect/TestContext"
import { Tracking } from "@scopeguard/core"
import type * as Interruption from "../Interruption.js"
import * as leakProbe from "./leakProbe.js"
import { InterruptionError } from "../Errors.js"
import { describeEntry, describeLive } from "./describe.js"

const DEFAULT_HANG_TIMEOUT = Duration.seconds(1)

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
  /** Where step `interruptAt` was: the fiber, the operation, the innermost span. */
  where: Interruption.Where | undefined = undefined
  /** Whether step `interruptAt` was reached (and the interruption, or the yield, done). */
  reached = false
  /** Stops counting when the run has ended: abandoned daemon fibers may still run. */
  finished = false
  onReach: () => void = () => {}

  constructor(
    readonly interruptAt: number | undefined,
    readonly mode: Interruption.Mode
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
    _parent: Option.Option<Fiber.RuntimeFiber<any, any>>,
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
    }
  }

  override onEnd<A, E>(_value: Exit.Exit<A, E>, fiber: Fiber.RuntimeFiber<A, E>) {
    this.running.delete(fiber)
  }

  override onEffect<A, E>(fiber: Fiber.RuntimeFiber<A, E>, effect: Effect.Effect<any, any, any>) {
    if (this.finished) return
    this.steps++
    if (this.steps === this.interruptAt && this.root !== undefined) {
      this.reached = true
      this.where = whereOf(
        fiber === (this.root as unknown) ? "root" : (this.names.get(fiber) ?? "unseen fiber"),
        fiber,
        effect
      )
      if (this.mode === "yield") {
        // Only the yield: the other fibers run first, then this one resumes at step k. This
        // explores interleavings — a check-then-act split by a yield shows up here.
        yieldAtThisStep(fiber)
        this.onReach()
        return
      }
      // What a real interruption looks like in a single-threaded runtime: the fiber that
      // runs step k yields right before it (as the scheduler does once a fiber has used its
      // operation budget), and while it is paused another fiber interrupts the program's root.
      yieldAtThisStep(fiber)
      const root = this.root
      if (fiber === (root as unknown)) {
        // A running fiber never receives a message from another fiber in the middle of its
        // turn (Effect's own combinators rely on that), so the interruption is queued behind
        // the yield: it lands when the root resumes, before step k.
        root.currentScheduler.scheduleTask(() => root.unsafeInterruptAsFork(explorerId), 0, root)
      } else {
        // The root is suspended: it handles the interruption (and interrupts its children)
        // before the paused fiber resumes, so that fiber is interrupted before step k too.
        root.unsafeInterruptAsFork(explorerId)
      }
      this.onReach()
    }
  }
}

/** The fiber, the operation and the innermost span of a step. */
const whereOf = (
  name: string,
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  effect: Effect.Effect<unknown, unknown, unknown>
): Interruption.Where => {
  const op = (effect as { _op?: unknown })._op
  const span = (fiber as unknown as { currentSpan?: { name?: unknown } }).currentSpan
  return {
    fiber: name,
    op: typeof op === "string" ? op : "?",
    ...(typeof span?.name === "string" ? { span: span.name } : {})
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
  /** Fibers of the run still running after it ended. */
  readonly leftRunning: number
  readonly fibersSeen: number
  readonly where: Interruption.Where | undefined
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
  hangTimeout: Duration.Duration,
  mode: Interruption.Mode = "interrupt",
  isolate: boolean = false
): Effect.Effect<Run, never, R> =>
  Effect.gen(function* () {
    const probe = leakProbe.unsafeMake()
    const supervisor = new StepSupervisor(interruptAt, mode)
    const gate = yield* Deferred.make<void>()
    // A factory is called once per run, before the run's first step: each run starts from
    // fresh state. One that throws makes a run that dies with what it threw.
    const made = Effect.isEffect(program)
      ? program
      : yield* Effect.sync(() => {
          try {
            return program()
          } catch (error) {
            return Effect.die(error)
          }
        })
    const supervised = made.pipe(
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
    yield* Deferred.succeed(gate, undefined)
    const outcome = yield* awaitWithin(fiber, supervisor, Duration.toMillis(hangTimeout)).pipe(
      Effect.onInterrupt(() => Fiber.interruptFork(fiber))
    )
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
      leftRunning: outcome._tag === "Hung" ? 0 : supervisor.running.size,
      fibersSeen: supervisor.fibersSeen,
      where: supervisor.where
    } satisfies Run
  })

/**
 * Waits for the fiber's exit, or for `millis` of wall-clock time after the interruption (the
 * timer is restarted when it is sent). Real time on purpose: a hang must be detected even
 * when the program runs on the `TestClock`.
 */
const awaitWithin = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  supervisor: StepSupervisor,
  millis: number
): Effect.Effect<Run["outcome"]> =>
  Effect.async<Run["outcome"]>((resume) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    let settled = false
    const settle = (outcome: Run["outcome"]) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resume(Effect.succeed(outcome))
    }
    const startTimer = () => {
      clearTimeout(timer)
      timer = setTimeout(() => settle({ _tag: "Hung" }), millis)
    }
    startTimer()
    supervisor.onReach = startTimer
    fiber.addObserver((exit) => settle({ _tag: "Exited", exit }))
    return Effect.sync(() => {
      settled = true
      clearTimeout(timer)
    })
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

/** What went wrong in one run, if anything. */
const judge = <R>(
  run: Run,
  step: number,
  options: Interruption.Options<R>,
  hangTimeout: Duration.Duration
): Effect.Effect<ReadonlyArray<Interruption.Failure>, never, R> => {
  if (run.outcome._tag === "Hung") {
    const after = !run.reached
      ? "(step not reached)"
      : options.mode === "yield"
        ? "after the yield"
        : "after its interruption"
    return Effect.succeed([
      {
        step,
        kind: "hang",
        message: `did not finish within ${Duration.format(hangTimeout)} ${after}`
      }
    ])
  }
  const exit = run.outcome.exit
  const failures: Array<Interruption.Failure> = []
  if (options.leaks !== false && run.live.length > 0) {
    failures.push({
      step,
      kind: "check",
      message: `leaked ${describeLive(run.live)}: ${run.live.map(describeEntry).join(", ")}`
    })
  }
  if (options.fibers !== false && run.leftRunning > 0) {
    failures.push({
      step,
      kind: "fibers",
      message: `${run.leftRunning} fiber${run.leftRunning === 1 ? "" : "s"} of the run still running after it ended`
    })
  }
  if (options.check === undefined) {
    return Effect.succeed(failures)
  }
  return Effect.map(Effect.exit(Effect.suspend(() => options.check!(exit))), (checked) => {
    if (Exit.isFailure(checked)) {
      failures.push({ step, kind: "check", message: messageOf(checked.cause) })
    }
    return failures
  })
}

/**
 * Whether to give each run fresh test services: by default, when the program runs on test
 * services (its `Clock` is a `TestClock`), so that a run that wedges them cannot wedge the
 * runs after it. A program on live services keeps them.
 */
const shouldIsolate = <R>(options: Interruption.Options<R>): Effect.Effect<boolean> =>
  options.isolate !== undefined
    ? Effect.succeed(options.isolate)
    : Effect.map(
        Effect.clock,
        (clock) => typeof (clock as { adjust?: unknown }).adjust === "function"
      )

/** @internal */
export const explore = <A, E, R, R2 = never>(
  program: Interruption.Program<A, E, R>,
  options: Interruption.Options<R2> = {}
): Effect.Effect<Interruption.Report, never, R | R2> =>
  Effect.gen(function* () {
    const { hangTimeout } = checkOptions(options, DEFAULT_HANG_TIMEOUT)
    const isolate = yield* shouldIsolate(options)
    // Two dry runs: the step count, and whether it is the same every time.
    const first = yield* runOnce(program, undefined, hangTimeout, "interrupt", isolate)
    const second = yield* runOnce(program, undefined, hangTimeout, "interrupt", isolate)
    const failures: Array<Interruption.Failure> = [
      ...(yield* judge(first, 0, options, hangTimeout))
    ]
    const steps = first.steps
    const unreached: Array<number> = []
    const sample = options.sample
    const chosen =
      sample === undefined || sample.runs >= steps
        ? undefined
        : sampleSteps(steps, sample.runs, sample.seed ?? 1)
    for (const step of chosen ?? allSteps(steps)) {
      const run = yield* runOnce(program, step, hangTimeout, options.mode, isolate)
      if (!run.reached) unreached.push(step)
      const found = yield* judge(run, step, options, hangTimeout)
      failures.push(...located(found, run))
    }
    return {
      mode: options.mode ?? "interrupt",
      steps,
      runs: (chosen?.length ?? steps) + 2,
      failures,
      ranges: toRanges(failures),
      deterministic: first.steps === second.steps,
      dryRunSteps: [first.steps, second.steps] as const,
      unreached,
      fibers: first.fibersSeen,
      isolated: isolate,
      sampled: chosen === undefined ? undefined : { runs: chosen.length, seed: sample?.seed ?? 1 }
    } satisfies Interruption.Report
  })

function* allSteps(steps: number): Generator<number> {
  for (let step = 1; step <= steps; step++) yield step
}

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

/** The failures of a run, each with where its step was. */
const located = (
  failures: ReadonlyArray<Interruption.Failure>,
  run: Run
): Array<Interruption.Failure> =>
  failures.map((failure) => (run.where === undefined ? failure : { ...failure, where: run.where }))

/** Consecutive failing steps with the same kind and message, as one range. */
export const toRanges = (
  failures: ReadonlyArray<Interruption.Failure>
): Array<Interruption.Range> => {
  const ranges: Array<Interruption.Range> = []
  for (const failure of failures) {
    const last = ranges[ranges.length - 1]
    if (
      last !== undefined &&
      last.to === failure.step - 1 &&
      last.kind === failure.kind &&
      last.message === failure.message
    ) {
      ranges[ranges.length - 1] = { ...last, to: failure.step }
    } else {
      ranges.push({
        from: failure.step,
        to: failure.step,
        kind: failure.kind,
        message: failure.message,
        ...(failure.where === undefined ? {} : { where: failure.where })
      })
    }
  }
  return ranges
}

/** @internal */
export const runAt = <A, E, R, R2 = never>(
  program: Interruption.Program<A, E, R>,
  step: number,
  options: Interruption.Options<R2> = {}
): Effect.Effect<Interruption.Replay, never, R | R2> =>
  Effect.gen(function* () {
    const { hangTimeout } = checkOptions(options, DEFAULT_HANG_TIMEOUT)
    checkStep(step)
    const isolate = yield* shouldIsolate(options)
    const run = yield* runOnce(program, step, hangTimeout, options.mode, isolate)
    const failures = located(yield* judge(run, step, options, hangTimeout), run)
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
    report.failures.length === 0
      ? Effect.succeed(report)
      : Effect.fail(new InterruptionError({ report }))
  )
