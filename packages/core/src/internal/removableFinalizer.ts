/**
 * The one mechanism under `Resource` and `Guard`: a finalizer that is registered on a scope,
 * runs at most once, and can be removed from the scope again.
 *
 * Effect 3 has no public way to delete a finalizer from a scope. The one mechanism that does
 * is a child scope made by `Scope.fork`: the parent holds a single entry that closes the child,
 * and closing the child deletes that entry from the parent. So every removable finalizer owns
 * a child scope whose only finalizer is `fire(cell, exit, "scope")`; `close`, `detach`,
 * `disarm` and `runNow` settle the cell and then close the child, which removes the entry.
 *
 * All the state changes that can race live in this file, and each happens inside one
 * synchronous block (JavaScript runs it to completion, so no other fiber can observe a
 * half-made change) inside an uninterruptible region (so no close stops half-way).
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import { globalValue } from "effect/GlobalValue"
import * as Scope from "effect/Scope"
import { ReleaseTimeoutError } from "../Errors.js"
import type * as Tracking from "../Tracking.js"
import * as tracking from "./tracking.js"

/** Who started the finalizer: an explicit `close` / `runNow`, or the scope closing. */
export type Trigger = "close" | "scope"

/** The life of a removable finalizer. Every transition is made by a function of this file. */
export type Phase =
  | { readonly _tag: "Armed" }
  | { readonly _tag: "Running"; readonly by: Trigger }
  | { readonly _tag: "Done"; readonly exit: Exit.Exit<unknown, unknown>; readonly by: Trigger }
  | { readonly _tag: "Removed" }
  | { readonly _tag: "Skipped"; readonly scopeExit: Exit.Exit<unknown, unknown> }

/** What a `Resource` or `Guard` asks of the mechanism. */
export interface Spec {
  readonly kind: "resource" | "guard"
  readonly id: number
  readonly label: string
  /** The cleanup; it runs with the context of the fiber that registered it. */
  readonly finalizer: (exit: Exit.Exit<unknown, unknown>) => Effect.Effect<unknown, never, any>
  /** For guards: whether the scope's closing exit calls for the cleanup. */
  readonly runsFor?: ((exit: Exit.Exit<unknown, unknown>) => boolean) | undefined
  readonly timeout?: Duration.Duration | undefined
  readonly warnIfNotClosed?: boolean | undefined
}

const ARMED: Phase = { _tag: "Armed" }
const REMOVED: Phase = { _tag: "Removed" }

const ids = globalValue(Symbol.for("@scopeguard/core/ids"), () => ({ next: 0 }))

/** A process-wide, increasing id shared by resources and guards. */
export const nextId = (): number => ++ids.next

/**
 * A removable, run-at-most-once finalizer. It is also the `Tracking.Entry` a tracker sees.
 */
export class Cell implements Tracking.Entry {
  phase: Phase = ARMED
  child: Scope.CloseableScope | undefined = undefined
  /** Completed when a `Running` phase ends; made only when somebody has to wait. */
  private latch: Deferred.Deferred<void> | undefined = undefined

  constructor(
    readonly spec: Spec,
    readonly context: Context.Context<never>,
    readonly tracker: Tracking.Tracker | undefined
  ) {}

  get kind() {
    return this.spec.kind
  }
  get id() {
    return this.spec.id
  }
  get label() {
    return this.spec.label
  }

  awaitRunning(): Effect.Effect<void> {
    this.latch ??= Deferred.unsafeMake<void>(FiberId.none)
    return Deferred.await(this.latch)
  }

  /** Moves to a final phase, wakes the waiters and tells the tracker. */
  settle(phase: Phase): void {
    const wasRunning = this.phase._tag === "Running"
    this.phase = phase
    if (wasRunning && this.latch !== undefined) {
      Deferred.unsafeDone(this.latch, Exit.void)
    }
    this.tracker?.settled(this)
  }
}

