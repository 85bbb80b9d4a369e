/**
 * The explorer's deterministic scheduler: every fiber of a run runs only when it says so.
 *
 * Effect 4's run loop asks the `Scheduler` in a fiber's context `shouldYield(fiber)` at every
 * iteration, and a fiber that yields queues its resumption through the scheduler's dispatcher.
 * The `Controller` is that scheduler, and its dispatcher never runs a task by itself: the
 * driver takes one task at a time out of the queue (the strategy picks which) and runs it —
 * a step. The first fiber that asks `shouldYield` in a step owns it; each of its questions
 * is a point, where the strategy may preempt it.
 *
 * Effect resumes a fiber waiting on a `Deferred`, a `Latch`, a joined fiber or any callback
 * at once, inside whoever resumed it, and starts a `startImmediately` fork inline. Such a
 * fiber is not the step's owner: its first question is answered "yield", so that it queues its
 * resumption and runs later in a step of its own, having run nothing. A fiber resumed from
 * outside the driver (an event-loop callback: a real timer, I/O) is sent to the queue the same
 * way and wakes the driver. What the controller cannot stop — a fiber that runs inside
 * `PreventSchedulerYield` without asking, or a task queued by a fiber that is not running a
 * step — is counted as outside its control.
 *
 * When nothing can run, the run is deadlocked unless something outside may still wake it: the
 * controller watches (with `async_hooks`) the timers, file requests, sockets and other native
 * async resources created while the run is in progress, and a deadlock is declared only when
 * none of them is pending. Counting the process's active resources against a baseline taken at the start
 * is not enough: a run started from a timer's or a file request's callback counts that one in
 * its baseline while it is still listed, and its own first timer then hides behind it.
 *
 * @internal
 */
import { type AsyncHook, AsyncResource, createHook } from "node:async_hooks"
import type * as Fiber from "effect/Fiber"
import { getCurrent } from "effect/Fiber"
import type * as Scheduler from "effect/Scheduler"
import { capture, type Captured } from "./sites.js"

/** The fields of Effect 4's `FiberImpl` the controller reads (stable in effect 4.1). */
export interface FiberLike extends Fiber.Fiber<unknown, unknown> {
  readonly _exit: unknown
  readonly _parent: FiberLike | undefined
  readonly interruptible: boolean
  /** Set by `interruptUnsafe`, even before the fiber has run. */
  readonly _interruptedCause: unknown
}

/** A queued resumption (or start) of a fiber. */
export interface Task {
  readonly run: () => void
  /** The fiber it resumes, when known (a fiber the controller sent to the queue). */
  readonly fiber: FiberLike | undefined
  /** The fiber that queued it (a parent starting a child, a fiber yielding). */
  readonly by: FiberLike | undefined
  /** Effect's priority (lower first); the default strategy honours it, like Effect's. */
  readonly priority: number
  readonly order: number
  /** A dry run noting fork sites: the queuing fiber's stack, when the task may start a fiber. */
  readonly site?: Captured | undefined
}

/** Decides the schedule of one run. */
export interface Strategy {
  /** At each point of the step's owner: `true` preempts it there. `first`: its step's first point. */
  readonly point: (point: number, fiber: FiberLike, first: boolean) => boolean
  /** The index of the queued task to run next (`queue` is never empty). */
  readonly pick: (queue: ReadonlyArray<Task>, step: number) => number
  /** A step's owner became known (its task was `task`). */
  readonly owner?: ((fiber: FiberLike, task: Task | undefined) => void) | undefined
  /**
   * A step of a queued task ended (`owner`: the fiber that ran it, if any asked): its turn is
   * over, and the strategy may queue an interruption (`runNext`) to run before the next step.
   */
  readonly stepEnd?: ((owner: FiberLike | undefined) => void) | undefined
}

/** Effect's own order: the lowest priority first, then first in, first out. */
export const defaultPick = (queue: ReadonlyArray<Task>): number => {
  let best = 0
  for (let i = 1; i < queue.length; i++) {
    if (queue[i]!.priority < queue[best]!.priority) best = i
  }
  return best
}

/** What a run observed about one fiber, for reports. */
export interface FiberInfo {
  readonly local: number
  readonly parent: number | undefined
}

/** What started a fiber: `the root`, `a daemon`, `a child of fiber 2`. */
export const fiberRole = (info: FiberInfo): string =>
  info.local === 1
    ? "the root"
    : info.parent === undefined
      ? "a daemon"
      : `a child of fiber ${info.parent}`

/** `fiber 2 (a child of fiber 1)` */
export const fiberName = (info: FiberInfo): string => `fiber ${info.local} (${fiberRole(info)})`

/**
 * Async resources that never wait on the outside by themselves: those that complete within the
 * current turn, and the handles of an open file (`fs.promises.open`: `FILEHANDLE`) or directory
 * (`fs.opendir`: `DIRHANDLE`), which Node destroys only when the object is garbage-collected,
 * long after its close; their reads, writes and close are requests of their own
 * (`FSREQPROMISE`, `FSREQCALLBACK`, `FILEHANDLECLOSEREQ`), watched as such. (Seen: tsx's
 * cache, written while a run was in progress, made it a hang instead of a deadlock.)
 */
