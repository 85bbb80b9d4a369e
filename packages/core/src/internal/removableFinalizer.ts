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
 * User code (the finalizer, a logger, a tracker) is never called inside such a block: the
 * finalizer is called inside the Effect that the block returns and that the state machine
 * awaits, so a finalizer that throws instead of returning an Effect is a defect of that
 * Effect, recorded in the phase like any other, and no phase is left half-changed.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Scope from "effect/Scope"
import { ReleaseTimeoutError } from "../Errors.js"
import type * as Tracking from "../Tracking.js"
import * as tracking from "./tracking.js"

/** Who started the finalizer: an explicit `close` / `runNow` / commit, or the scope closing. */
export type Trigger = "close" | "scope"

/** The life of a removable finalizer. Every transition is made by a function of this file. */
export type Phase =
  | {
      readonly _tag: "Armed"
      /**
       * Set when a failed commit has decided to run the cleanup and has not started it yet
       * (it runs its cleanups one by one, newest first). The cell is armed as it would be
       * during a scope's rollback: `disarm`, `runNow` and a commit act on it as on any armed
       * cell; a scope close runs it with the commit's exit (the strategy already decided).
       */
      readonly pending?: PendingRun | undefined
    }
  | { readonly _tag: "Committing" }
  | { readonly _tag: "Running"; readonly by: Trigger }
  | { readonly _tag: "Done"; readonly exit: Exit.Exit<unknown, unknown>; readonly by: Trigger }
  | { readonly _tag: "Removed" }
  | { readonly _tag: "Skipped"; readonly scopeExit: Exit.Exit<unknown, unknown> }

/** A cleanup a failed commit has decided to run, not started yet. */
export interface PendingRun {
  readonly exit: Exit.Exit<unknown, unknown>
}

/** The cells a fiber is inside of (their finalizer, or a use of them), innermost first. */
interface Inside {
  readonly cell: Cell
  readonly next: Inside | undefined
}

/** When the scope releases a resource nobody closed, on which of its exits to warn. */
export type WarnWhen = "success" | "always"

/** What a `Resource` or `Guard` asks of the mechanism. */
export interface Spec {
  readonly kind: "resource" | "guard"
  readonly id: number
  readonly label: string
  /**
   * The cleanup; it runs with the context of the fiber that registered it. User code: it is
   * called only inside the Effect the state machine awaits, so a throw is a defect there.
   */
  readonly finalizer: (exit: Exit.Exit<unknown, unknown>) => Effect.Effect<unknown, never, any>
  /** For guards: whether the scope's closing exit calls for the cleanup. */
  readonly runsFor?: ((exit: Exit.Exit<unknown, unknown>) => boolean) | undefined
  readonly timeout?: Duration.Duration | undefined
  /** How long a close waits for in-flight uses before interrupting them. */
  readonly drainTimeout?: Duration.Duration | undefined
  readonly warnIfNotClosed?: WarnWhen | undefined
}

const ARMED: Phase = { _tag: "Armed" }
const COMMITTING: Phase = { _tag: "Committing" }
const REMOVED: Phase = { _tag: "Removed" }

const ids = globalValue(Symbol.for("@scopeguard/core/ids"), () => ({ next: 0 }))

/**
 * The cells whose commit action the current fiber is running (inherited by the fibers the
 * action forks): a close of one of them from inside its own commit is re-entrant. A FiberRef,
 * not a field: the action may fork, and a commit is not on the hot path.
 */
const committing = globalValue(Symbol.for("@scopeguard/core/committing"), () =>
  // `join` keeps the parent's value: a successful plain commit inherits the action fiber's
  // refs, and must not keep the committed cells marked (or referenced) in the caller.
  FiberRef.unsafeMake<ReadonlySet<Cell>>(new Set(), { join: (parent) => parent })
)

/**
 * The cells whose finalizer or use the current fiber runs — inherited by every fiber forked
 * meanwhile (`Effect.timeout`, `race`, `fork` + `join` all fork): a close of one of them from
 * such a fiber is re-entrant, never a wait for itself. Set and restored directly on the fiber
 * (`setFiberRef`), not with `locally`, which would add operations to every close and use.
 * A fiber forked inside and still running after the finalizer or use ended keeps the mark;
 * the cell is settled by then, or released with the leases it waits for, so the mark changes
 * nothing a wait would have done.
 */
const insideRef = globalValue(Symbol.for("@scopeguard/core/inside"), () =>
  FiberRef.unsafeMake<Inside | undefined>(undefined, { join: (parent) => parent })
)

/**
 * `RuntimeFiber` types `getFiberRef` but not its counterpart, which every fiber of Effect 3
 * has (`FiberRuntime.setFiberRef`: the value the running fiber sees from its next operation).
 * Setting the mark directly costs no operation; `FiberRef.set` would cost one per close.
 */
const setInside = (fiber: Fiber.RuntimeFiber<unknown, unknown>, value: Inside | undefined): void =>
  (
    fiber as unknown as {
      setFiberRef: (ref: FiberRef.FiberRef<Inside | undefined>, value: Inside | undefined) => void
    }
  ).setFiberRef(insideRef, value)

