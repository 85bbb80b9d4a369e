import {
  parseSchedule,
  refuseAll,
  replayPass,
  check as checkOptions,
  type Checked,
  MIN_BUDGET,
  program as checkProgram,
  replayBudget,
  step as checkStep
} from "./options.js"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as GlobalValue from "effect/GlobalValue"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Ref from "effect/Ref"
import * as RuntimeFlags from "effect/RuntimeFlags"
import * as RuntimeFlagsPatch from "effect/RuntimeFlagsPatch"
import * as Scheduler from "effect/Scheduler"
import type * as Scope from "effect/Scope"
import * as Supervisor from "effect/Supervisor"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as TestAnnotationMap from "effect/TestAnnotationMap"
import * as TestAnnotations from "effect/TestAnnotations"
import * as TestClock from "effect/TestClock"
import * as TestContext from "effect/TestContext"
import * as TestLive from "effect/TestLive"
import * as TestServices from "effect/TestServices"
import { Timer, Tracking } from "@scopeguard/core"
import type * as Interruption from "../Interruption.js"
import * as leakProbe from "./leakProbe.js"
import { InterruptionError } from "../Errors.js"
import { describeEntry, describeLive, isReachable } from "./describe.js"
import * as progress from "./progress.js"
import { toRanges as groupRanges } from "./common/ranges.js"
import * as quiescence from "./quiescence.js"
import * as reach from "./reach.js"
import * as sites from "./sites.js"

/** The modes a pass runs in (`"all"` is a schedule of passes). */
type PassMode = Exclude<Interruption.Mode, "all">

/** Where a fiber of the run was forked, read once in a dry run (`Where.forkedAt`, `Where.internal`). */
interface ForkSite {
  readonly forkedAt?: string | undefined
  readonly internal: boolean
}

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

/**
 * How long the explorer runs runs back to back before it lets the event loop turn (ms). An
 * exploration is a chain of promise reactions that never reaches Node's poll phase: under
 * vitest 3 a worker kept from it for 60 s misses the reply to its own report of progress and
 * fails the run ("Timeout calling onTaskUpdate"), and nothing else of the process (I/O, timers)
 * runs meanwhile. Between two runs, so nothing of a run is affected.
 */
const BREATH_EVERY = 1_000
let lastBreath = performance.now()
const breathe: Effect.Effect<void> = Effect.suspend(() =>
  performance.now() - lastBreath < BREATH_EVERY
    ? Effect.void
    : Effect.async<void>((resume) => {
        setImmediate(() => {
          lastBreath = performance.now()
          resume(Effect.void)
        })
      })
)

/** The fiber id the explorer interrupts with, so that traces name it. */
const explorerId = FiberId.make(-1, 0)

/** The key under which Effect's runtime keeps the fiber that is executing. */
const CURRENT_FIBER = "effect/FiberCurrent"

/** The runtime's primitives a step can be (`effect._op`) that the reductions tell apart. */
const PUSH_OPS: ReadonlySet<unknown> = new Set(["OnSuccess", "OnFailure", "OnSuccessAndFailure"])
/**
 * Steps of request batching, which saves and restores a fiber's refs (its pending
 * interruption with them): never equivalent to the step after.
 */
const BATCHING_OPS: ReadonlySet<unknown> = new Set(["OnStep", "Blocked", "RunBlocked"])
/** Steps that end the fiber's run loop (it suspends, or yields). */
const TURN_END_OPS: ReadonlySet<unknown> = new Set(["Async", "Yield"])

/** What the dry run notes about each step (`StepLog.bits`). */
const QUIET = 1 // no other fiber of the run is ready to run (nothing of it on the scheduler)
const INERT = 2 // an interruption sent now would not be acted on before the region ends
const INSERTED = 4 // the runtime's own yield, inserted when the fiber used its budget
const PREEMPTED = 8 // the operation seen at this step did not run: the runtime yielded first
const TARGET_DONE = 16 // the interruption's target has already ended
const OBSERVED = 32 // the operation read its fiber's pending interruption (or all its refs)
const BUILDER = 64 // the operation only built the next one: nothing ran, nothing changed

/**
 * Operations that only build the next one, by the run loop's own handlers (`fiberRuntime.ts`):
 * a `Context.Tag` yielded makes the `sync` that reads the service, an `Option` or `Either`
 * makes the success or failure it stands for.
 */
const BUILDING_OPS: ReadonlySet<unknown> = new Set(["Tag", "Some", "None", "Left", "Right"])

/**
 * The operations that only build the next one: a `Commit` whose `commit` is the one of
 * `Effect.uninterruptibleMask` or `Effect.interruptibleMask` makes the region's
 * `UpdateRuntimeFlags` operation and returns it — the mask's function (user code) runs only
 * in that next operation. It reads nothing and writes nothing (the fiber's stack, refs and
 * flags are untouched): interrupted or preempted before it or after it, the fiber is in the
 * same state, as after a pushed continuation. Told apart by their source text, the same for
 * every mask the runtime makes (each `commit` is a new closure of one function, whose text
 * names the runtime's own internals); read once per closure. A step that reads shared state
 * is not one, however little it does: `Resource.get`'s first step reads the resource's phase,
 * which another fiber running in the gap can change (a test races a close against it).
 */
const builderSources: ReadonlySet<string> = new Set(
  [Effect.uninterruptibleMask(() => Effect.void), Effect.interruptibleMask(() => Effect.void)]
    .map((mask) => (mask as unknown as { commit?: unknown }).commit)
    .filter((commit): commit is () => unknown => typeof commit === "function")
    .map((commit) => Function.prototype.toString.call(commit))
)
const builders = new WeakMap<object, boolean>()
const onlyBuilds = (effect: unknown): boolean => {
  const commit = (effect as { commit?: unknown }).commit
  if (typeof commit !== "function") return false
  let known = builders.get(commit)
  if (known === undefined) {
    known = builderSources.has(Function.prototype.toString.call(commit))
    builders.set(commit, known)
  }
  return known
}

/** The ref a fiber keeps its pending interruption in. */
const interruptedCause: unknown = FiberRef.interruptedCause

/**
 * Dry runs: makes a fiber tell the supervisor when anything reads its pending interruption —
 * `isInterrupted`, `Effect.descriptor`, `FiberRef.get(FiberRef.interruptedCause)`, or all of
 * its refs at once (`Effect.getFiberRefs`, a logger's context), whatever the code that asks
 * (`withFiberRuntime`, `Fiber.getCurrentFiber` in a `sync`): the step that does is not
 * equivalent to the one after it.
 */
const noteReads = (fiber: unknown, supervisor: { observed: boolean }): void => {
  const runtime = fiber as {
    getFiberRef: (ref: unknown) => unknown
    getFiberRefs: () => unknown
  }
  const getFiberRef = runtime.getFiberRef
  const getFiberRefs = runtime.getFiberRefs
  if (typeof getFiberRef !== "function" || typeof getFiberRefs !== "function") return
  runtime.getFiberRef = function (this: unknown, ref: unknown) {
    if (ref === interruptedCause) supervisor.observed = true
    return getFiberRef.call(this, ref)
  }
  runtime.getFiberRefs = function (this: unknown) {
    supervisor.observed = true
    return getFiberRefs.call(this)
  }
}

/**
 * The steps of a dry run, as the reductions need them: which fiber ran each, the operation,
 * the span, the turn position and what `bits` says. Index 0 is unused (steps count from 1).
 */
class StepLog {
  readonly fiber: Array<number> = [-1]
  readonly op: Array<string> = [""]
  readonly span: Array<object | undefined> = [undefined]
  readonly turn: Array<number> = [0]
  readonly bits: Array<number> = [0]
  /** By fiber index: the name, the last step, and whether its turn ended on its own there. */
  readonly names: Array<string> = []
  readonly lastStep: Array<number> = []
  readonly endedThere: Array<boolean> = []
}

/**
 * The scheduler of every fiber of a run: the caller's, counting the run's tasks that are
 * scheduled and not yet started. Zero while a fiber runs means no other fiber of the run is
 * ready; every task is handed on unchanged, with its fiber (Effect keeps one queue per fiber).
 */