/**
 * Registers a new cell on the scope of the calling fiber. Must run uninterruptibly, right
 * after the acquisition it guards, so that nothing can come between the two.
 */
export const register = (spec: Spec): Effect.Effect<Cell, never, Scope.Scope> =>
  Effect.withFiberRuntime((fiber) => {
    const context = fiber.currentContext
    const scope = Context.unsafeGet(context, Scope.Scope)
    // Costs one comparison when no tracker is installed anywhere (the common case).
    const tracker = tracking.isAnyInstalled()
      ? fiber.getFiberRef(tracking.currentTracker)
      : undefined
    const cell = new Cell(spec, context, tracker)
    return Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (child) => {
      cell.child = child
      tracker?.opened(cell)
      // On a scope that is already closed, `fork` returns a closed child and this runs the
      // finalizer at once with the scope's exit, as `Scope.addFinalizer` does.
      return Effect.as(
        Scope.addFinalizerExit(child, (exit) => fire(cell, exit, "scope")),
        cell
      )
    })
  })

/**
 * Runs the finalizer if nobody has, or waits for the run in progress. `true` when this call
 * ran it; a dying cleanup fails the call that ran it. `false` when the finalizer had already
 * run, was removed or skipped, or was run by the other side (after waiting for it).
 */
export const fire = (cell: Cell, exit: Exit.Exit<unknown, unknown>, by: Trigger) =>
  // Uninterruptible even when the scope is closed by an interruptible `Scope.close`: a run
  // cut short would stay Running forever and every waiter would hang.
  Effect.uninterruptible(
    Effect.suspend((): Effect.Effect<boolean> => {
      switch (cell.phase._tag) {
        case "Armed": {
          // Race: an explicit close and the scope closing both arrive here. This block runs to
          // completion before any other fiber runs, so exactly one of them moves Armed to
          // Running and runs the finalizer; the other finds Running below.
          if (by === "scope" && cell.spec.runsFor !== undefined && !cell.spec.runsFor(exit)) {
            cell.settle({ _tag: "Skipped", scopeExit: exit })
            return Effect.succeed(false)
          }
          cell.phase = { _tag: "Running", by }
          return Effect.as(run(cell, exit, by), true)
        }
        case "Running":
          // Race: the other side is running the finalizer. `Scope.close` on a child that is
          // already closing returns at once, so without this wait a parent scope would finish
          // closing before an explicit close's release had finished.
          return Effect.as(cell.awaitRunning(), false)
        default:
          return Effect.succeed(false)
      }
    })
  )

const run = (cell: Cell, exit: Exit.Exit<unknown, unknown>, by: Trigger): Effect.Effect<void> => {
  const { finalizer, timeout, warnIfNotClosed, label } = cell.spec
  const cleanup: Effect.Effect<unknown, never, any> =
    by === "scope" && warnIfNotClosed === true
      ? Effect.zipRight(
          Effect.logWarning(
            `Resource "${label}" was not closed: its scope released it. Call Resource.close when you are done with it.`
          ).pipe(Effect.annotateLogs({ "scopeguard.id": cell.id, "scopeguard.label": label })),
          finalizer(exit)
        )
      : finalizer(exit)
  const provided = withContext(cleanup, cell.context)
  const outcome =
    timeout === undefined ? Effect.exit(provided) : runWithin(provided, timeout, label)
  return Effect.flatMap(outcome, (result) => {
    cell.settle({ _tag: "Done", exit: result, by })
    // A failed cleanup fails the caller that ran it: the scope's close or the explicit close.
    return Exit.asVoid(result) as Exit.Exit<void, never>
  })
}

/** Runs the cleanup with the services of the fiber that registered it (as `acquireRelease`). */
const withContext = <A, E>(
  effect: Effect.Effect<A, E, any>,
  context: Context.Context<never>
): Effect.Effect<A, E> =>
  Effect.withFiberRuntime((fiber) =>
    fiber.currentContext === context
      ? (effect as Effect.Effect<A, E>)
      : Effect.provide(effect as Effect.Effect<A, E>, context)
  )

