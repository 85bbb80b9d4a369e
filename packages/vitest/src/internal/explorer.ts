import { check as checkOptions, MIN_BUDGET, replayBudget, step as checkStep } from "./options.js"
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
    if (this.mode === "budget" && this.interruptAt === undefined) {
      // A `Yield` ends the fiber's turn (the budget's, or the program's own `yieldNow`); an
      // `Async` usually does (it suspends unless its callback already ran).
      const op = (effect as { _op?: unknown })._op
      if (op === "Yield" || op === "Async") this.turnEnds.push(this.steps)
      return
    }
    if (this.steps === this.interruptAt && this.root !== undefined) {
      this.reached = true
      this.where = whereOf(
        fiber === (this.root as unknown) ? "root" : (this.names.get(fiber) ?? "unseen fiber"),
        fiber,
        effect,
        this.turnOf(fiber)
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
  /** Fibers of the run still running after it ended. */
  readonly leftRunning: number
  readonly fibersSeen: number
  readonly where: Interruption.Where | undefined
  /** Budget mode, without an interruption: the steps at which a turn ended. */
  readonly turnEnds: ReadonlyArray<number>
}

/** How every run of one exploration is made. */
export interface Settings {
  readonly hangTimeout: Duration.Duration
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
    const { hangTimeout, mode, isolate, budget, target } = settings
    const probe = leakProbe.unsafeMake()
    const supervisor = new StepSupervisor(interruptAt, mode, target)
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
      where: supervisor.where,
      turnEnds: supervisor.turnEnds
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

/** What went wrong in one run, if anything, each failure labelled with how it was reached. */
const judge = <R>(
  run: Run,
  step: number,
  options: Interruption.Options<R>,
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
    return Effect.succeed([
      failure("hang", `did not finish within ${Duration.format(settings.hangTimeout)} ${after}`)
    ])
  }
  const exit = run.outcome.exit
  const failures: Array<Interruption.Failure> = []
  if (options.leaks !== false && run.live.length > 0) {
    failures.push(
      failure(
        "check",
        `leaked ${describeLive(run.live)}: ${run.live.map(describeEntry).join(", ")}`
      )
    )
  }
  if (options.fibers !== false && run.leftRunning > 0) {
    failures.push(
      failure(
        "fibers",
        `${run.leftRunning} fiber${run.leftRunning === 1 ? "" : "s"} of the run still running after it ended`
      )
    )
  }
  if (options.check === undefined) {
    return Effect.succeed(failures)
  }
  return Effect.map(Effect.exit(Effect.suspend(() => options.check!(exit))), (checked) => {
    if (Exit.isFailure(checked)) failures.push(failure("check", messageOf(checked.cause)))
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
const shouldIsolate = <R>(options: Interruption.Options<R>): Effect.Effect<boolean> =>
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
    const { hangTimeout, mode, budgets, target } = checkOptions(options, DEFAULT_HANG_TIMEOUT)
    const settings: Settings = {
      hangTimeout,
      mode,
      target,
      isolate: yield* shouldIsolate(options)
    }
    // Two dry runs: the step count, and whether it is the same every time.
    const first = yield* runOnce(program, undefined, settings)
    const second = yield* runOnce(program, undefined, settings)
    let runs = 2
    const explored: Array<{
      readonly point: Point
      readonly failures: ReadonlyArray<Interruption.Failure>
    }> = [{ point: { step: 0 }, failures: yield* judge(first, 0, options, settings) }]
    const steps = first.steps
    // Budget mode: one more dry run per budget finds where the runtime ends turns with it.
    let points: Array<Point>
    const perBudget: Array<Interruption.BudgetRun> = []
    if (mode === "budget") {
      points = []
      for (const budget of budgets) {
        const dry = yield* runOnce(program, undefined, { ...settings, budget })
        runs++
        perBudget.push({ budget, steps: dry.steps, points: dry.turnEnds.length })
        for (const step of dry.turnEnds) points.push({ step, budget })
      }
    } else {
      points = Array.from({ length: steps }, (_, i) => ({ step: i + 1 }))
    }
    const sample = options.sample
    const chosen =
      sample === undefined || sample.runs >= points.length
        ? points
        : sampleSteps(points.length, sample.runs, sample.seed ?? 1).map((i) => points[i - 1]!)
    const unreached: Array<number> = []
    for (const point of chosen) {
      const pointSettings =
        point.budget === undefined ? settings : { ...settings, budget: point.budget }
      const run = yield* runOnce(program, point.step, pointSettings)
      runs++
      if (!run.reached) unreached.push(point.step)
      explored.push({ point, failures: yield* judge(run, point.step, options, pointSettings) })
    }
    const failures = explored.flatMap((e) => e.failures)
    return {
      mode,
      steps,
      runs,
      failures,
      ranges: toRanges(explored),
      reachable: failures.filter((f) => f.reach !== "explorer-only").length,
      deterministic: first.steps === second.steps,
      dryRunSteps: [first.steps, second.steps] as const,
      unreached,
      fibers: first.fibersSeen,
      isolated: settings.isolate,
      target,
      ...(mode === "budget" ? { budgets: perBudget } : {}),
      sampled: chosen === points ? undefined : { runs: chosen.length, seed: sample?.seed ?? 1 }
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

const sameRange = (range: Interruption.Range, failure: Interruption.Failure): boolean =>
  range.kind === failure.kind &&
  range.message === failure.message &&
  range.reach === failure.reach &&
  range.budget === failure.budget

/** @internal */
export const runAt = <A, E, R, R2 = never>(
  program: Interruption.Program<A, E, R>,
  step: number,
  options: Interruption.Options<R2> = {}
): Effect.Effect<Interruption.Replay, never, R | R2> =>
  Effect.gen(function* () {
    const { hangTimeout, mode, budget, target } = checkOptions(options, DEFAULT_HANG_TIMEOUT)
    checkStep(step)
    const settings: Settings = {
      hangTimeout,
      mode,
      target,
      isolate: yield* shouldIsolate(options),
      ...(mode === "budget" ? { budget: replayBudget(budget) } : {})
    }
    const run = yield* runOnce(program, step, settings)
    const failures = yield* judge(run, step, options, settings)
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
    (options.failOn === "reachable" ? report.reachable : report.failures.length) === 0
      ? Effect.succeed(report)
      : Effect.fail(new InterruptionError({ report }))
  )