class RunScheduler implements Scheduler.Scheduler {
  pending = 0
  constructor(
    readonly inner: Scheduler.Scheduler,
    readonly supervisor: StepSupervisor
  ) {}
  shouldYield(fiber: Fiber.RuntimeFiber<unknown, unknown>): number | false {
    return this.inner.shouldYield(fiber)
  }
  scheduleTask(
    task: Scheduler.Task,
    priority: number,
    fiber?: Fiber.RuntimeFiber<unknown, unknown>
  ): void {
    this.pending++
    this.supervisor.onSchedule(fiber)
    this.inner.scheduleTask(
      () => {
        this.pending--
        try {
          task()
        } finally {
          if (this.pending === 0) this.supervisor.onQuiet()
        }
      },
      priority,
      fiber
    )
  }
}

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
  /** The run's root: the first fiber to run a step (supervision starts inside it). */
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

  /** The scheduler of the run's fibers (`Effect.withScheduler`), set by `runOnce`. */
  scheduler: RunScheduler | undefined = undefined
  /** A fiber of the run used another scheduler: its readiness cannot be seen. */
  foreign = false
  /**
   * Operations run during the run by fibers it could not see: started by a runtime without
   * `Interruption.layer` (`reach.witness` counts them).
   */
  unseen = 0
  /** Dry runs: every step noted, for the reductions. */
  log: StepLog | undefined = undefined
  /** Dry runs: a fiber of the run read its pending interruption since the last step. */
  observed = false
  private readonly indexes = new Map<unknown, number>()
  private lastFiber = -1

  /** The run's own timers, I/O and promises (`quiescence`), when the runtime can tell them. */
  owner: quiescence.Owner | undefined = undefined
  /** A fiber of the run was woken by something that is not the run's own. */
  unattributed = false
  /** Set while the explorer's own interruption task runs (it is not a wake-up from outside). */
  acting = false
  /** The fiber whose step is a `Yield`, and then the one that has just yielded. */
  private yielding: unknown = undefined
  private selfYield: unknown = undefined
  onQuiet: () => void = () => {}

  /**
   * The representative of equivalent points: how far its turn after the perturbation goes,
   * to confirm each of them would end it at the same operation (see `Reduced`).
   */
  watchSpan = -1
  private watched: unknown = undefined
  private watchState: "waiting" | "watching" | "done" = "done"
  private watchMax = 0
  private watchLast = 0
  private watchBudgetYield = false
  private watchNextIsBudget = false
  private watchBusy = false
  /** Whether the representative's turn confirmed the equivalence (`undefined`: not known). */
  aligned: boolean | undefined = undefined

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
  /** Budget mode: the fiber whose turn ended at each of `turnEnds` (its name). */
  readonly turnEndFibers: Array<string> = []

  private readonly budgetMode: boolean

  constructor(
    readonly interruptAt: number | undefined,
    readonly mode: PassMode,
    readonly target: Interruption.Target
  ) {
    super()
    this.budgetMode = mode === "budget"
  }

  value = Effect.void

  /**
   * A dry run: where each fiber was forked (by name), read from its parent's stack as it forks
   * (`sites.siteOf`, an inspector call: too costly for every run, and the same in each).
   */
  sites: Map<string, sites.Captured | undefined> | undefined = undefined
  /** Asked for the user code nearest to step `interruptAt` (`Where.near`), read at the step. */
  nearWanted = false
  near: sites.Captured | undefined = undefined

  /** Whether a fiber belongs to this run (its root, or one the run started). */
  isRunFiber(fiber: unknown): boolean {
    return fiber === this.root || this.running.has(fiber as Fiber.RuntimeFiber<unknown, unknown>)
  }

  /** Something scheduled a task of the run: a wake-up is the run's own, or from outside. */
  onSchedule(fiber: unknown): void {
    if (fiber !== undefined && fiber === this.selfYield) {
      // A fiber that has just yielded schedules itself to go on, once its run loop has
      // returned (no fiber is executing then): its own, not a wake-up.
      this.selfYield = undefined
      return
    }
    if (this.owner === undefined || this.unattributed || this.acting || this.finished) return
    const current = (globalThis as Record<string, unknown>)[CURRENT_FIBER]
    if (current !== undefined && this.isRunFiber(current)) return
    if (this.owner.executing()) return
    this.unattributed = true
  }

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
      if (this.log !== undefined) noteReads(fiber, this)
      const name = `fiber ${this.fibersSeen}`
      this.names.set(fiber, name)
      if (this.sites !== undefined && sites.available()) {
        // Forked by user code when the fiber's handle goes to the program's own code at once
        // or through one combinator (`FiberSet.run`'s `tap`); more library frames above the
        // nearest user frame, or none of it, mean a library's internals forked it.
        this.sites.set(name, Option.isSome(parent) ? sites.capture(parent.value) : undefined)
      }
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
    if (this.log !== undefined) {
      const index = this.indexes.get(fiber)
      if (index !== undefined) this.log.endedThere[index] = true
    }
    if (fiber === this.watched) this.endWatch(true)
  }

  override onSuspend<A, E>(fiber: Fiber.RuntimeFiber<A, E>) {
    this.selfYield = this.yielding === fiber ? fiber : undefined
    this.yielding = undefined
    if (fiber !== this.watched) return
    if (this.watchState === "waiting") {
      // The perturbation's own yield: the turn to watch starts when the fiber resumes.
      this.watchState = "watching"
    } else if (this.watchState === "watching") {
      if (this.watchNextIsBudget) {
        this.watchNextIsBudget = false
        this.watchLast = 0
      } else {
        this.endWatch(true)
      }
    }
  }

  /** The root ended (its last operations run outside the supervised region). */
  rootEnded(): void {
    const root = this.root as unknown as { currentOpCount?: number } | undefined
    const count = root?.currentOpCount ?? 0
    if (this.log !== undefined) {
      const index = this.indexes.get(this.root)
      // Its turn ended on its own if the runtime did not yield in those last operations.
      if (index !== undefined && count >= this.rootCount) this.log.endedThere[index] = true
    }
    if (this.root === this.watched && this.watchState === "watching") {
      if (count < this.watchLast) this.watchBudgetYield = true
      this.watchMax = Math.max(this.watchMax, count)
      this.endWatch(true)
    }
  }

  private endWatch(natural: boolean): void {
    if (this.watchState === "done") return
    const waiting = this.watchState === "waiting"
    this.watchState = "done"
    if (!natural || waiting) {
      this.aligned = false
      return
    }
    const fiber = this.watched as {
      getFiberRef?: (ref: FiberRef.FiberRef<number>) => number
    }
    const budget = fiber.getFiberRef?.(FiberRef.currentMaxOpsBeforeYield) ?? 0
    // Every equivalent point's run is this one with the turn started up to `watchSpan`
    // operations apart: it ends the turn where this one did if no budget yield can fall in
    // it (A), or if every budget yield in it found nothing else to run (B).
    this.aligned =
      (!this.watchBudgetYield && this.watchMax + this.watchSpan < budget) || !this.watchBusy
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
  /** The root's operation count at its last step (`rootEnded` compares it). */
  private rootCount = 0

  /** The operations the fiber has run in its current turn before this one. */
  turnOf(fiber: unknown): number {
    const count = (fiber as { currentOpCount?: number }).currentOpCount ?? 0
    return fiber === this.root && this.rootOffset > 0 ? count - this.rootOffset : count
  }

  /** A dry run's step, noted for the reductions. */
  private note(fiber: unknown, effect: unknown): void {
    const log = this.log!
    const runtime = fiber as {
      _isYielding?: boolean
      currentRuntimeFlags: RuntimeFlags.RuntimeFlags
      currentSpan?: object
    }
    let index = this.indexes.get(fiber)
    if (index === undefined) {
      index = log.names.length
      this.indexes.set(fiber, index)
      log.names.push(fiber === this.root ? "root" : (this.names.get(fiber) ?? "unseen fiber"))
      log.lastStep.push(0)
      log.endedThere.push(false)
    }
    // What ran since the previous step (its operation) read a pending interruption.
    if (this.observed) {
      this.observed = false
      log.bits[this.steps - 1]! |= OBSERVED
    }
    const op = (effect as { _op?: unknown })._op
    let bits = 0
    if (this.scheduler!.pending === 0 && !this.foreign) bits |= QUIET
    if (BUILDING_OPS.has(op) || (op === "Commit" && onlyBuilds(effect))) bits |= BUILDER
    if (op === "Yield" && runtime._isYielding === true) {
      bits |= INSERTED
      // The runtime yielded before the operation seen at the previous step ran.
      if (this.lastFiber === index) log.bits[this.steps - 1]! |= PREEMPTED
    }
    const interruptible = RuntimeFlags.interruptible(runtime.currentRuntimeFlags)
    const target = this.target === "holder" ? fiber : this.root
    if (target === fiber) {
      if (!interruptible) bits |= INERT
    } else {
      const t = target as {
        _exitValue?: unknown
        _asyncInterruptor?: unknown
        _running?: boolean
        _children?: Set<unknown> | null
      }
      if (t._exitValue !== null && t._exitValue !== undefined) {
        bits |= INERT | TARGET_DONE
      } else if (
        t._asyncInterruptor === null &&
        t._running === false &&
        (!interruptible || !(t._children?.has(fiber) ?? false))
      ) {
        // Suspended where it cannot be interrupted: it notes the interruption, tells its
        // children (who act on it when they next run), and waits on.
        bits |= INERT
      }
    }
    log.fiber.push(index)
    log.op.push(typeof op === "string" ? op : "?")
    log.span.push(runtime.currentSpan)
    log.turn.push(this.turnOf(fiber))
    log.bits.push(bits)
    log.lastStep[index] = this.steps
    this.lastFiber = index
  }

  /** The representative's fiber, after the perturbation: how its turn goes. */
  private watch(fiber: unknown, effect: unknown): void {
    const runtime = fiber as { currentOpCount: number; _isYielding?: boolean }
    const count = runtime.currentOpCount
    if (count > this.watchMax) this.watchMax = count
    this.watchLast = count
    if (this.scheduler!.pending > 0 || this.foreign) this.watchBusy = true
    if ((effect as { _op?: unknown })._op === "Yield" && runtime._isYielding === true) {
      this.watchBudgetYield = true
      this.watchNextIsBudget = true
    }
  }

  override onEffect<A, E>(fiber: Fiber.RuntimeFiber<A, E>, effect: Effect.Effect<any, any, any>) {
    if (this.finished) return
    const step = ++this.steps
    const runtime = fiber as unknown as { currentScheduler: unknown; currentOpCount: number }
    if (fiber === (this.root as unknown)) {
      // Until the root's first turn ends: its position in that turn (`turnOf`).
      if (this.rootOffset !== 0) {
        const count = runtime.currentOpCount
        if (count < this.rootLast) this.rootOffset = 0 // a new turn: counted from its start
        this.rootLast = count
      }
      if (this.log !== undefined) this.rootCount = runtime.currentOpCount
    } else if (this.root === undefined) {
      this.root = fiber as Fiber.RuntimeFiber<unknown, unknown>
      this.rootOffset = this.rootLast = this.rootCount = runtime.currentOpCount
      if (this.log !== undefined) noteReads(fiber, this)
    }
    if (
      runtime.currentScheduler !== this.scheduler &&
      runtime.currentScheduler !== reach.scheduler
    ) {
      this.foreign = true
    }
    if (this.owner !== undefined && (effect as { _op?: unknown })._op === "Yield") {
      this.yielding = fiber
    }
    if (this.log !== undefined) this.note(fiber, effect)
    if (fiber === this.watched && this.watchState === "watching") this.watch(fiber, effect)
    if (this.budgetMode) {
      if (this.interruptAt === undefined) {
        // A `Yield` ends the fiber's turn (the budget's, or the program's own `yieldNow`); an
        // `Async` usually does (it suspends unless its callback already ran).
        const op = (effect as { _op?: unknown })._op
        if (op === "Yield" || op === "Async") {
          this.turnEnds.push(step)
          this.turnEndFibers.push(
            fiber === (this.root as unknown) ? "root" : (this.names.get(fiber) ?? "unseen fiber")
          )
        }
        return
      }
      if (!(fiber as unknown as { _isYielding?: boolean })._isYielding) {
        this.lastOp.set(fiber, { effect, turn: this.turnOf(fiber) })
      }
    }
    if (step === this.interruptAt) this.reach(fiber as Fiber.RuntimeFiber<unknown, unknown>, effect)
  }

  /** Step `interruptAt`: the perturbation. */
  private reach(
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    effect: Effect.Effect<any, any, any>
  ): void {
    this.reached = true
    if (this.nearWanted) this.near = sites.capture(fiber)
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
    const root = this.root!
    // Whom the interruption is for: the program's root, or the fiber holding step k (a
    // request's fiber cut off while the program goes on).
    const target: Fiber.RuntimeFiber<unknown, unknown> =
      this.target === "holder" ? (fiber as Fiber.RuntimeFiber<unknown, unknown>) : root
    if (this.watchSpan >= 0 && this.mode !== "budget") {
      this.watched = fiber
      this.watchState = "waiting"
    }
    const interrupt = () => {
      this.acting = true
      try {
        target.unsafeInterruptAsFork(explorerId)
      } finally {
        this.acting = false
      }
    }
    if (this.mode === "budget") {
      // Nothing forced: the fiber runs on until its turn ends where the runtime ends it (the
      // budget set with `withMaxOpsBeforeYield`, or an async wait), and the interruption is
      // the next task on the scheduler — what another fiber interrupting the program does.
      target.currentScheduler.scheduleTask(interrupt, 0, target)
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
      target.currentScheduler.scheduleTask(interrupt, 0, target)
    } else {
      // The root is suspended: it handles the interruption (and interrupts its children)
      // before the paused fiber resumes, so that fiber is interrupted before step k too.
      root.unsafeInterruptAsFork(explorerId)
    }
    this.onReach()
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
    | {
        readonly _tag: "Hung"
        /** Told at once: no fiber of the run could ever run again (`quiescence`). */
        readonly stuck: boolean
      }
  readonly live: ReadonlyArray<Tracking.Entry>
  /** The fibers of the run still running after it ended, described (`StepSupervisor.describe`). */
  readonly leftRunning: ReadonlyArray<string>
  readonly fibersSeen: number
  readonly where: Interruption.Where | undefined
  /** Budget mode, without an interruption: the steps at which a turn ended. */
  readonly turnEnds: ReadonlyArray<number>
  readonly turnEndFibers: ReadonlyArray<string>
  /** The run's wall-clock time, in milliseconds (to its end, or to the hang bound). */
  readonly millis: number
  /** The bound it was held to (`Settings.runBound`). */
  readonly bound: Duration.Duration
  /** A dry run's steps, noted for the reductions (when asked for). */
  readonly log: StepLog | undefined
  /** A representative's run: whether its turn confirmed its equivalent points. */
  readonly aligned: boolean
  /** Whether every wake-up of its fibers was the run's own (nothing from outside the run). */
  readonly closed: boolean
  /** A dry run: where each fiber was forked (`RunOptions.sites`). */
  readonly sites: ReadonlyMap<string, ForkSite> | undefined
  /** The user code nearest to the step (`RunOptions.near`). */
  readonly near: string | undefined
}

/** How every run of one exploration is made. */
export interface Settings {
  readonly hangTimeout: Duration.Duration
  /**
   * The wall-clock bound of a run, from its start and again from its interruption: for an
   * uninterrupted run `max(hangTimeout, UNINTERRUPTED_FLOOR)`, for the others `runBoundOf`.
   */
  readonly runBound: Duration.Duration
  readonly mode: PassMode
  readonly isolate: boolean
  readonly target: Interruption.Target
  /** Budget mode: the runtime's operations per turn (`Effect.withMaxOpsBeforeYield`). */
  readonly budget?: number | undefined
  /**
   * Whether a run whose fibers can never run again is a hang at once (`quiescence`): only
   * once an uninterrupted run showed that nothing outside the run wakes its fibers.
   */
  readonly detect: boolean
  /** The fibers a library's internals forked, by name (`Where.internal`). */
  readonly internal: ReadonlySet<string>
}

/**
 * The settings of a run without interruption (a dry run, `runAt`'s first run): bounded by
 * `uninterruptedBound`, no hang told at once yet, no fiber known to be a library's.
 */
const drySettings = (
  hangTimeout: Duration.Duration,
  mode: PassMode,
  target: Interruption.Target,
  isolate: boolean,
  budget?: number
): Settings => ({
  hangTimeout,
  runBound: uninterruptedBound(hangTimeout),
  mode,
  target,
  isolate,
  detect: false,
  internal: new Set(),
  ...(budget === undefined ? {} : { budget })
})

/** What one exploration sets up once for all of its runs. */
export interface Shared {
  /** Fresh test services for one run, when runs are isolated. */
  readonly isolate: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Installs a run's tracker. */
  readonly track: <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    tracker: Tracking.Tracker
  ) => Effect.Effect<A, E, R>
  /** The most operations one run ran unseen (`Report.outsideControl`). */
  readonly unseen: { max: number }
  /** The scheduler the caller's fibers use (each run's scheduler hands its tasks on to it). */
  readonly scheduler: Scheduler.Scheduler
  /** Installs a run's supervisor, with the caller's if it has one (`Effect.supervised`). */
  readonly supervise: <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    supervisor: Supervisor.Supervisor<unknown>
  ) => Effect.Effect<A, E, R>
}