const isInside = (fiber: Fiber.RuntimeFiber<unknown, unknown>, cell: Cell): boolean => {
  for (let at = fiber.getFiberRef(insideRef); at !== undefined; at = at.next) {
    if (at.cell === cell) return true
  }
  return false
}

/** Marks `fiber` as inside `cell`; returns what to restore. */
const enter = (fiber: Fiber.RuntimeFiber<unknown, unknown>, cell: Cell): Inside | undefined => {
  const before = fiber.getFiberRef(insideRef)
  setInside(fiber, { cell, next: before })
  return before
}

/** A process-wide, increasing id shared by resources and guards. */
export const nextId = (): number => ++ids.next

/** A user's tracker may throw: it must cost neither the registration nor the release. */
const tell = (
  tracker: Tracking.Tracker,
  event: "opened" | "releasing" | "committing" | "settled",
  cell: Cell
): void => {
  try {
    tracker[event]?.(cell)
  } catch {
    // The tracker is an observer; the state change it observes has already happened.
  }
}

/**
 * A removable, run-at-most-once finalizer. It is also the `Tracking.Entry` a tracker sees.
 */
export class Cell implements Tracking.Entry {
  phase: Phase = ARMED
  child: Scope.CloseableScope | undefined = undefined
  /** The fiber running the finalizer, while it runs: a close from it is re-entrant. */
  runner: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  /** Completed when the cell settles (leaves Running or Committing for good); made only when somebody waits. */
  private latch: Deferred.Deferred<void> | undefined = undefined

  /** In-flight `Resource.use` calls (leases). A release waits until this is zero. */
  leases = 0
  /** The fibers holding leases, with how many each holds (nested uses); made on first use. */
  holders: Map<Fiber.RuntimeFiber<unknown, unknown>, number> | undefined = undefined
  /** With a drain timeout: the fibers running the uses, interrupted when it passes. */
  useFibers: Set<Fiber.RuntimeFiber<unknown, unknown>> | undefined = undefined
  /** Completed when the last lease is returned during a release. */
  drained: Deferred.Deferred<void> | undefined = undefined
  /** Set when a drain timeout interrupted the uses: they report the resource released. */
  revoked = false
  /** The fiber running a release asked for from inside a use; the last use waits for it. */
  releaser: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  /** With both timeouts: completed when the drain ends or its timeout passes. */
  due: Deferred.Deferred<void> | undefined = undefined
  /** With both timeouts: the drain's timer, interrupted once the uses have ended. */
  drainTimer: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  /** What the runner's inside-mark was before the finalizer ran (restored after). */
  insideBefore: Inside | undefined = undefined