const IN_TURN = new Set([
  "PROMISE",
  "Immediate",
  "TickObject",
  "Microtask",
  "FILEHANDLE",
  "DIRHANDLE"
])

/**
 * The async resources (timers, file requests, sockets, child processes…) created while a run is
 * in progress that have not completed yet: what may still wake one of its fibers.
 */
class OutsideWatch {
  private readonly pending = new Map<number, object>()
  private readonly hook: AsyncHook
  /** Set while the explorer makes a timer of its own (its hang bound): not the run's. */
  ignoring = false
  constructor() {
    this.hook = createHook({
      init: (id, type, _trigger, resource) => {
        // A JavaScript AsyncResource only carries a context (Effect makes one, "effect/Fiber",
        // for each suspended fiber): it wakes nothing by itself.
        if (this.ignoring || IN_TURN.has(type) || resource instanceof AsyncResource) return
        this.pending.set(id, resource)
      },
      destroy: (id) => {
        this.pending.delete(id)
      }
    })
    this.hook.enable()
  }
  /** Whether one of them is still pending. */
  any(): boolean {
    for (const [id, resource] of this.pending) {
      // A timer that fired or was cleared is done at once; its destroy event comes later.
      if ((resource as { _destroyed?: unknown })._destroyed === true) this.pending.delete(id)
      else return true
    }
    return false
  }
  stop(): void {
    this.hook.disable()
    this.pending.clear()
  }
}

export class Controller implements Scheduler.Scheduler {
  readonly executionMode = "async" as const
  readonly queue: Array<Task> = []
  readonly fibers = new Map<FiberLike, FiberInfo>()
  /** Points asked by step owners. */
  points = 0
  steps = 0
  /** Events the controller saw happen outside a step it drove (see the module doc). */
  outside = 0
  /** The point count at which the run was stopped for taking too long (real time). */
  aborted = false
  /** The sequence of step owners (local ids), for telling whether two runs were the same. */
  trace = 0
  private order = 0
  private stepActive = false
  private owner: FiberLike | undefined = undefined
  private first = false
  private current: Task | undefined = undefined
  private pendingYield: FiberLike | undefined = undefined
  private driving = false
  /**
   * Set for a dry run: where each fiber of the run was started (by local id): the stack of the
   * fiber that queued its start, or that was running when it first ran (`startImmediately`).
   */
  forks: Map<number, Captured | undefined> | undefined = undefined
  /** Set by the explorer once the root's observer is in place: from then on, arrivals drive. */
  started = false
  /** Set when the run is over (`close`): late arrivals stay queued, never run. */
  closed = false
  private readonly urgent: Array<() => void> = []
  private readonly watch = new OutsideWatch()
  private readonly dispatcher: Scheduler.SchedulerDispatcher = {
    scheduleTask: (task, priority) => this.schedule(task, priority),
    // Running the queue here would run fibers outside the driver: the driver runs it.
    flush: () => {}
  }

  constructor(
    readonly strategy: Strategy,
    /** Real-time instant (Date.now) after which the driver stops: the run hangs. */
    public deadline: number,
    /** Called when the queue is empty and nothing runs (the driver is idle). */
    readonly onIdle: () => void,
    /** The caller's span, which the program's fibers inherit: not theirs to report. */
    readonly parentSpan: unknown = undefined
  ) {}

  /** The local ids, in the order the fibers were first seen (1: the root). */
  info(fiber: FiberLike): FiberInfo {
    let info = this.fibers.get(fiber)
    if (info === undefined) {
      const parent = fiber._parent === undefined ? undefined : this.fibers.get(fiber._parent)
      info = { local: this.fibers.size + 1, parent: parent?.local }
      this.fibers.set(fiber, info)
    }
    return info
  }