const opSupervision = RuntimeFlagsPatch.enable(RuntimeFlags.OpSupervision)

/** Per-run options of `runOnce` beyond the settings. */
interface RunOptions {
  /** Note every step (a dry run, for the reductions). */
  readonly log?: boolean
  /** A representative: the spread of the equivalent points its turn has to confirm. */
  readonly watchSpan?: number
  /** Read where each fiber was forked (a dry run). */
  readonly sites?: boolean
  /** Read the user code nearest to the step (`Where.near`). */
  readonly near?: boolean
}

/**
 * Runs the program once from scratch, optionally interrupting it at step `interruptAt`, and
 * waits at most `hangTimeout` (wall-clock) after the interruption — or after the start, when
 * there is none — for it to finish.
 */
export const runOnce = <A, E, R>(
  program: Interruption.Program<A, E, R>,
  interruptAt: number | undefined,
  settings: Settings,
  shared: Shared,
  options: RunOptions = {}
): Effect.Effect<Run, never, R> =>
  Effect.suspend(() => {
    const { runBound, mode, budget, target } = settings
    const probe = leakProbe.unsafeMake()
    const supervisor = new StepSupervisor(interruptAt, mode, target)
    const scheduler = new RunScheduler(shared.scheduler, supervisor)
    supervisor.scheduler = scheduler
    // Readiness is only known on the runtime's own scheduler (a task runs when it says).
    if (!(shared.scheduler instanceof Scheduler.MixedScheduler)) supervisor.foreign = true
    if (options.log === true && mode !== "budget") supervisor.log = new StepLog()
    if (options.watchSpan !== undefined) supervisor.watchSpan = options.watchSpan
    if (options.sites === true) supervisor.sites = new Map()
    if (options.near === true) supervisor.nearWanted = true
    const owner = quiescence.track((fiber) => supervisor.isRunFiber(fiber))
    supervisor.owner = owner
    // A factory is called once per run, before the run's first step: each run starts from
    // fresh state. One that throws makes a run that dies with what it threw, one that returns
    // something else than an Effect a run that dies saying so (both are reported as defects).
    let made: Effect.Effect<A, E, R>
    if (Effect.isEffect(program)) {
      made = program
    } else {
      try {
        const effect: unknown = program()
        made = Effect.isEffect(effect)
          ? (effect as Effect.Effect<A, E, R>)
          : Effect.die(new Error(`the program function returned ${show(effect)}, not an Effect`))
      } catch (error) {
        made = Effect.die(error)
      }
    }
    const supervised = made.pipe(
      // Budget mode: the runtime's own per-turn budget, inherited by every fiber of the run.
      (effect) => (budget === undefined ? effect : Effect.withMaxOpsBeforeYield(effect, budget)),
      (effect) => shared.supervise(effect, supervisor),
      Effect.withRuntimeFlagsPatch(opSupervision),
      (effect) => shared.track(effect, probe.tracker),
      (effect) => Effect.withScheduler(effect, scheduler),
      // Fresh test services per run, built outside the counted region: a run that wedges its
      // TestClock cannot wedge the next.
      (effect) => (settings.isolate ? shared.isolate(effect) : effect)
    )
    // A daemon, so that a hung run can be abandoned: a child would be awaited when the
    // explorer ends. The supervisor takes the first fiber to run a step as the root. While
    // the run lasts, `Interruption.layer`'s runtimes hand their fibers to its supervisor.
    reach.enter(supervisor)
    return Effect.flatMap(Effect.forkDaemon(supervised), (fiber) => {
      const started = performance.now()
      return Effect.flatMap(
        awaitWithin(fiber, supervisor, runBound, settings.detect).pipe(
          Effect.onInterrupt(() => Fiber.interruptFork(fiber))
        ),
        (outcome) =>
          Effect.gen(function* () {
            const millis = performance.now() - started
            if (outcome._tag === "Hung") {
              supervisor.finished = true
              // Abandoned: it may be stuck in an uninterruptible region, so do not wait for it.
              yield* Fiber.interruptFork(fiber)
            } else {
              // Fibers that were interrupted as the run ended finish on the next turns.
              for (let turn = 0; turn < 3 && supervisor.running.size > 0; turn++) {
                yield* Effect.yieldNow()
              }
              supervisor.finished = true
            }
            quiescence.end(owner)
            reach.leave(supervisor)
            shared.unseen.max = Math.max(shared.unseen.max, supervisor.unseen)
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
              turnEndFibers: supervisor.turnEndFibers,
              millis,
              bound: runBound,
              log: supervisor.log,
              aligned: supervisor.aligned === true,
              ...resolveSites(supervisor),
              closed: owner !== undefined && !supervisor.unattributed && !supervisor.foreign
            } satisfies Run
          })
      )
    }).pipe(Effect.ensuring(Effect.sync(() => reach.leave(supervisor))))
  })