  constructor(
    readonly spec: Spec,
    readonly context: Context.Context<never>,
    /** Undefined until announced, for a `fromScoped` adoption that may still fail. */
    public tracker: Tracking.Tracker | undefined
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

  awaitBusy(): Effect.Effect<void> {
    this.latch ??= Deferred.unsafeMake<void>(FiberId.none)
    return Deferred.await(this.latch)
  }

  /** The cell has settled: wakes the waiters. */
  private wake(): void {
    if (this.latch !== undefined) {
      const latch = this.latch
      // A later busy phase gets a latch of its own.
      this.latch = undefined
      Deferred.unsafeDone(latch, Exit.void)
    }
  }

  /** Moves to a final phase, wakes the waiters and tells the tracker. */
  settle(phase: Phase): void {
    this.phase = phase
    this.runner = undefined
    this.wake()
    if (this.tracker !== undefined) tell(this.tracker, "settled", this)
  }

  /** Whether `fiber` (or a fiber that forked it) holds a lease. */
  holds(fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean {
    return (
      this.leases > 0 &&
      ((this.holders !== undefined && this.holders.has(fiber)) || isInside(fiber, this))
    )
  }

  /** Whether `fiber` runs this cell's finalizer (or was forked by it). */
  runsIn(fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean {
    return this.runner === fiber || (this.runner !== undefined && isInside(fiber, this))
  }
}

/**
 * Registers a new cell on the scope of the calling fiber. Must run uninterruptibly, right
 * after the acquisition it guards, so that nothing can come between the two.
 */
export const register = <H>(
  /** Called when the effect runs: each run makes a cell of its own (and an id). */
  makeSpec: () => Spec,
  handle: (cell: Cell, tracker: Tracking.Tracker | undefined) => H,
  /** `false`: the tracker is not told (nor attached) until `announce`. */
  announced: boolean = true
): Effect.Effect<H, never, Scope.Scope> =>
  Effect.withFiberRuntime((fiber) => {
    const spec = makeSpec()
    const context = fiber.currentContext
    const scope = Context.unsafeGet(context, Scope.Scope)
    // Costs one comparison when no tracker is installed anywhere (the common case).
    const tracker = tracking.isAnyInstalled()
      ? fiber.getFiberRef(tracking.currentTracker)
      : undefined
    const cell = new Cell(spec, context, announced ? tracker : undefined)
    return Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (child) => {
      cell.child = child
      if (announced && tracker !== undefined) tell(tracker, "opened", cell)
      // On a scope that is already closed, `fork` returns a closed child and this runs the
      // finalizer at once with the scope's exit, as `Scope.addFinalizer` does. The handle is
      // made here, not by a `map` after: one operation less per make.
      return Effect.as(
        Scope.addFinalizerExit(child, (exit) => fromScope(cell, exit)),
        handle(cell, tracker)
      )
    })
  })

/**
 * The child scope's finalizer. When `close`, `disarm` or `detach` closed the child, the cell
 * is already in a final phase — which never changes again — and there is nothing to do: a
 * constant `void` instead of `fire` saves three operations on every close and disarm.
 */
const fromScope = (cell: Cell, exit: Exit.Exit<unknown, unknown>): Effect.Effect<boolean> => {
  switch (cell.phase._tag) {
    case "Done":
    case "Removed":
    case "Skipped":
      return FALSE
    default:
      return fire(cell, exit, "scope")
  }
}

const FALSE = Effect.succeed(false)

/**
 * Attaches the tracker of a cell registered unannounced, once what it holds exists, and tells
 * it `opened` — unless the cell was released meanwhile (a tracker hears nothing of it then).
 */
export const announce = (cell: Cell, tracker: Tracking.Tracker | undefined): void => {
  if (tracker === undefined || cell.phase._tag !== "Armed") return
  cell.tracker = tracker
  tell(tracker, "opened", cell)
}

/**
 * Runs the finalizer if nobody has, or waits for the run in progress. `true` when this call
 * ran it; a dying cleanup fails the call that ran it. `false` when the finalizer had already
 * run, was removed or skipped, was run by the other side (after waiting for it), or when this
 * call comes from inside the running finalizer itself (re-entrant: it returns at once).
 *
 * `checkStrategy`: whether a guard's strategy decides (the scope closing, a failed commit);
 * `runNow` runs the cleanup whatever the strategy says.
 */
export const fire = (
  cell: Cell,
  exit: Exit.Exit<unknown, unknown>,
  by: Trigger,
  checkStrategy: boolean = by === "scope"
): Effect.Effect<boolean> =>
  // Uninterruptible even when the scope is closed by an interruptible `Scope.close`: a run
  // cut short would stay Running forever and every waiter would hang.
  Effect.uninterruptible(fireUnmasked(cell, exit, by, checkStrategy))

/** `fire` for callers that are already uninterruptible (saves two operations per close). */
const fireUnmasked = (
  cell: Cell,
  exit: Exit.Exit<unknown, unknown>,
  by: Trigger,
  checkStrategy: boolean,
  after?: After
): Effect.Effect<boolean> =>
  Effect.withFiberRuntime((fiber): Effect.Effect<boolean> => {
    if (after !== undefined && cell.phase._tag !== "Armed") {
      return finish(fireUnmasked(cell, exit, by, checkStrategy), after)
    }
    switch (cell.phase._tag) {
      case "Armed": {
        // A failed commit's pending run, met by a scope close: the commit's exit and decision
        // stand (the strategy was checked against them). An explicit close or runNow acts as
        // on any armed cell, as it would during a scope's rollback.
        const pending = by === "scope" ? cell.phase.pending : undefined
        const runExit = pending === undefined ? exit : pending.exit
        // Race: an explicit close and the scope closing both arrive here. This block runs to
        // completion before any other fiber runs, so exactly one of them moves Armed to
        // Running and runs the finalizer; the other finds Running below.
        if (!begin(cell, runExit, by, pending === undefined && checkStrategy)) {
          return after === undefined ? FALSE : finish(FALSE, after)
        }
        if (cell.holds(fiber)) {
          // Race: a close from inside a use of this very resource (or from a fiber the use
          // forked). Waiting here for the uses to end would wait for itself: the release runs
          // in a fiber of its own, which drains the uses as any close does (drainTimeout and
          // releaseTimeout bound it), and the last use to end waits for it. The child scope
          // is closed only after the release: closed now, the parent would lose its entry and
          // a `Scope.close` of the parent would return before the release had run.
          const release = Effect.withFiberRuntime(
            (releaser: Fiber.RuntimeFiber<unknown, unknown>) =>
              run(cell, runExit, by, releaser, { close: closeChild(cell), answer: false })
          )
          return Effect.flatMap(Effect.forkDaemon(Effect.ignore(release)), (releaser) => {
            cell.releaser = releaser
            return after === undefined || after.answer ? TRUE : (VOID as Effect.Effect<any>)
          })
        }
        return run(cell, runExit, by, fiber, after)
      }
      case "Running": {
        // Re-entrant: the finalizer closes its own cell (from its own fiber, or one it
        // forked), or a use closes the resource it is using while another close drains.
        // Waiting would wait for ourselves: return at once.
        if (cell.runsIn(fiber) || cell.holds(fiber)) return Effect.succeed(false)
        // Race: the other side is running the finalizer. `Scope.close` on a child that is
        // already closing returns at once, so without this wait a parent scope would finish
        // closing before an explicit close's release had finished.
        return Effect.as(cell.awaitBusy(), false)
      }
      case "Committing":
        // Re-entrant: a close, runNow or scope close from inside this cell's own commit
        // action. The commit decides when the action ends; waiting for that decision would
        // wait for ourselves. Nothing runs now: a failed commit still runs the cleanup.
        if (fiber.getFiberRef(committing).has(cell)) return Effect.succeed(false)
        // A commit is deciding whether the cleanup is still needed: wait until it has
        // settled the cell (Removed, or run or skipped by the action's exit), then look again.
        return Effect.zipRight(cell.awaitBusy(), fireUnmasked(cell, exit, by, checkStrategy))
      default:
        return Effect.succeed(false)
    }
  })

/**
 * Moves an Armed cell to Running (`true`: the caller runs the finalizer), or to Skipped when
 * its strategy says that `exit` does not call for it (`false`). Synchronous: callers make this
 * move in the same block as the check that the cell is Armed.
 */
const begin = (
  cell: Cell,
  exit: Exit.Exit<unknown, unknown>,
  by: Trigger,
  checkStrategy: boolean,
  pending?: PendingRun
): boolean => {
  const runsFor = cell.spec.runsFor
  if (checkStrategy && runsFor !== undefined && !runsFor(exit)) {
    cell.settle({ _tag: "Skipped", scopeExit: exit })
    return false
  }
  if (pending !== undefined) {
    // Decided, not started: armed until it runs; the tracker hears `releasing` then.
    cell.phase = { _tag: "Armed", pending }
    return true
  }
  cell.phase = { _tag: "Running", by }
  if (cell.tracker !== undefined) tell(cell.tracker, "releasing", cell)
  return true
}

/**
 * The release, as the state machine awaits it: drain the leases, warn, run the finalizer, then
 * record the outcome. Each piece of user code is called inside this Effect, never while a
 * phase is being changed.
 */
const run = (
  cell: Cell,
  exit: Exit.Exit<unknown, unknown>,
  by: Trigger,
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  after: After | undefined
): Effect.Effect<boolean> => {
  const { timeout, label } = cell.spec
  const warn = warns(cell, exit, by)
  // No lease can be taken once the phase has left Armed: if none is out now, none will be.
  const leases = cell.leases > 0
  if (!warn && !leases && timeout === undefined) {
    // The common case: nothing runs before the finalizer, so it is called right here, in the
    // fiber that runs it, after the phase change is complete (one `withFiberRuntime` less
    // per close). The rest of the close (`after`) continues from the same `matchCauseEffect`.
    return settleWith(cell, by, callIn(fiber, cell, exit), after)
  }
  let cleanup: Effect.Effect<unknown> = callFinalizer(cell, exit)
  if (warn) cleanup = Effect.zipRight(warning(cell), cleanup)
  // With a drain timeout, the drain has a bound of its own and the release timeout starts
  // after it: a release timeout shorter than the drain would otherwise pass during the drain
  // and the release would never run. Without one, the release timeout bounds the wait for the
  // uses too (nothing else would), so that the close completes on time.
  const drainTimeout = cell.spec.drainTimeout
  const drainFirst = leases && timeout !== undefined && drainTimeout !== undefined
  if (leases && !drainFirst) cleanup = Effect.zipRight(drain(cell), cleanup)
  // With both: the release timeout starts once the uses have ended or the drain timeout has
  // passed (its timer then interrupts them), and covers the wait for interrupted uses to stop
  // as well as the release: a use that ignores its interruption cannot hold the close longer
  // than drainTimeout + releaseTimeout.
  if (drainFirst) cleanup = Effect.zipRight(awaitDrained(cell), cleanup)
  if (timeout !== undefined) {
    let timed = Effect.flatMap(runWithin(cleanup, timeout, label), (result) => {
      cell.settle({ _tag: "Done", exit: result, by })
      // A failed cleanup fails the caller that ran it: the scope's close or the explicit close.
      return Exit.isSuccess(result)
        ? TRUE
        : (Effect.failCause(result.cause) as Effect.Effect<never>)
    })
    if (drainFirst) timed = Effect.zipRight(drainUntilDue(cell, drainTimeout), timed)
    return after === undefined ? timed : finish(timed, after)
  }
  return settleWith(cell, by, cleanup, after)
}

/**
 * What an explicit close does once the finalizer has run: close the child scope (which
 * deletes its entry from the parent), whatever the finalizer did, then answer whether this
 * call ran it (`runNow`) or nothing (`close`).
 */
interface After {
  readonly close: Effect.Effect<void>
  readonly answer: boolean
}

/**
 * Runs `cleanup`, records its outcome in the cell, then continues with `after`. One
 * `matchCauseEffect` does all three (an `exit` + `flatMap`, or a second `matchCauseEffect`
 * for the close, would each cost operations on every close).
 */
const settleWith = (
  cell: Cell,
  by: Trigger,
  cleanup: Effect.Effect<unknown>,
  after: After | undefined
): Effect.Effect<boolean> =>
  Effect.matchCauseEffect(cleanup, {
    onFailure: (cause) => {
      leave(cell)
      cell.settle({ _tag: "Done", exit: Exit.failCause(cause), by })
      const failed = Effect.failCause(cause) as Effect.Effect<never>
      return after === undefined ? failed : Effect.zipRight(after.close, failed)
    },
    onSuccess: (value) => {
      leave(cell)
      cell.settle({ _tag: "Done", exit: value === undefined ? Exit.void : Exit.succeed(value), by })
      return after === undefined
        ? TRUE
        : after.answer
          ? Effect.as(after.close, true)
          : (after.close as Effect.Effect<any>)
    }
  })

/**
 * Restores the runner's inside-mark once the finalizer has ended. Called where the finalizer
 * was awaited in its runner's own fiber (with a release timeout it runs in a fiber of its own,
 * which ends with it).
 */
const leave = (cell: Cell): void => {
  const runner = cell.runner
  if (runner !== undefined) setInside(runner, cell.insideBefore)
  cell.insideBefore = undefined
}

/** `after` once `effect` has answered: the close happens whatever the effect did. */
const finish = (effect: Effect.Effect<boolean>, after: After): Effect.Effect<boolean> =>
  Effect.matchCauseEffect(effect, {
    onFailure: (cause) => Effect.zipRight(after.close, Effect.failCause(cause)),
    onSuccess: (ran) =>
      after.answer ? Effect.as(after.close, ran) : (after.close as Effect.Effect<any>)
  })

const TRUE = Effect.succeed(true)
const VOID = Effect.void

/**
 * Calls the user's finalizer in the fiber that runs it, with the services of the fiber that
 * registered it (as `acquireRelease`). One `withFiberRuntime` does three things: it records
 * that fiber as the cell's runner (so that a close of this cell from inside the release is
 * re-entrant — a field, not a FiberRef: `Effect.locallyWith` cost a third of a make + close,
 * so a fiber the release forks is not recognised, only the release's own fiber), it provides
 * the context, and it turns a finalizer that throws instead of returning an Effect into a
 * defect of the release.
 */
const callFinalizer = (
  cell: Cell,
  exit: Exit.Exit<unknown, unknown>
): Effect.Effect<unknown, never, never> =>
  Effect.withFiberRuntime((fiber) => callIn(fiber, cell, exit))

/** `callFinalizer`'s body, for a caller that already holds the running fiber. */
const callIn = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  cell: Cell,
  exit: Exit.Exit<unknown, unknown>
): Effect.Effect<unknown> => {
  cell.runner = fiber
  cell.insideBefore = enter(fiber, cell)
  let effect: Effect.Effect<unknown, never, any>
  try {
    effect = cell.spec.finalizer(exit)
  } catch (error) {
    return Effect.die(error)
  }
  return fiber.currentContext === cell.context
    ? (effect as Effect.Effect<unknown>)
    : Effect.provide(effect as Effect.Effect<unknown>, cell.context)
}

const warns = (cell: Cell, exit: Exit.Exit<unknown, unknown>, by: Trigger): boolean => {
  const when = cell.spec.warnIfNotClosed
  return by === "scope" && (when === "always" || (when === "success" && Exit.isSuccess(exit)))
}

/** The warning for a resource nobody closed. A logger that fails must not cost the release. */
const warning = (cell: Cell): Effect.Effect<void> =>
  Effect.catchAllCause(
    Effect.logWarning(
      `Resource "${cell.label}" was not closed: its scope released it. Call Resource.close when you are done with it.`
    ).pipe(Effect.annotateLogs({ "scopeguard.id": cell.id, "scopeguard.label": cell.label })),
    () => Effect.void
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
              ? // The cleanup may be uninterruptible: it is abandoned, not waited for.
                Fiber.interruptFork(cleanupFiber)
              : // The cleanup has just completed the latch, and the timer sleeps
                // interruptibly: wait for both to end, so that a finished close leaves no fiber
                // running. (On the TestClock, a sleep interrupted inside the clock's own
                // bookkeeping never ends — Effect-TS/effect#6910; only an explorer preempts
                // the timer there, and reports it as an explorer-only hang.)
                Effect.zipRight(Fiber.interrupt(timerFiber), Fiber.await(cleanupFiber))
          )
      )
  )
}