/**
 * Runs the cleanup in its own fiber and waits at most `timeout` for it.
 *
 * `Effect.timeout` cannot be used here: we run inside a finalizer, an uninterruptible region,
 * and `timeout` interrupts the loser and waits for it, which never ends when the cleanup
 * never ends. Instead both the cleanup and a timer complete one latch; whoever is first wins,
 * and the loser is interrupted without waiting (`interruptFork`) — an uninterruptible cleanup
 * is abandoned, still running, and the close completes on time.
 */
const runWithin = (
  cleanup: Effect.Effect<unknown>,
  timeout: Duration.Duration,
  label: string
): Effect.Effect<Exit.Exit<unknown, unknown>> => {
  const latch = Deferred.unsafeMake<Exit.Exit<unknown, unknown>>(FiberId.none)
  const timedOut = Exit.die(new ReleaseTimeoutError({ label, timeout }))
  return Effect.flatMap(
    Effect.forkDaemon(
      Effect.flatMap(Effect.exit(Effect.interruptible(cleanup)), (exit) =>
        Deferred.succeed(latch, exit)
      )
    ),
    (cleanupFiber) =>
      Effect.flatMap(
        // Interruptible, or a finished close would leave the timer sleeping (and the process up).
        Effect.forkDaemon(
          Effect.interruptible(
            Effect.zipRight(Effect.sleep(timeout), Deferred.succeed(latch, timedOut))
          )
        ),
        (timerFiber) =>
          Effect.tap(Deferred.await(latch), (result) =>
            result === timedOut
              ? Fiber.interruptFork(cleanupFiber)
              : Fiber.interruptFork(timerFiber)
          )
      )
  )
}

/**
 * Runs the finalizer now with `Exit.void`, whatever the guard's strategy, and removes the
 * cell from its scope. `true` when this call ran it. If a run is in progress (from either
 * side) waits for it. Uninterruptible: an interrupted close would leave the entry behind.
 */
export const runNow = (cell: Cell): Effect.Effect<boolean> =>
  // Whether this call ran it is decided by `fire`, in the block that moves the phase: read
  // here, before `fire`, the answer could be stale after a yield.
  Effect.uninterruptible(Effect.ensuring(fire(cell, Exit.void, "close"), closeChild(cell)))

/**
 * Removes the cell from its scope without running it (`detach`, `disarm`). `true` when it was
 * armed. Uninterruptible, like every change of phase.
 */
export const remove = (cell: Cell): Effect.Effect<boolean> =>
  Effect.uninterruptible(
    Effect.suspend(() => {
      // Race: a removal and a scope close (or a close) arrive together. Whoever moves the
      // phase out of Armed first wins, in one synchronous block: if the scope got there
      // first, the cleanup is Running and we report `false`; if we did, the scope's later
      // call finds Removed (or a closed child) and runs nothing.
      if (cell.phase._tag !== "Armed") {
        return Effect.succeed(false)
      }
      cell.settle(REMOVED)
      return Effect.as(closeChild(cell), true)
    })
  )

/**
 * Closing the child deletes its entry from the parent scope: this is what keeps a long-lived
 * scope from growing. The cell is already settled, so the child's finalizer does nothing.
 */
const closeChild = (cell: Cell): Effect.Effect<void> =>
  cell.child === undefined ? Effect.void : Scope.close(cell.child, Exit.void)

/** Waits until the finalizer has run, and yields its outcome. */
export const awaitDone = (cell: Cell): Effect.Effect<Exit.Exit<unknown, unknown>> =>
  Effect.suspend(() =>
    cell.phase._tag === "Done"
      ? Effect.succeed(cell.phase.exit)
      : // Armed or Running: wait for the run to end. Removed: it never will.
        Effect.zipRight(cell.awaitRunning(), awaitDone(cell))
  )