/**
 * Where the run's fibers were forked and the user code nearest to its step, resolved once the
 * run is over (`sites.resolveAll` may turn the debugger on a moment; never while a run runs).
 * Forked by user code when the fiber's handle goes to the program's own code at once or
 * through one combinator (`FiberSet.run`'s `tap`); more library frames above the nearest user
 * frame, or none of it, mean a library's internals forked it. A fiber a runtime started (no
 * parent) is not called internal.
 */
const resolveSites = (supervisor: StepSupervisor): Pick<Run, "sites" | "near"> => {
  const captured = supervisor.sites
  if (captured === undefined && supervisor.near === undefined) {
    return { sites: undefined, near: undefined }
  }
  const names = captured === undefined ? [] : Array.from(captured.keys())
  const resolved = sites.resolveAll([supervisor.near, ...names.map((name) => captured!.get(name))])
  const forkSites = new Map<string, ForkSite>()
  names.forEach((name, i) => {
    const site = resolved[i + 1]
    const hadParent = captured!.get(name) !== undefined
    forkSites.set(
      name,
      site === undefined
        ? { internal: hadParent }
        : { forkedAt: site.source, internal: site.above >= 2 }
    )
  })
  return { sites: captured === undefined ? undefined : forkSites, near: resolved[0]?.source }
}

/**
 * Waits for the fiber's exit, or for `hangTimeout` of wall-clock time after the interruption
 * (the timer is restarted when it is sent). Real time on purpose: a hang must be detected even
 * when the program runs on the `TestClock`. The timer is `Timer.set`'s: a bound above 2³¹−1 ms
 * is honoured (a bare `setTimeout` fires it after 1 ms), an infinite one sets none.
 *
 * With `detect`, a run is a hang at once when it is stuck: its root has not ended, no fiber of
 * it is ready to run, and nothing of its own that could wake one is pending before the bound
 * (`quiescence`) — checked each time its last ready fiber stops, after the event loop's
 * current phase (`setImmediate`), once the interruption has been sent.
 */
const awaitWithin = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  supervisor: StepSupervisor,
  hangTimeout: Duration.Duration,
  detect: boolean
): Effect.Effect<Run["outcome"]> =>
  Effect.async<Run["outcome"]>((resume) => {
    let cancel: Timer.Cancel = () => {}
    let settled = false
    let deadline = Infinity
    const bound = Duration.toMillis(hangTimeout)
    const settle = (outcome: Run["outcome"]) => {
      if (settled) return
      settled = true
      cancel()
      resume(Effect.succeed(outcome))
    }
    const startTimer = () => {
      cancel()
      if (settled) return
      deadline = performance.now() + bound
      // Made while a fiber of the run executes (the interruption): the explorer's, not the run's.
      cancel = quiescence.untracked(() =>
        Timer.set("hangTimeout", hangTimeout, () => settle({ _tag: "Hung", stuck: false }))
      )
    }
    startTimer()
    const owner = supervisor.owner
    let checking = false
    const stuck = (): boolean => {
      const root = supervisor.root
      return (
        root !== undefined &&
        root.unsafePoll() === null &&
        (supervisor.interruptAt === undefined || supervisor.reached) &&
        supervisor.scheduler!.pending === 0 &&
        !supervisor.foreign &&
        !supervisor.unattributed &&
        owner!.live(deadline) === 0
      )
    }
    const check = () => {
      checking = false
      if (!settled && stuck()) settle({ _tag: "Hung", stuck: true })
    }
    const request = () => {
      if (checking || settled) return
      checking = true
      quiescence.untracked(() => setImmediate(check))
    }
    const detecting = detect && owner !== undefined && Number.isFinite(bound)
    if (detecting) {
      supervisor.onQuiet = request
      owner.onChange = request
      // It may already be quiet (the root started before this wait was set up).
      request()
    }
    supervisor.onReach = () => {
      startTimer()
      if (detecting) request()
    }
    const observer = (exit: Exit.Exit<unknown, unknown>) => {
      supervisor.rootEnded()
      settle({ _tag: "Exited", exit })
    }
    fiber.addObserver(observer)
    return Effect.sync(() => {
      settled = true
      cancel()
      fiber.removeObserver(observer)
    })
  })

/**
 * The per-run setup of one exploration: fresh test services for each run made cheaply (the
 * stateless ones built once, a new `TestClock` and `TestAnnotations` per run), and each run's
 * tracker installed with a fiber ref rather than a scope.
 */
const makeShared = (isolate: boolean): Effect.Effect<Shared, never, Scope.Scope> =>
  Effect.gen(function* () {
    // What a run owns is tracked while the exploration lasts (`quiescence`).
    yield* Effect.acquireRelease(Effect.sync(quiescence.hold), () =>
      Effect.sync(quiescence.release)
    )
    const scheduler = yield* FiberRef.get(FiberRef.currentScheduler)
    // Without a supervisor of the caller's, the run's is set alone: `Effect.supervised`
    // would zip it with `Supervisor.none`, a call more per step.
    const supervise: Shared["supervise"] = [Supervisor.none, reach.witness].includes(
      yield* FiberRef.get(FiberRef.currentSupervisor)
    )
      ? (effect, supervisor) => Effect.locally(effect, FiberRef.currentSupervisor, supervisor)
      : (effect, supervisor) => Effect.supervised(effect, supervisor)
    // The tracker's fiber ref, the one `Tracking.withTracker` sets: installing it directly
    // costs a fiber ref, not a scope per run. Checked against `withTracker` itself, and each
    // run installs its tracker the slow way if it is not the same ref.
    const callerTracker = yield* FiberRef.get(trackerRef)
    const forward: Tracking.Tracker = {
      opened: (entry) => callerTracker?.opened(entry),
      settled: (entry) => callerTracker?.settled(entry),
      releasing: (entry) => callerTracker?.releasing?.(entry),
      committing: (entry) => callerTracker?.committing?.(entry)
    }
    // `withTracker` also counts the installed trackers (none: `Resource.make` does not even
    // read the ref): one install held for the whole exploration keeps the count up while
    // the runs set their own.
    const installed = yield* Deferred.make<boolean>()
    yield* Effect.forkScoped(
      Tracking.withTracker(
        Effect.zipRight(
          Effect.flatMap(FiberRef.get(trackerRef), (current) =>
            Deferred.succeed(installed, current === forward)
          ),
          Effect.never
        ),
        forward
      )
    )
    const track: Shared["track"] = (yield* Deferred.await(installed))
      ? (effect, tracker) => Effect.locally(effect, trackerRef, tracker)
      : (effect, tracker) => Tracking.withTracker(effect, tracker)
    if (!isolate) {
      return { scheduler, supervise, unseen: { max: 0 }, track, isolate: (effect) => effect }
    }
    // The stateless test services (`TestLive`, `TestSized`, `TestConfig`, the live services)
    // are built once, in a fiber of their own so that none of their fiber refs reach ours.
    const scope = yield* Effect.scope
    const base = yield* Effect.flatMap(
      Effect.fork(Layer.buildWithScope(TestContext.TestContext, scope)),
      (built) => Effect.flatten(Fiber.await(built))
    )
    const live = Context.get(base, TestLive.TestLive)
    // The test context holds its TestClock too (its type names only the test services).
    const sample = Context.getOption(base as Context.Context<never>, TestClock.TestClock)
    const made = Option.isSome(sample) ? yield* clockMaker(sample.value) : undefined
    return {
      scheduler,
      supervise,
      unseen: { max: 0 },
      track,
      isolate: <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
        Effect.suspend((): Effect.Effect<A, E, R> => {
          const annotations = TestAnnotations.make(Ref.unsafeMake(TestAnnotationMap.empty()))
          const services = Context.add(base, TestAnnotations.TestAnnotations, annotations)
          if (made === undefined) {
            return effect.pipe(
              Effect.provide(TestClock.defaultTestClock),
              Effect.provide(services),
              Effect.locally(TestServices.currentServices, services)
            ) as Effect.Effect<A, E, R>
          }
          // What `TestClock.defaultTestClock` makes, without a layer: the clock at time 0, its
          // warnings cancelled when the run ends. No scope, so the root's last operations
          // (after the program's) do not wait: its turn ends where the program's does.
          const clock = made(live, annotations)
          const withClock = Context.add(services, TestClock.TestClock, clock)
          return effect.pipe(
            Effect.ensuring(endWarnings(clock)),
            Effect.withClock(clock),
            Effect.provide(withClock),
            Effect.locally(TestServices.currentServices, services)
          ) as Effect.Effect<A, E, R>
        })
    } satisfies Shared
  })