/**
 * Runs the finalizer now with `Exit.void`, whatever the guard's strategy, and removes the
 * cell from its scope. `true` when this call ran it. If a run is in progress (from either
 * side) waits for it. Uninterruptible: an interrupted close would leave the entry behind.
 */
export const runNow = (cell: Cell): Effect.Effect<boolean> => runNowThen(cell, true)

/**
 * Closes with a given exit (a `fromScoped` acquisition that failed: what it opened is closed
 * with the acquisition's own exit) and removes the cell from its scope.
 */
export const closeWith = (cell: Cell, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> =>
  Effect.uninterruptible(
    fireUnmasked(cell, exit, "close", false, { close: closeChild(cell), answer: false })
  )

/** `runNow` without its answer (`Resource.close`): no `asVoid`, one operation less. */
export const close = (cell: Cell): Effect.Effect<void> => runNowThen(cell, false)

const runNowThen: {
  (cell: Cell, answer: true): Effect.Effect<boolean>
  (cell: Cell, answer: false): Effect.Effect<void>
} = (cell: Cell, answer: boolean): Effect.Effect<any> =>
  // Whether this call ran it is decided by `fire`, in the block that moves the phase: read
  // here, before `fire`, the answer could be stale after a yield. The child is closed
  // whatever the release did (`after`: inside one uninterruptible region, a
  // `matchCauseEffect` is `ensuring` without its own mask), in the same `matchCauseEffect`
  // that records the release's outcome.
  Effect.uninterruptible(
    fireUnmasked(cell, Exit.void, "close", false, { close: closeChild(cell), answer })
  )

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
      // call finds Removed (or a closed child) and runs nothing. A commit in progress
      // (Committing) decides for itself: a removal during it reports `false`.
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

/**
 * Waits until the finalizer has run, and yields its outcome. From inside the running
 * finalizer itself this would wait for itself: it dies at once instead.
 */
export const awaitDone = (cell: Cell): Effect.Effect<Exit.Exit<unknown, unknown>> =>
  Effect.withFiberRuntime((fiber) => {
    switch (cell.phase._tag) {
      case "Done":
        return Effect.succeed(cell.phase.exit)
      case "Running":
        if (cell.runsIn(fiber)) {
          return Effect.dieMessage(
            `awaitRelease of "${cell.label}" was called from inside its own release, which would wait for itself`
          )
        }
        if (cell.holds(fiber)) {
          // The release waits for this use to end.
          return Effect.dieMessage(
            `awaitRelease of "${cell.label}" was called from inside a use of it, whose end the release waits for`
          )
        }
        return Effect.zipRight(cell.awaitBusy(), awaitDone(cell))
      default:
        // Armed or Committing: wait for a run. Removed: it never comes (documented).
        return Effect.zipRight(cell.awaitBusy(), awaitDone(cell))
    }
  })

// ---------------------------------------------------------------------------------------------
// Leases: a resource is never released under a running use.

/**
 * Runs `use` holding a lease on the cell: a release that starts meanwhile waits for it (up to
 * the drain timeout). `refused` is the error when the cell can no longer be used.
 */
export const withLease = <B, E, R, E2>(
  cell: Cell,
  refused: () => E2,
  use: () => Effect.Effect<B, E, R>
): Effect.Effect<B, E | E2, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime((fiber): Effect.Effect<B, E | E2, R> => {
      // Race: a use and a close. Taking a lease here and a close's move out of Armed are each
      // one synchronous block: either the use holds its lease before the close starts (and
      // the close waits for it), or it finds the phase changed and is refused.
      if (cell.phase._tag !== "Armed") return Effect.fail(refused())
      const before = takeLease(cell, fiber)
      const returned = returnLease(cell, fiber, before)
      if (cell.spec.drainTimeout === undefined) {
        return Effect.ensuring(restore(Effect.suspend(use)), returned)
      }
      // With a drain timeout the use runs in a fiber of its own, so that the close can
      // interrupt the use alone (not the caller's whole fiber) when the timeout passes.
      const inUseFiber = Effect.withFiberRuntime(
        (useFiber: Fiber.RuntimeFiber<unknown, unknown>) => {
          // The use's own fiber holds the lease too (it also inherits the caller's mark): a
          // close from inside the use is re-entrant, not a drain waiting for itself.
          hold(cell, useFiber)
          cell.useFibers ??= new Set()
          cell.useFibers.add(useFiber)
          // Race: the drain timeout may have passed before this fiber started (its timer then
          // did not see it): it is interrupted before the use runs.
          const used = cell.revoked ? Effect.interrupt : restore(Effect.suspend(use))
          return Effect.ensuring(
            used,
            Effect.sync(() => {
              unhold(cell, useFiber)
              cell.useFibers?.delete(useFiber)
            })
          )
        }
      )
      return Effect.ensuring(
        Effect.flatMap(Effect.fork(inUseFiber), (useFiber) => {
          return Effect.flatMap(
            Effect.exit(restore(Fiber.await(useFiber))),
            (waited): Effect.Effect<B, E | E2> => {
              if (Exit.isFailure(waited)) {
                // The caller was interrupted: so is its use, and we wait for it to end.
                return Effect.zipRight(Fiber.interrupt(useFiber), waited as Exit.Exit<never>)
              }
              const result = waited.value
              if (cell.revoked && Exit.isInterrupted(result)) return Effect.fail(refused())
              return Effect.zipRight(Fiber.inheritAll(useFiber), result as Effect.Effect<B, E>)
            }
          )
        }),
        returned
      )
    })
  )