  shouldYield(fiber: Fiber.Fiber<unknown, unknown>): boolean {
    const f = fiber as FiberLike
    const seen = this.fibers.has(f)
    this.info(f)
    if (!seen && f.interruptible && f._interruptedCause !== undefined) {
      // Interrupted before it ever ran (its start is still queued): it has nothing to run but
      // its end, so it ends now, as under Effect's own scheduler (which never yields at a run's
      // first operation). Yielding here would lose the interruption: effect 4.1's queued start
      // then runs the fiber from its beginning, ignoring it (see Scheduler.test.ts).
      return false
    }
    if (!this.stepActive) {
      // Resumed from outside the driver: it queues itself, having run nothing.
      this.pendingYield = f
      return true
    }
    if (this.owner === undefined) {
      this.owner = f
      this.trace = (Math.imul(this.trace, 31) + this.info(f).local) | 0
      // A fiber's first step: the task that started it says where it was forked.
      if (!seen && this.forks !== undefined) this.forks.set(this.info(f).local, this.current?.site)
      this.strategy.owner?.(f, this.current)
    } else if (f !== this.owner) {
      // Started inside another fiber's step: a fork that starts at once (`startImmediately`,
      // as a library's workers often do) was forked where that fiber is. A runtime's own
      // fiber (`runFork` of a `ManagedRuntime` under `Interruption.layer`, whose scheduler is
      // the layer's, not this one) was started by the code that called it: no fork site.
      if (!seen && this.forks !== undefined) {
        const forked = (f as unknown as { cache: { scheduler: unknown } }).cache.scheduler === this
        this.forks.set(this.info(f).local, forked ? capture(this.owner) : undefined)
      }
      // Resumed inside another fiber's step: it runs in a step of its own.
      this.pendingYield = f
      return true
    }
    if (this.aborted) {
      this.pendingYield = f
      return true
    }
    const point = ++this.points
    if ((point & 1023) === 0 && Date.now() > this.deadline) {
      this.aborted = true
      this.pendingYield = f
      return true
    }
    const first = this.first
    this.first = false
    if (this.strategy.point(point, f, first)) {
      this.pendingYield = f
      return true
    }
    return false
  }

  makeDispatcher(): Scheduler.SchedulerDispatcher {
    return this.dispatcher
  }

  /** Queues a task (the dispatcher's, and `Interruption.layer`'s for the run in progress). */
  schedule(run: () => void, priority: number): void {
    const by = getCurrent() as FiberLike | undefined
    let fiber: FiberLike | undefined
    if (this.pendingYield !== undefined && by === this.pendingYield) {
      fiber = by
      this.pendingYield = undefined
    } else if (!this.stepActive || (by !== undefined && by !== this.owner && this.fibers.has(by))) {
      // A fiber ran without asking (PreventSchedulerYield), or a task came from outside.
      this.outside++
    }
    // Noting fork sites: a task the step's owner queues for no fiber of its own may start one.
    const site =
      this.forks !== undefined && fiber === undefined && this.stepActive && by === this.owner
        ? capture(by)
        : undefined
    this.queue.push({ run, fiber, by, priority, order: this.order++, site })
    if (this.started && !this.driving && !this.stepActive) this.drive()
  }

  /** Runs `f` as the next step, ahead of the queue (the explorer's interruption). */
  runNext(f: () => void): void {
    this.urgent.push(f)
  }

  private step(task: Task | undefined, run: () => void): void {
    this.steps++
    this.stepActive = true
    this.owner = undefined
    this.first = true
    this.current = task
    try {
      run()
    } catch {
      // Effect's tasks do not throw; a user's scheduled task that does is the outside's.
      this.outside++
    } finally {
      const owner = this.owner
      this.stepActive = false
      this.owner = undefined
      this.current = undefined
      // Not for the explorer's own interruptions (`runNext`, no task): only the run's turns.
      if (task !== undefined) this.strategy.stepEnd?.(owner)
    }
  }

  /** Runs steps until the queue is empty or the run is stopped. */
  drive(): void {
    if (this.driving || this.closed) return
    this.driving = true
    try {
      while (!this.aborted && !this.closed) {
        const urgent = this.urgent.shift()
        if (urgent !== undefined) {
          this.step(undefined, urgent)
          continue
        }
        if (this.queue.length === 0) break
        const index = this.queue.length === 1 ? 0 : this.strategy.pick(this.queue, this.steps + 1)
        const [task] = this.queue.splice(index, 1)
        this.step(task, task!.run)
      }
    } finally {
      this.driving = false
    }
    if (!this.closed && (this.queue.length === 0 || this.aborted)) this.onIdle()
  }

  /** Whether something outside the run (a real timer, a socket, a file read) may still wake it. */
  outsideWaits(): boolean {
    return this.watch.any()
  }

  /** Runs `f` (the explorer making a timer of its own) without watching what it creates. */
  unwatched<A>(f: () => A): A {
    this.watch.ignoring = true
    try {
      return f()
    } finally {
      this.watch.ignoring = false
    }
  }

  /** The run is over: late arrivals stay queued, and the watch on async resources ends. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.watch.stop()
  }

  /** The fibers seen in this run that have not ended. */
  live(): Array<FiberLike> {
    return Array.from(this.fibers.keys()).filter((f) => f._exit === undefined)
  }

  /** `fiber 2 (a child of fiber 1)`: its local id and what started it. */
  name(fiber: FiberLike): string {
    return fiberName(this.info(fiber))
  }

  describe(fiber: FiberLike): string {
    const info = this.info(fiber)
    const role = fiberRole(info)
    const queued = this.queue.some((t) => t.fiber === fiber)
    const state = queued ? "ready" : "suspended"
    const frame = (fiber as unknown as { currentSpanLocal?: { name?: string } }).currentSpanLocal
    const where =
      frame?.name === undefined || frame === this.parentSpan ? "" : ` in span "${frame.name}"`
    const mask = fiber.interruptible ? "" : ", uninterruptible"
    return `fiber ${info.local} (${role}${mask}) ${state}${where}`
  }
}
