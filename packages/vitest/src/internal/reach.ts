/**
 * Reach into runtimes the program did not fork from: `Interruption.layer` and the count of
 * operations the explorer could not see (`Report.outsideControl`).
 *
 * A run's fibers carry its supervisor because they descend from its root, or from a runtime
 * captured inside it (`Effect.runtime`). A `ManagedRuntime` or a `Runtime` built elsewhere
 * starts fibers that carry neither: they run, but are neither counted nor interrupted.
 *
 * - `forwarder` (in `Interruption.layer`) is the supervisor such a runtime gets: it hands every
 *   fiber it starts while a run is in progress to that run's supervisor (runs are sequential),
 *   and `scheduler` hands its tasks to that run's scheduler, so those fibers are the run's.
 * - `witness` is set, while an exploration lasts, as the initial value of Effect's
 *   `currentSupervisor` fiber ref: the supervisor of every fiber whose runtime sets none. It
 *   counts the operations of the fibers a runtime starts during a run that no run supervisor
 *   or forwarder claims — and of their children.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as RuntimeFlags from "effect/RuntimeFlags"
import * as Scheduler from "effect/Scheduler"
import * as Supervisor from "effect/Supervisor"
import type * as Context from "effect/Context"
import type * as Scope from "effect/Scope"

/** What a run exposes to the forwarder and the witness (the explorer's `StepSupervisor`). */
export interface Watched {
  readonly finished: boolean
  /** The run's scheduler. */
  readonly scheduler: Scheduler.Scheduler | undefined
  isRunFiber(fiber: unknown): boolean
  unseen: number
  onStart<A, E, R>(
    context: Context.Context<R>,
    effect: Effect.Effect<A, E, R>,
    parent: Option.Option<Fiber.RuntimeFiber<any, any>>,
    fiber: Fiber.RuntimeFiber<A, E>
  ): void
  onEnd<A, E>(value: Exit.Exit<A, E>, fiber: Fiber.RuntimeFiber<A, E>): void
  onEffect<A, E>(fiber: Fiber.RuntimeFiber<A, E>, effect: Effect.Effect<any, any, any>): void
  onSuspend<A, E>(fiber: Fiber.RuntimeFiber<A, E>): void
  onResume<A, E>(fiber: Fiber.RuntimeFiber<A, E>): void
}

/** The run in progress, if any (runs of one process are sequential; nested ones stack). */
const runs: Array<Watched> = []
const current = (): Watched | undefined => {
  const run = runs[runs.length - 1]
  return run === undefined || run.finished ? undefined : run
}

export const enter = (run: Watched): void => {
  runs.push(run)
}
export const leave = (run: Watched): void => {
  const i = runs.lastIndexOf(run)
  if (i >= 0) runs.splice(i, 1)
}

/** Each fiber the forwarder handed to a run, with that run. */
const claimed = new WeakMap<object, Watched>()

const withSupervision = (fiber: unknown): void => {
  const runtime = fiber as { currentRuntimeFlags: RuntimeFlags.RuntimeFlags }
  runtime.currentRuntimeFlags = RuntimeFlags.enable(
    runtime.currentRuntimeFlags,
    RuntimeFlags.OpSupervision
  )
}

class Forwarder extends Supervisor.AbstractSupervisor<void> {
  value = Effect.void
  override onStart<A, E, R>(
    context: Context.Context<R>,
    effect: Effect.Effect<A, E, R>,
    parent: Option.Option<Fiber.RuntimeFiber<any, any>>,
    fiber: Fiber.RuntimeFiber<A, E>
  ) {
    const run = current()
    if (run === undefined || run.isRunFiber(fiber)) return
    claimed.set(fiber, run)
    run.onStart(context, effect, parent, fiber)
  }
  override onEnd<A, E>(value: Exit.Exit<A, E>, fiber: Fiber.RuntimeFiber<A, E>) {
    claimed.get(fiber)?.onEnd(value, fiber)
  }
  override onEffect<A, E>(fiber: Fiber.RuntimeFiber<A, E>, effect: Effect.Effect<any, any, any>) {
    const run = claimed.get(fiber)
    if (run !== undefined && run === current()) run.onEffect(fiber, effect)
  }
  override onSuspend<A, E>(fiber: Fiber.RuntimeFiber<A, E>) {
    claimed.get(fiber)?.onSuspend(fiber)
  }
  override onResume<A, E>(fiber: Fiber.RuntimeFiber<A, E>) {
    claimed.get(fiber)?.onResume(fiber)
  }
}

/** The supervisor of `Interruption.layer`. */
export const forwarder: Supervisor.Supervisor<void> = new Forwarder()

/**
 * The scheduler of `Interruption.layer`: a claimed fiber's tasks go to its run's scheduler
 * (which counts what is ready to run), every other task to Effect's default scheduler.
 */
export const scheduler: Scheduler.Scheduler = {
  shouldYield(fiber) {
    const run = claimed.get(fiber)
    return (run?.scheduler ?? Scheduler.defaultScheduler).shouldYield(fiber)
  },
  scheduleTask(task, priority, fiber) {
    const run = fiber === undefined ? undefined : claimed.get(fiber)
    const target = run !== undefined && run === current() ? run.scheduler : undefined
    ;(target ?? Scheduler.defaultScheduler).scheduleTask(task, priority, fiber)
  }
}

/** `Interruption.layer`. */
export const layer: Layer.Layer<never> = Layer.merge(
  Supervisor.addSupervisor(forwarder),
  Layer.setScheduler(scheduler)
)

/** The fibers the witness counts: started by a runtime during a run, and their children. */
const unseenFibers = new WeakSet<object>()

class Witness extends Supervisor.AbstractSupervisor<void> {
  value = Effect.void
  override onStart<A, E, R>(
    _context: Context.Context<R>,
    _effect: Effect.Effect<A, E, R>,
    parent: Option.Option<Fiber.RuntimeFiber<any, any>>,
    fiber: Fiber.RuntimeFiber<A, E>
  ) {
    const run = current()
    if (run === undefined) return
    // A fiber a runtime started (no parent), or a child of one: the explorer's own fibers and
    // the run's have a parent this does not count.
    if (Option.isSome(parent) && !unseenFibers.has(parent.value)) return
    unseenFibers.add(fiber)
    withSupervision(fiber)
  }
  override onEffect<A, E>(fiber: Fiber.RuntimeFiber<A, E>) {
    if (!unseenFibers.has(fiber)) return
    const run = current()
    // A fiber the forwarder handed to a run (it is zipped after the witness when a runtime
    // built during an exploration adds it) is seen.
    if (run === undefined || claimed.has(fiber) || run.isRunFiber(fiber)) return
    run.unseen++
  }
}

export const witness: Supervisor.Supervisor<void> = new Witness()

const supervisorRef = FiberRef.currentSupervisor as unknown as {
  initial: Supervisor.Supervisor<unknown>
}
let held = 0
let saved: Supervisor.Supervisor<unknown> | undefined = undefined

/**
 * While an exploration lasts, the witness is the supervisor of every fiber whose runtime sets
 * none (Effect's `currentSupervisor` fiber ref starts from it). Nested explorations share it.
 */
export const hold: Effect.Effect<void, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => {
    if (held++ === 0) {
      saved = supervisorRef.initial
      supervisorRef.initial = witness
    }
  }),
  () =>
    Effect.sync(() => {
      if (--held === 0 && saved !== undefined) {
        supervisorRef.initial = saved
        saved = undefined
      }
    })
)