const hold = (cell: Cell, fiber: Fiber.RuntimeFiber<unknown, unknown>): void => {
  cell.holders ??= new Map()
  cell.holders.set(fiber, (cell.holders.get(fiber) ?? 0) + 1)
}

const unhold = (cell: Cell, fiber: Fiber.RuntimeFiber<unknown, unknown>): void => {
  const held = cell.holders!.get(fiber)!
  if (held === 1) cell.holders!.delete(fiber)
  else cell.holders!.set(fiber, held - 1)
}

/** Takes a lease for `fiber` and marks it (and what it forks) inside; returns the old mark. */
const takeLease = (cell: Cell, fiber: Fiber.RuntimeFiber<unknown, unknown>): Inside | undefined => {
  cell.leases++
  hold(cell, fiber)
  return enter(fiber, cell)
}

const returnLease = (
  cell: Cell,
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  before: Inside | undefined
) =>
  Effect.suspend(() => {
    cell.leases--
    unhold(cell, fiber)
    setInside(fiber, before)
    if (cell.leases > 0) return Effect.void
    if (cell.drained !== undefined) Deferred.unsafeDone(cell.drained, Exit.void)
    if (cell.due !== undefined) Deferred.unsafeDone(cell.due, Exit.void)
    const releaser = cell.releaser
    if (releaser === undefined) return Effect.void
    // The release was asked for from inside a use and runs in a fiber of its own, which was
    // waiting for this lease: the last use to end returns once it has finished. Its outcome
    // is in the phase (`awaitRelease`, `state`); the use itself is not failed by it.
    cell.releaser = undefined
    return Effect.asVoid(Fiber.await(releaser))
  })