/** What a `TestClock` made by `TestClock.live` is (effect 3's `TestClockImpl`). */
interface MadeClock extends TestClock.TestClock {
  readonly warningState: SynchronizedRef.SynchronizedRef<unknown>
  readonly suspendedWarningState: SynchronizedRef.SynchronizedRef<unknown>
  readonly warningDone: () => Effect.Effect<void>
  readonly suspendedWarningDone: () => Effect.Effect<void>
}

/** A warning state that a fiber waits in (`{ _tag: "Pending", fiber }`), or one not known. */
const mayBePending = (state: unknown): boolean =>
  !Predicate.hasProperty(state, "_tag") || (state._tag !== "Start" && state._tag !== "Done")

/**
 * What the layer's finalizer does (`warningDone`, `suspendedWarningDone`: interrupt a warning
 * fiber still waiting), only where one may wait: reading the states takes no lock, so a run
 * that started none ends without waiting on the clock's semaphores.
 */
const endWarnings = (clock: MadeClock): Effect.Effect<void> =>
  Effect.flatMap(
    Effect.all([
      SynchronizedRef.get(clock.warningState),
      SynchronizedRef.get(clock.suspendedWarningState)
    ]),
    ([warning, suspended]) =>
      Effect.zipRight(
        mayBePending(warning) ? clock.warningDone() : Effect.void,
        mayBePending(suspended) ? clock.suspendedWarningDone() : Effect.void
      )
  )

/**
 * Makes fresh `TestClock`s the way `TestClock.live` does (its class, a `Ref` of the time and
 * two `SynchronizedRef`s of warning state, from the states a fresh clock starts in), when the
 * given clock has that shape; `undefined` otherwise (each run then builds the layer).
 */
const clockMaker = (
  sample: TestClock.TestClock
): Effect.Effect<
  ((live: TestLive.TestLive, annotations: TestAnnotations.TestAnnotations) => MadeClock) | undefined
> =>
  Effect.suspend(() => {
    const parts = sample as unknown as {
      readonly constructor?: unknown
      readonly warningState?: unknown
      readonly suspendedWarningState?: unknown
      readonly warningDone?: unknown
      readonly suspendedWarningDone?: unknown
    }
    const Made = parts.constructor as
      | (new (
          clockState: Ref.Ref<TestClock.Data>,
          live: TestLive.TestLive,
          annotations: TestAnnotations.TestAnnotations,
          warningState: SynchronizedRef.SynchronizedRef<unknown>,
          suspendedWarningState: SynchronizedRef.SynchronizedRef<unknown>
        ) => MadeClock)
      | undefined
    if (
      typeof Made !== "function" ||
      Made.length !== 5 ||
      !Predicate.hasProperty(parts.warningState, SynchronizedRef.SynchronizedRefTypeId) ||
      !Predicate.hasProperty(parts.suspendedWarningState, SynchronizedRef.SynchronizedRefTypeId) ||
      typeof parts.warningDone !== "function" ||
      typeof parts.suspendedWarningDone !== "function"
    ) {
      return Effect.succeed(undefined)
    }
    return Effect.map(
      Effect.all([
        SynchronizedRef.get(parts.warningState as SynchronizedRef.SynchronizedRef<unknown>),
        SynchronizedRef.get(parts.suspendedWarningState as SynchronizedRef.SynchronizedRef<unknown>)
      ]),
      ([warning, suspended]) =>
        (live: TestLive.TestLive, annotations: TestAnnotations.TestAnnotations) =>
          new Made(
            Ref.unsafeMake(TestClock.makeData(new Date(0).getTime(), Chunk.empty())),
            live,
            annotations,
            SynchronizedRef.unsafeMake(warning),
            SynchronizedRef.unsafeMake(suspended)
          )
    )
  })