/** With a drain timeout: interrupts the uses still running when it passes. */
const forkDrainTimer = (cell: Cell, drainTimeout: Duration.Duration) =>
  Effect.forkDaemon(
    Effect.interruptible(
      Effect.zipRight(
        Effect.sleep(drainTimeout),
        Effect.suspend(() => {
          cell.revoked = true
          if (cell.due !== undefined) Deferred.unsafeDone(cell.due, Exit.void)
          return Fiber.interruptAll(cell.useFibers ?? [])
        })
      )
    )
  )

/**
 * Waits for the in-flight uses. With a drain timeout, a timer interrupts them when it passes;
 * the wait ends once their interruption has completed (their own finalizers ran).
 */
const drain = (cell: Cell): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (cell.leases === 0) return Effect.void
    cell.drained ??= Deferred.unsafeMake<void>(FiberId.none)
    const drained = Deferred.await(cell.drained)
    const drainTimeout = cell.spec.drainTimeout
    if (drainTimeout === undefined) return drained
    return Effect.flatMap(forkDrainTimer(cell, drainTimeout), (timer) =>
      Effect.zipRight(drained, Fiber.interruptFork(timer))
    )
  })

/**
 * With both a drain and a release timeout: waits until the uses have ended or the drain
 * timeout has passed (its timer is then interrupting them). The rest of the drain is waited
 * for by `awaitDrained`, under the release timeout.
 */
const drainUntilDue = (cell: Cell, drainTimeout: Duration.Duration): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (cell.leases === 0) return Effect.void
    cell.drained ??= Deferred.unsafeMake<void>(FiberId.none)
    cell.due = Deferred.unsafeMake<void>(FiberId.none)
    const due = Deferred.await(cell.due)
    return Effect.flatMap(forkDrainTimer(cell, drainTimeout), (timer) => {
      cell.drainTimer = timer
      return due
    })
  })

const awaitDrained = (cell: Cell): Effect.Effect<void> =>
  Effect.suspend(() => {
    const timer = cell.drainTimer
    cell.drainTimer = undefined
    const drained =
      cell.drained === undefined || cell.leases === 0 ? Effect.void : Deferred.await(cell.drained)
    return timer === undefined ? drained : Effect.zipRight(drained, Fiber.interruptFork(timer))
  })

// ---------------------------------------------------------------------------------------------
// Commits: run a final action and remove the cells without a gap.

/** What the restore form of a commit is given, as `Effect.uninterruptibleMask` gives it. */
export type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/**
 * The final action of a commit: an effect that runs interruptibly in a fiber of its own, or a
 * function of a `restore` whose result runs uninterruptibly but for what it wraps in `restore`.
 */
export type Action<B, E, R> =
  Effect.Effect<B, E, R> | ((restore: Restore) => Effect.Effect<B, E, R>)

/**
 * Moves every cell from Armed to Committing, runs `action` and decides on *its* exit: success
 * removes every cell; failure or interruption runs every cell's cleanup now, newest first,
 * respecting its strategy. A cell given twice is one cell. Yields the action's exit when every
 * cell was armed, or the first cell that was not (then nothing ran).
 */