/** `@scopeguard/core`'s tracker fiber ref (`Tracking.withTracker` sets it), by its global key. */
const trackerRef = GlobalValue.globalValue(Symbol.for("@scopeguard/core/Tracking/current"), () =>
  FiberRef.unsafeMake<Tracking.Tracker | undefined>(undefined)
)
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
    const stuck = run.outcome.stuck
    const after = !run.reached
      ? "(step not reached)"
      : settings.mode === "yield"
        ? "after the yield"
        : "after its interruption"
    // A stuck run cannot go on before its bound ends (no fiber ready, nothing pending but
    // timers due after the bound): it did not finish within `hangTimeout` either, and saying
    // so keeps the message free of the machine's speed (the scaled bound was not waited for).
    // Kind "hang" either way: a run stuck here may still wait on a timer past the bound, which
    // the Effect 4 edition, whose scheduler sees every wait, would not call a deadlock.
    const bound = stuck ? settings.hangTimeout : run.bound
    const scaled =
      Duration.equals(bound, settings.hangTimeout) || step === 0
        ? ""
        : ` (${SLOWDOWN} × the uninterrupted run's time)`
    return Effect.succeed([
      failure(
        "hang",
        `did not finish within ${Duration.format(bound)} ${step === 0 ? "without interruption" : after}${scaled}`
      )
    ])
  }
  const exit = run.outcome.exit
  const failures: Array<Interruption.Failure> = []
  if (options.leaks && run.live.length > 0) {
    failures.push(
      failure("leak", `leaked ${describeLive(run.live)}: ${run.live.map(describeEntry).join(", ")}`)
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
 * A run as `replay` takes it (`Failure.schedule`): the budget (budget mode), then the point and
 * what was done there — `i` interrupt the root, `h` the holder, `y` a forced yield — as the
 * Effect 4 edition writes its tokens. Step 0 is the run without interruption: no point token.
 */
export const scheduleOf = (
  settings: Pick<Settings, "mode" | "target" | "budget">,
  step: number
): string => {
  const tokens: Array<string> = []
  if (settings.budget !== undefined) tokens.push(`b${settings.budget}`)
  if (step > 0) {
    const kind = settings.mode === "yield" ? "y" : settings.target === "holder" ? "h" : "i"
    tokens.push(`${kind}${step}`)
  }
  return tokens.join(" ")
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
): Pick<
  Interruption.Failure,
  "mode" | "target" | "schedule" | "fiber" | "where" | "reach" | "budget"
> => {
  const pass = {
    mode: settings.mode,
    target: settings.target,
    schedule: scheduleOf(settings, step)
  }
  const where =
    run.where === undefined || step === 0
      ? run.where === undefined
        ? {}
        : { where: run.where }
      : { fiber: run.where.fiber, where: run.where }
  if (step === 0 || !run.reached) {
    // Budget mode: the run is the budget's uninterrupted one, which the runtime makes with it.
    return settings.budget === undefined
      ? { ...pass, ...where, reach: "uninterrupted" }
      : { ...pass, ...where, reach: "budget", budget: settings.budget }
  }
  if (settings.target === "holder" && settings.internal.has(run.where?.fiber ?? "")) {
    // In budget mode the budget stays: it is what replays the run.
    return settings.budget === undefined
      ? { ...pass, ...where, reach: "internal" }
      : { ...pass, ...where, reach: "internal", budget: settings.budget }
  }
  if (settings.budget !== undefined) {
    return { ...pass, ...where, reach: "budget", budget: settings.budget }
  }
  return { ...pass, ...where, reach: reachOf(run.where?.turn ?? 0) }
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

/** The equivalence linking a step to the one before it (`Reductions.link`). */
const DEFERRED = 1
const CONTINUATION = 2

/**
 * How the points of a deterministic program relate, read from its two dry runs (see
 * `Interruption.Reduced`): which points are the run without interruption (`idle`), and which
 * consecutive points are equivalent (`link`), in classes `[start, end]` of steps.
 */
interface Reductions {
  readonly log: StepLog
  readonly idle: Uint8Array
  readonly link: Uint8Array
  readonly start: Int32Array
  readonly end: Int32Array
}

const sameLog = (a: StepLog, b: StepLog): boolean => {
  if (a.fiber.length !== b.fiber.length || a.names.length !== b.names.length) return false
  for (let s = 1; s < a.fiber.length; s++) {
    if (a.fiber[s] !== b.fiber[s] || a.op[s] !== b.op[s] || a.bits[s] !== b.bits[s]) return false
  }
  for (let f = 0; f < a.names.length; f++) {
    if (
      a.names[f] !== b.names[f] ||
      a.lastStep[f] !== b.lastStep[f] ||
      a.endedThere[f] !== b.endedThere[f]
    ) {
      return false
    }
  }
  return true
}

/**
 * The reductions the runtime guarantees for a program whose two dry runs noted the same steps
 * (otherwise none: what one run shows may not hold in the next).
 */
const reductionsOf = (
  first: StepLog,
  second: StepLog,
  mode: PassMode,
  target: Interruption.Target
): Reductions | undefined => {
  if (mode === "budget" || !sameLog(first, second)) return undefined
  const { fiber, op, bits, lastStep, endedThere } = first
  const n = fiber.length - 1
  const idle = new Uint8Array(n + 1)
  const link = new Uint8Array(n + 1)
  const start = new Int32Array(n + 1)
  const end = new Int32Array(n + 1)
  // Backwards, per fiber: from each of its steps to where its turn ends on its own (an async
  // wait, its own yield, its end), whether a turn restarted at that step ends at the same
  // operation (`aligned`): no budget yield on the way, or none that found another fiber ready.
  const fibers = first.names.length
  const seen = new Uint8Array(fibers)
  const nextAligned = new Uint8Array(fibers)
  const nextBusy = new Uint8Array(fibers)
  for (let s = n; s >= 1; s--) {
    const f = fiber[s]!
    const b = bits[s]!
    const inserted = (b & INSERTED) !== 0
    const natural =
      (TURN_END_OPS.has(op[s]) && !inserted && (b & PREEMPTED) === 0) ||
      (lastStep[f] === s && endedThere[f] === true)
    const quiet = (b & QUIET) !== 0
    let aligned: boolean
    let busy: boolean
    if (seen[f] === 0 && !natural) {
      // Its last step, and its turn did not end there on its own: not known.
      aligned = false
      busy = true
    } else {
      busy = !quiet || (!natural && nextBusy[f] === 1)
      aligned = inserted ? !busy : natural ? true : nextAligned[f] === 1
    }
    seen[f] = 1
    nextAligned[f] = aligned ? 1 : 0
    nextBusy[f] = busy ? 1 : 0
    idle[s] =
      aligned && quiet && (mode === "yield" || (target === "root" && (b & TARGET_DONE) !== 0))
        ? 1
        : 0
  }
  for (let s = 2; s <= n; s++) {
    const p = s - 1
    const same = fiber[p] === fiber[s] && (bits[p]! & PREEMPTED) === 0 && !TURN_END_OPS.has(op[p])
    if (!same) continue
    if (PUSH_OPS.has(op[p]) || (bits[p]! & BUILDER) !== 0) {
      link[s] = CONTINUATION
    } else if (
      mode === "interrupt" &&
      !BATCHING_OPS.has(op[p]) &&
      (bits[p]! & OBSERVED) === 0 &&
      (bits[p]! & bits[s]! & (QUIET | INERT)) === (QUIET | INERT)
    ) {
      link[s] = DEFERRED
    }
  }
  for (let s = 1; s <= n; s++) {
    start[s] = s > 1 && link[s] !== 0 && idle[s] === 0 && idle[s - 1] === 0 ? start[s - 1]! : s
  }
  for (let s = n; s >= 1; s--) end[s] = s < n && start[s + 1] === start[s] ? end[s + 1]! : s
  return { log: first, idle, link, start, end }
}

/** Where step `s` of a dry run was, as `whereOf` says it at that step. */
const whereAt = (log: StepLog, s: number): Interruption.Where => {
  const span = log.span[s] as { name?: unknown } | undefined
  const source = sourceOf(span)
  return {
    fiber: log.names[log.fiber[s]!]!,
    op: log.op[s]!,
    ...(typeof span?.name === "string" ? { span: span.name } : {}),
    ...(source === undefined ? {} : { source }),
    turn: log.turn[s]!
  }
}

/** The failures of an equivalent point's run, at step `s`: its own step, `where` and reach. */
const relabel = (
  failures: ReadonlyArray<Interruption.Failure>,
  log: StepLog,
  s: number,
  settings: Settings
): ReadonlyArray<Interruption.Failure> => {
  if (failures.length === 0) return failures
  const where = whereAt(log, s)
  const reach =
    settings.target === "holder" && settings.internal.has(where.fiber)
      ? "internal"
      : reachOf(where.turn)
  const schedule = scheduleOf(settings, s)
  return failures.map((failure) => ({
    ...failure,
    step: s,
    schedule,
    fiber: where.fiber,
    where,
    reach
  }))
}

/** What one point found: its failures, and whether a hang among them was told at once. */
interface Explored {
  readonly point: Point
  readonly failures: ReadonlyArray<Interruption.Failure>
  readonly stuck: boolean
  /**
   * Budget mode: where the fibers of this budget's runs were forked, read in its own run
   * (fibers are named in the order they start, which a budget can change).
   */
  readonly sites?: ReadonlyMap<string, ForkSite> | undefined
}

/** One pass of an exploration: a mode, a target, and which points it explores. */
interface PassSpec {
  readonly mode: PassMode
  readonly target: Interruption.Target
  readonly budgets: ReadonlyArray<number>
  /** Only the steps of the program's own fibers other than the root (mode "all"'s holder pass). */
  readonly ownOnly: boolean
}

/** What one pass found, before the passes are put together. */
interface PassResult {
  readonly spec: PassSpec
  readonly steps: number
  readonly runs: number
  readonly explored: ReadonlyArray<Explored>
  /** The uninterrupted run hung: nothing else was run. */
  readonly hungAtStart: boolean
  readonly deterministic: boolean
  readonly dryRunSteps: readonly [number, number]
  readonly unreached: ReadonlyArray<number>
  readonly fibers: number
  readonly budgets: ReadonlyArray<Interruption.BudgetRun> | undefined
  readonly sampled: Interruption.Report["sampled"]
  readonly reduced: Interruption.Reduced | undefined
  readonly points: number
  readonly millis: number
  /** How each point's run was made (for `Where.near`'s replays). */
  readonly settings: Settings
  readonly budgetBounds: ReadonlyMap<number, Duration.Duration>
  readonly sites: ReadonlyMap<string, ForkSite>
}

const explorePass = <A, E, R, R2>(
  program: Interruption.Program<A, E, R>,
  spec: PassSpec,
  checked: Checked<R2>,
  shared: Shared,
  isolate: boolean,
  shown: progress.Progress
): Effect.Effect<PassResult, never, R | R2> =>
  Effect.gen(function* () {
    const passStart = performance.now()
    const { hangTimeout } = checked
    const { mode, budgets, target } = spec
    const dry = drySettings(hangTimeout, mode, target, isolate)
    // Both dry runs note every step for the reductions, and when the pass explores only the
    // program's own fibers (it needs to know whose each step is).
    const noting = { log: checked.reduce || spec.ownOnly }
    // Two dry runs: the step count, and whether it is the same every time. The second also
    // reads where each fiber was forked: the inspector's calls are not the program's, and
    // the first alone tells whether anything outside the run wakes its fibers.
    const first = yield* runOnce(program, undefined, dry, shared, noting)
    const explored: Array<Explored> = [
      { point: { step: 0 }, failures: yield* judge(first, 0, checked, dry), stuck: false }
    ]
    const steps = first.steps
    if (first.outcome._tag === "Hung") {
      // The program hangs with no interruption: nothing to compare the other runs with.
      return {
        spec,
        steps,
        runs: 0,
        explored,
        hungAtStart: true,
        deterministic: false,
        dryRunSteps: [steps, steps] as const,
        unreached: [],
        fibers: first.fibersSeen,
        budgets: mode === "budget" ? [] : undefined,
        sampled: undefined,
        reduced: undefined,
        points: 0,
        millis: performance.now() - passStart,
        settings: dry,
        budgetBounds: new Map(),
        sites: new Map()
      } satisfies PassResult
    }
    // From here on a run whose fibers can never run again is a hang at once, if nothing
    // outside the run woke the first one's fibers.
    const detect = first.closed
    const second = yield* runOnce(program, undefined, { ...dry, detect }, shared, {
      ...noting,
      sites: true
    })
    const forkSites: ReadonlyMap<string, ForkSite> = second.sites ?? new Map()
    const internal = new Set<string>()
    for (const [name, site] of forkSites) if (site.internal) internal.add(name)
    // The perturbed runs (`Report.runs`, as on Effect 4): the dry runs and each budget's own
    // run are not counted.
    let runs = 0
    const settings: Settings = {
      ...dry,
      detect,
      internal,
      runBound: runBoundOf(
        hangTimeout,
        second.outcome._tag === "Hung" ? first.millis : Math.min(first.millis, second.millis)
      )
    }
    const reductions =
      checked.reduce &&
      first.log !== undefined &&
      second.log !== undefined &&
      second.outcome._tag === "Exited" &&
      first.steps === second.steps
        ? reductionsOf(first.log, second.log, mode, target)
        : undefined
    // Budget mode: one more dry run per budget finds where the runtime ends turns with it.
    let points: Array<Point>
    const perBudget: Array<Interruption.BudgetRun> = []
    const budgetBounds = new Map<number, Duration.Duration>()
    // Each budget's own run, explored just before that budget's points (as on Effect 4).
    const budgetDry: Array<Explored> = []
    // Each budget's fork sites and internal fibers, read in its own run (holder target).
    const budgetSites = new Map<number, ReadonlyMap<string, ForkSite>>()
    const budgetInternal = new Map<number, ReadonlySet<string>>()
    if (mode === "budget") {
      points = []
      for (const budget of budgets) {
        // Uninterrupted: bounded like the dry runs. It also reads where each fiber was
        // forked: a budget's schedule can start them in another order than the dry runs did,
        // and so name them otherwise.
        const budgetRun = yield* runOnce(program, undefined, { ...dry, detect, budget }, shared, {
          sites: true
        })
        const ownSites: ReadonlyMap<string, ForkSite> = budgetRun.sites ?? forkSites
        const ownInternal = new Set<string>()
        for (const [name, site] of ownSites) if (site.internal) ownInternal.add(name)
        budgetSites.set(budget, ownSites)
        budgetInternal.set(budget, ownInternal)
        perBudget.push({ budget, steps: budgetRun.steps, points: budgetRun.turnEnds.length })
        // A small budget's runs yield more often, and may be slower than the default's: its
        // points are bounded by its own dry run too.
        if (budgetRun.outcome._tag === "Exited") {
          budgetBounds.set(
            budget,
            maxDuration(settings.runBound, runBoundOf(hangTimeout, budgetRun.millis))
          )
        }
        // The budget's own run is a schedule the runtime makes with that budget and no
        // interruption: a race that only the preemptions show fails here (its step 0). Judged
        // once: mode "all"'s holder pass leaves it to the root pass.
        if (!spec.ownOnly) {
          budgetDry.push({
            point: { step: 0, budget },
            failures: yield* judge(budgetRun, 0, checked, {
              ...settings,
              budget,
              internal: ownInternal
            }),
            stuck: false,
            sites: ownSites
          })
        }
        budgetRun.turnEnds.forEach((step, i) => {
          // The holder pass of mode "all": the turn ends of the program's own fibers only.
          const name = budgetRun.turnEndFibers[i]!
          if (!spec.ownOnly || (name !== "root" && !ownInternal.has(name))) {
            points.push({ step, budget })
          }
        })
      }
    } else {
      points = Array.from({ length: steps }, (_, i) => ({ step: i + 1 }))
      const log = first.log
      if (spec.ownOnly && log !== undefined) {
        // The root's steps are the root pass's points (the holder is the root there), and a
        // library's internal fiber is not the program's to interrupt alone.
        points = points.filter(({ step }) => {
          const name = log.names[log.fiber[step]!]!
          return name !== "root" && !internal.has(name)
        })
      }
    }
    const sample = checked.sample
    const chosen =
      sample === undefined || sample.runs >= points.length
        ? points
        : sampleSteps(points.length, sample.runs, sample.seed).map((i) => points[i - 1]!)
    const unreached: Array<number> = []
    // Point 0 (the run without interruption) and the chosen points.
    // The uninterrupted runs (and in budget mode each budget's) and the chosen points.
    const judgedBudgetRuns = budgetDry.length
    const total = explored.length + budgetDry.length + chosen.length
    let failing = explored.filter((entry) => entry.failures.length > 0).length
    /** Explores the budgets' own runs up to `budget`'s, if not yet (all of them: `undefined`). */
    const flushDry = (budget: number | undefined) => {
      const at =
        budget === undefined
          ? budgetDry.length - 1
          : budgetDry.findIndex((entry) => entry.point.budget === budget)
      if (at < 0) return
      for (const entry of budgetDry.splice(0, at + 1)) {
        explored.push(entry)
        if (entry.failures.length > 0) failing++
      }
    }
    const reduced = { points: 0, deferred: 0, continuation: 0, idle: 0, unconfirmed: 0 }
    // The last point run of a class of equivalent points, and what it found.
    let representative:
      | {
          readonly start: number
          readonly failures: ReadonlyArray<Interruption.Failure>
          readonly stuck: boolean
          readonly confirmed: boolean
        }
      | undefined
    for (const point of chosen) {
      if (point.budget !== undefined) flushDry(point.budget)
      const s = point.step
      let entry: Explored
      if (reductions !== undefined && reductions.idle[s] === 1) {
        // Nothing happens at this point: its run is the run without interruption.
        entry = {
          point,
          failures: relabel(explored[0]!.failures, reductions.log, s, settings),
          stuck: false
        }
        reduced.idle++
      } else if (
        reductions !== undefined &&
        representative !== undefined &&
        representative.confirmed &&
        representative.start === reductions.start[s]
      ) {
        entry = {
          point,
          failures: relabel(representative.failures, reductions.log, s, settings),
          stuck: representative.stuck
        }
        if (reductions.link[s] === DEFERRED) reduced.deferred++
        else reduced.continuation++
      } else {
        if (reductions !== undefined && representative?.start === reductions.start[s]) {
          reduced.unconfirmed++
        }
        const pointSettings =
          point.budget === undefined
            ? settings
            : {
                ...settings,
                budget: point.budget,
                runBound: budgetBounds.get(point.budget) ?? settings.runBound,
                internal: budgetInternal.get(point.budget) ?? settings.internal
              }
        const later = reductions === undefined ? 0 : reductions.end[s]! - s
        const run = yield* runOnce(
          program,
          s,
          pointSettings,
          shared,
          later > 0 ? { watchSpan: later } : {}
        )
        runs++
        if (!run.reached) unreached.push(s)
        const failures = yield* judge(run, s, checked, pointSettings)
        const stuck = run.outcome._tag === "Hung" && run.outcome.stuck
        entry = {
          point,
          failures,
          stuck,
          ...(point.budget === undefined ? {} : { sites: budgetSites.get(point.budget) })
        }
        if (reductions !== undefined) {
          representative = {
            start: reductions.start[s]!,
            failures,
            stuck,
            confirmed: later > 0 && run.reached && run.aligned
          }
        }
      }
      if (entry.failures.length > 0) failing++
      explored.push(entry)
      shown.update(explored.length, total, failing)
      yield* breathe
    }
    flushDry(undefined)
    shown.end(explored.length, total, failing)
    reduced.points = reduced.deferred + reduced.continuation + reduced.idle
    return {
      spec,
      steps,
      runs,
      explored,
      hungAtStart: false,
      // Deterministic only when every run followed the uninterrupted one: both dry runs
      // ended after the same steps, and every run reached its step (its prefix is the dry
      // run's).
      deterministic:
        first.steps === second.steps && second.outcome._tag === "Exited" && unreached.length === 0,
      dryRunSteps: [first.steps, second.steps] as const,
      unreached,
      fibers: first.fibersSeen,
      budgets: mode === "budget" ? perBudget : undefined,
      sampled: chosen === points ? undefined : { runs: chosen.length, seed: sample!.seed },
      reduced: reductions === undefined ? undefined : reduced,
      // The points explored: the steps or turn ends chosen, and each budget's own run judged.
      points: chosen.length + judgedBudgetRuns,
      millis: performance.now() - passStart,
      settings,
      budgetBounds,
      sites: forkSites
    } satisfies PassResult
  })

/** How many ranges get their `Where.near` (one replay each). */
const NEAR_RANGES = 20

/** A failure's `where`, with where its fiber was forked (read in its pass's dry run). */
const withSite = (
  where: Interruption.Where | undefined,
  forkSites: ReadonlyMap<string, ForkSite>
): Interruption.Where | undefined => {
  if (where === undefined) return undefined
  const site = forkSites.get(where.fiber)
  if (site === undefined) return where
  return {
    ...where,
    ...(site.forkedAt === undefined ? {} : { forkedAt: site.forkedAt }),
    ...(site.internal ? { internal: true } : {})
  }
}

/** The schedule of passes: mode "all"'s three, or the one the options name. */
const passesOf = <R>(checked: Checked<R>): ReadonlyArray<PassSpec> =>
  checked.mode === "all"
    ? [
        { mode: "budget", target: "root", budgets: checked.budgets, ownOnly: false },
        { mode: "budget", target: "holder", budgets: checked.budgets, ownOnly: true },
        { mode: "interrupt", target: "root", budgets: [], ownOnly: false },
        { mode: "interrupt", target: "holder", budgets: [], ownOnly: true }
      ]
    : [{ mode: checked.mode, target: checked.target, budgets: checked.budgets, ownOnly: false }]

/** @internal */
export const explore = <A, E, R, R2 = never>(
  program: Interruption.Program<A, E, R>,
  options: Interruption.Options<R2> = {},
  /**
   * `assertEveryStep`: when it is going to fail, each range's `Where.near` is read by
   * replaying its first point. Only then: a replay after the last point can leave what its
   * run started (a daemon, a pool's background work) running into whatever comes next.
   */
  nearOnFailure = false
): Effect.Effect<Interruption.Report, never, R | R2> =>
  Effect.scoped(
    Effect.gen(function* () {
      const checked = checkOptions(options, DEFAULT_HANG_TIMEOUT)
      checkProgram(program)
      const console = yield* progress.ProgressConsole
      yield* reach.hold
      const isolate = yield* shouldIsolate(checked)
      const shared = yield* makeShared(isolate)
      const specs = passesOf(checked)
      const results: Array<PassResult> = []
      for (const spec of specs) {
        const label = specs.length === 1 ? undefined : `${spec.mode}/${spec.target}`
        const shown = progress.make(console, checked.progress, label)
        const result = yield* explorePass(program, spec, checked, shared, isolate, shown)
        results.push(result)
        // The program fails (or hangs) without interruption: the next passes would show only
        // that, at every point. (The Effect 4 edition stops on the same rule.)
        if (result.hungAtStart || result.explored[0]!.failures.length > 0) break
      }
      // Failures and ranges, pass by pass, each `where` with its fiber's fork site.
      const failures: Array<Interruption.Failure> = []
      const ranges: Array<Interruption.Range> = []
      const rangePass: Array<PassResult> = []
      for (const result of results) {
        const explored = result.explored.map((e) => ({
          ...e,
          failures: e.failures.map((f) => {
            const where = withSite(f.where, e.sites ?? result.sites)
            return where === undefined ? f : { ...f, where }
          })
        }))
        for (const e of explored) failures.push(...e.failures)
        for (const range of toRanges(explored)) {
          ranges.push(range)
          rangePass.push(result)
        }
      }
      // The user code nearest to each range's first step: one replay of that point each, the
      // inspector read at the step (a dry run cannot afford it at every step).
      const runs = results.reduce((n, r) => n + r.runs, 0)
      const failing = failures.some((f) => checked.failOn === "any" || isReachable(f.reach))
      if (nearOnFailure && failing && ranges.some((r) => r.from > 0) && sites.available()) {
        for (let i = 0; i < ranges.length && i < NEAR_RANGES; i++) {
          const range = ranges[i]!
          const result = rangePass[i]!
          // A hang's replay would hang again, and leave its abandoned run behind after the
          // exploration: hangs get no `near`.
          if (
            range.from === 0 ||
            range.where === undefined ||
            range.kind === "hang" ||
            range.kind === "deadlock"
          ) {
            continue
          }
          const settings =
            range.budget === undefined
              ? result.settings
              : {
                  ...result.settings,
                  budget: range.budget,
                  runBound: result.budgetBounds.get(range.budget) ?? result.settings.runBound
                }
          // Not counted in `runs` (the exploration's): a reading of one more run each.
          const run = yield* runOnce(program, range.from, settings, shared, { near: true })
          if (run.near !== undefined) {
            ranges[i] = { ...range, near: run.near, where: { ...range.where, near: run.near } }
          }
        }
      }
      const main = results.find((r) => r.spec.mode !== "budget") ?? results[0]!
      const budgetPass = results.find((r) => r.spec.mode === "budget")
      const hangs = { stuck: 0, timedOut: 0 }
      for (const result of results) {
        for (const e of result.explored) {
          for (const f of e.failures) if (f.kind === "hang") hangs[e.stuck ? "stuck" : "timedOut"]++
        }
      }
      const reachableOf = (list: ReadonlyArray<Interruption.Failure>) =>
        list.filter((f) => f.reach !== "explorer-only" && f.reach !== "internal").length
      return {
        mode: checked.mode,
        steps: main.steps,
        runs,
        failures,
        ranges,
        reachable: reachableOf(failures),
        passes: results.map((r) => {
          const found = r.explored.flatMap((e) => e.failures)
          return {
            mode: r.spec.mode,
            target: r.spec.target,
            ...(r.spec.mode === "budget" ? { budgets: r.spec.budgets } : {}),
            points: r.points,
            runs: r.runs,
            failures: found.length,
            reachable: reachableOf(found),
            millis: r.millis
          }
        }),
        failOn: checked.failOn,
        outsideControl: shared.unseen.max,
        ...(budgetPass?.budgets === undefined ? {} : { budgets: budgetPass.budgets }),
        // Deterministic only if the runs saw every operation: what ran unseen may differ.
        deterministic: results.every((r) => r.deterministic) && shared.unseen.max === 0,
        dryRunSteps: main.dryRunSteps,
        unreached: main.unreached,
        fibers: main.fibers,
        isolated: isolate,
        target: main.spec.target,
        sampled: main.sampled,
        reduced: main.reduced,
        hangs
      } satisfies Interruption.Report
    })
  )

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
 * turn ends of one budget's run) with the same kind, message (ids aside) and reach, found by
 * the same pass, as one range (common/ranges.ts, shared with the Effect 4 edition).
 */
export const toRanges = (
  explored: ReadonlyArray<{
    readonly point: Point
    readonly failures: ReadonlyArray<Interruption.Failure>
  }>
): Array<Interruption.Range> =>
  groupRanges<Interruption.Failure, Interruption.Range>(
    explored,
    (failure) => ({
      mode: failure.mode,
      target: failure.target,
      from: failure.step,
      to: failure.step,
      points: 1,
      kind: failure.kind,
      message: failure.message,
      reach: failure.reach,
      reachable: isReachable(failure.reach),
      ...(failure.budget === undefined ? {} : { budget: failure.budget }),
      ...(failure.fiber === undefined ? {} : { fiber: failure.fiber }),
      schedule: failure.schedule,
      ...(failure.where === undefined ? {} : { where: failure.where })
    }),
    (range, failure) =>
      range.mode === failure.mode &&
      range.target === failure.target &&
      range.reach === failure.reach &&
      range.budget === failure.budget
  )

/** @internal */
export const runAt = <A, E, R, R2 = never>(
  program: Interruption.Program<A, E, R>,
  step: number,
  options: Interruption.Options<R2> = {}
): Effect.Effect<Interruption.Replay, never, R | R2> =>
  Effect.scoped(
    Effect.gen(function* () {
      const checked = checkOptions(options, DEFAULT_HANG_TIMEOUT)
      checkProgram(program)
      checkStep(step)
      const { hangTimeout, budget, target } = checked
      // One point of one pass: mode "all" is a schedule, replayed pass by pass (a failure
      // names its pass's mode and target).
      const mode: PassMode =
        checked.mode !== "all"
          ? checked.mode
          : options.mode === undefined
            ? "interrupt"
            : refuseAll()
      yield* reach.hold
      const isolate = yield* shouldIsolate(checked)
      const shared = yield* makeShared(isolate)
      const dry = drySettings(
        hangTimeout,
        mode,
        target,
        isolate,
        mode === "budget" ? replayBudget(budget) : undefined
      )
      // Past step 0, an uninterrupted run first, for the bound `explore` holds the step to
      // (and, as in `explore`, to tell a stuck run at once if it shows nothing from outside).
      // With the holder as target it also reads where each fiber was forked, as `explore`'s
      // second dry run does: a library's own fiber interrupted alone is reach "internal".
      const holder = target === "holder"
      const uninterrupted =
        step === 0
          ? undefined
          : yield* runOnce(program, undefined, dry, shared, holder ? { sites: true } : {})
      const forkSites: ReadonlyMap<string, ForkSite> = uninterrupted?.sites ?? new Map()
      const internal = new Set<string>()
      for (const [name, site] of forkSites) if (site.internal) internal.add(name)
      const settings: Settings =
        uninterrupted === undefined || uninterrupted.outcome._tag === "Hung"
          ? { ...dry, internal }
          : {
              ...dry,
              internal,
              detect: uninterrupted.closed,
              runBound: runBoundOf(hangTimeout, uninterrupted.millis)
            }
      const run = yield* runOnce(program, step, settings, shared, { near: true })
      const failures = (yield* judge(run, step, checked, settings)).map((f) => {
        const where = withSite(f.where, forkSites)
        return where === undefined ? f : { ...f, where }
      })
      return {
        step,
        steps: run.steps,
        reached: run.reached,
        schedule: scheduleOf(settings, step),
        ...(run.where === undefined || step === 0 ? {} : { fiber: run.where.fiber }),
        ...(run.near === undefined ? {} : { near: run.near }),
        ...(run.where === undefined
          ? {}
          : {
              where: withSite(
                run.near === undefined ? run.where : { ...run.where, near: run.near },
                forkSites
              )!
            }),
        exit: run.outcome._tag === "Exited" ? Option.some(run.outcome.exit) : Option.none(),
        live: run.live,
        failures
      } satisfies Interruption.Replay
    })
  )

/**
 * `replay`: the schedule a failure printed, read as the one point it names (its mode, target
 * and budget override the options'), and run as `runAt` runs it.
 *
 * @internal
 */
export const replay = <A, E, R, R2 = never>(
  program: Interruption.Program<A, E, R>,
  schedule: string,
  options: Interruption.Options<R2> = {}
): Effect.Effect<Interruption.Replayed<A, E>, never, R | R2> =>
  Effect.suspend(() => {
    const parsed = parseSchedule(schedule)
    const pass = replayPass(parsed, options, schedule)
    const { mode: _mode, target: _target, budget: _budget, ...rest } = options
    return Effect.map(
      // The schedule's run; the target named, as a holder's run labels a library's fiber.
      runAt(program, parsed.step, {
        ...rest,
        mode: parsed.mode,
        target: pass.target,
        ...(parsed.budget === undefined ? {} : { budget: parsed.budget })
      }),
      (run): Interruption.Replayed<A, E> => {
        const failures = run.failures.map((f) => ({ ...f, mode: pass.mode, target: pass.target }))
        return {
          exit: Option.getOrUndefined(run.exit) as Exit.Exit<A, E> | undefined,
          failure: failures[0],
          failures,
          points: run.steps,
          schedule: run.schedule,
          ...(run.near === undefined ? {} : { near: run.near })
        }
      }
    )
  })

/** @internal */
export const assertEveryStep = <A, E, R, R2 = never>(
  program: Interruption.Program<A, E, R>,
  options: Interruption.Options<R2> = {}
): Effect.Effect<Interruption.Report, InterruptionError, R | R2> =>
  Effect.flatMap(explore(program, options, true), (report) =>
    // `explore` has checked the options: `failOn` is "any", "reachable" or undefined (the
    // default: "reachable").
    (options?.failOn === "any" ? report.failures.length : report.reachable) === 0
      ? Effect.succeed(report)
      : Effect.fail(new InterruptionError({ report }))
  )