export const commit = <B, E, R>(
  cellsOf: () => ReadonlyArray<Cell>,
  action: Action<B, E, R>,
  notArmed: (cell: Cell) => unknown
): Effect.Effect<B, E, R> =>
  // One uninterruptible region from the commit's first operation to its last: reading the
  // cells, the action (but what it restores), the decision and the commit's own result. An
  // interruption sent anywhere in it waits for its end, so the explorer finds one point
  // where the user's code calls `commit` and one where it goes on, not a window per
  // operation of ours (none of them is a place where an interruption could mean anything
  // else).
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime((fiber): Effect.Effect<B, E, R> => {
      // A guard listed twice is one guard: decided (and run) once.
      const given = cellsOf()
      const cells = given.length > 1 ? Array.from(new Set(given)) : given
      // Race: a commit and the scope closing (or a disarm, a runNow). Checking and moving
      // every cell to Committing is one synchronous block; a scope close that arrives while
      // the action runs waits for the decision (see `fire`).
      const notArmedCell = cells.find((cell) => cell.phase._tag !== "Armed")
      // A programming error (the guard was already run, disarmed or committed), not an
      // outcome to handle: a defect, as Effect reports its own misuse.
      if (notArmedCell !== undefined) return Effect.die(notArmed(notArmedCell))
      for (const cell of cells) {
        cell.phase = COMMITTING
        if (cell.tracker !== undefined) tell(cell.tracker, "committing", cell)
      }
      // Inside the action (and the fibers it forks), a close of these cells is re-entrant.
      const inside = new Set(fiber.getFiberRef(committing))
      for (const cell of cells) inside.add(cell)
      const marked = <X, Y, Z>(effect: Effect.Effect<X, Y, Z>) =>
        Effect.locally(effect, committing, inside)
      if (!Effect.isEffect(action)) {
        // The restore form: the action runs in this fiber, uninterruptible but for what it
        // wraps in `restore`, and the decision is taken in the same uninterruptible region as
        // its end: an interruption that arrives during a write acknowledged later waits, and
        // the exit that decides is the action's own. The function is user code: called inside
        // the Effect, after the phase change is complete; a throw is a defect of the action.
        return Effect.flatMap(Effect.exit(marked(Effect.suspend(() => action(restore)))), (exit) =>
          decide(cells, exit)
        )
      }
      // The plain form runs the action in its own fiber so that the decision rests on the
      // action's own exit, whatever the timing of an interruption of the caller: in our fiber,
      // an interruption processed between the action's last step and the end of `restore` (the
      // runtime checks for one there, at a scheduler yield) would turn its success into an
      // interruption, and the compensation would run after the action succeeded.
      // The mark is set in the action's fiber before `restore`: a `locally` inside it would
      // add interruptible steps after the action's last one (an interruption there turns a
      // success into an interruption).
      const markedAction = Effect.zipRight(FiberRef.set(committing, inside), restore(action))
      return Effect.flatMap(Effect.fork(markedAction), (actionFiber) =>
        Effect.flatMap(
          Effect.flatMap(
            Effect.exit(restore(Fiber.await(actionFiber))),
            (waited): Effect.Effect<Exit.Exit<B, E>> =>
              // Interrupted while waiting: interrupt the action and take its real exit (a
              // success that came first stays a success).
              Exit.isSuccess(waited) ? Effect.succeed(waited.value) : Fiber.interrupt(actionFiber)
          ),
          (exit) =>
            Exit.isSuccess(exit)
              ? Effect.zipRight(Fiber.inheritAll(actionFiber), decide(cells, exit))
              : decide(cells, exit)
        )
      )
    })
  )

/** Takes the decision on the action's exit, and ends the commit with that exit. */
const decide = <B, E>(cells: ReadonlyArray<Cell>, exit: Exit.Exit<B, E>): Effect.Effect<B, E> => {
  if (Exit.isSuccess(exit)) {
    // The action succeeded: no cleanup may run now. One block moves every cell out.
    for (const cell of cells) cell.settle(REMOVED)
    return Effect.zipRight(Effect.forEach(cells, closeChild, { discard: true }), exit)
  }
  // The action failed or was interrupted: the cleanups run now, newest first, each with the
  // action's exit and its own strategy; their defects are added to the action's cause.
  // Race: a scope close waiting for this decision. Every cell leaves Committing in this one
  // block, decided by the action's exit — Skipped, or armed with the run pending: plainly
  // Armed, even one yield later, a waiting scope close would take the cells that were not yet
  // run and decide them by the scope's exit (an onFailure compensation skipped on a successful
  // close); with the pending run it runs them with the commit's exit. The waiters stay asleep
  // until each cell settles. Until its run starts a cell is armed as during a scope's
  // rollback: a newer compensation may run, disarm or commit an older guard.
  const newestFirst = cells.length > 1 ? [...cells].reverse() : cells
  const pending: PendingRun = { exit }
  for (const cell of newestFirst) begin(cell, exit, "close", true, pending)
  return Effect.flatMap(
    Effect.forEach(newestFirst, (cell) =>
      Effect.exit(Effect.ensuring(runPending(cell, pending), closeChild(cell)))
    ),
    (results) => {
      let cause = exit.cause
      for (const result of results) {
        if (Exit.isFailure(result)) cause = Cause.sequential(cause, result.cause)
      }
      return Exit.failCause(cause)
    }
  )
}

/**
 * A failed commit's turn to run one cleanup: run it if it is still pending; if somebody else
 * runs it (a close, a runNow, a scope close took it over) wait for that run, whose outcome
 * belongs to its caller; if another commit is deciding it, wait for that decision and look
 * again; if it was disarmed, skipped or has run, nothing.
 */
const runPending = (cell: Cell, pending: PendingRun): Effect.Effect<boolean> =>
  Effect.withFiberRuntime((fiber): Effect.Effect<boolean> => {
    const phase = cell.phase
    switch (phase._tag) {
      case "Armed":
        if (phase.pending === pending) {
          begin(cell, pending.exit, "close", false)
          return run(cell, pending.exit, "close", fiber, undefined)
        }
        return Effect.zipRight(cell.awaitBusy(), runPending(cell, pending))
      case "Committing":
        return Effect.zipRight(cell.awaitBusy(), runPending(cell, pending))
      case "Running":
        return cell.runsIn(fiber) ? FALSE : Effect.as(cell.awaitBusy(), false)
      default:
        return FALSE
    }
  })
