/**
 * The one mechanism under `Resource` and `Guard`: a finalizer that is registered on a scope,
 * runs at most once, and can be removed from the scope again.
 *
 * Effect 4 has no public way to delete a finalizer from a scope. The one mechanism that does
 * is a child scope made by `Scope.forkUnsafe`: the parent holds a single entry that closes the
 * child, and closing the child (`Scope.closeUnsafe`) deletes that entry from the parent, in
 * the same synchronous call. Cells registered one after the other on a (sequential) scope,
 * with nothing else registered on it in between, share one such child: a `Registry`, whose
 * only finalizer runs them newest first, each as `fire(cell, exit, "scope")`, where entries
 * of their own would have run. Every move to a final phase (`settle`) takes the cell out of
 * its registry in O(1), in the block that makes the move; the last one out closes the child,
 * which removes the entry. Closing a scope that holds many cells then costs one entry and a
 * loop, not a child scope per cell.
 *
 * All the state changes that can race live in this file, and each happens inside one
 * synchronous block (JavaScript runs it to completion, so no other fiber can observe a
 * half-made change) inside an uninterruptible region (so no close stops half-way).
 *
 * Effect 4 runs a waiting fiber *inline* when it is woken: `Deferred.doneUnsafe` and
 * `fiber.interruptUnsafe` call straight into the other fiber's run loop. So a block wakes its
 * waiters last, once every change it makes is complete; a woken fiber then sees a finished
 * state, never a half-made one.
 *
 * User code (the finalizer, a logger, a tracker) is never called inside such a block: the
 * finalizer is called inside the Effect that the block returns and that the state machine
 * awaits, so a finalizer that throws instead of returning an Effect is a defect of that
 * Effect, recorded in the phase like any other, and no phase is left half-changed.
 *
 * Re-entrant calls — a release that closes its own resource, a use that closes the resource
 * it uses, a commit's action or compensation that runs or closes its own guards — would wait
 * for themselves. They are recognised through three `Context.Reference`s (the leases a fiber
 * holds, the releases it runs, the commits whose action it runs), which every fiber forked
 * from there inherits: Effect 4 forks for `Effect.timeout`, `race` and concurrent `all`, so a
 * callback that calls back through one of them is still recognised.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import { ReleaseTimeoutError } from "../Errors.js"
import type * as Tracking from "../Tracking.js"
import * as tracking from "./tracking.js"

/** Who started the finalizer: an explicit `close` / `runNow` / commit, or the scope closing. */
export type Trigger = "close" | "scope"

/** A `Guard.commit` in progress: the phase of each of its guards points at it. */
export interface Commit {
  readonly cells: ReadonlyArray<Cell>
}

/** One `Resource.use` in flight. */
interface Lease {
  readonly cell: Cell
  active: boolean
}

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
  /** A commit's action is running; the commit decides what happens next. */
  | { readonly _tag: "Committing"; readonly commit: Commit }
  | { readonly _tag: "Running"; readonly by: Trigger }
  | { readonly _tag: "Done"; readonly exit: Exit.Exit<unknown, unknown>; readonly by: Trigger }
  | { readonly _tag: "Removed" }
  | { readonly _tag: "Skipped"; readonly scopeExit: Exit.Exit<unknown, unknown> }

/** A cleanup a failed commit has decided to run, not started yet. */
export interface PendingRun {
  readonly exit: Exit.Exit<unknown, unknown>
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
const REMOVED: Phase = { _tag: "Removed" }

const ids: { next: number } = ((globalThis as any)[Symbol.for("@scopeguard/core/ids")] ??= {
  next: 0
})

/** A process-wide, increasing id shared by resources and guards. */
export const nextId = (): number => ++ids.next

/** The leases the current fiber holds: fibers forked inside a use hold its lease too. */
const Leases = Context.Reference<ReadonlyArray<Lease>>("@scopeguard/core/Leases", {
  defaultValue: () => []
})

/**
 * The cells whose release the current fiber runs. A `Context.Reference`, not the runner's
 * fiber: Effect 4 forks for `Effect.timeout`, `race` and concurrent `all`, and a release that
 * closes its own resource (or scope) through one of them must still be recognised.
 */
const Releasing = Context.Reference<ReadonlyArray<Cell>>("@scopeguard/core/Releasing", {
  defaultValue: () => []
})

/** The commits whose action the current fiber runs (or a fiber the action forked). */
const Commits = Context.Reference<ReadonlyArray<Commit>>("@scopeguard/core/Commits", {
  defaultValue: () => []
})

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
  /** The registry holding the cell's place in its scope; undefined once settled. */
  registry: Registry | undefined = undefined
  /** The neighbours in the registry: `prev` registered just before, `next` just after. */
  prev: Cell | undefined = undefined
  next: Cell | undefined = undefined
  /** Completed when the cell settles; made only when somebody waits. */
  private latch: Deferred.Deferred<void> | undefined = undefined

  /** In-flight `Resource.use` calls (leases). A release waits until this is zero. */
  leases = 0
  /** With a drain timeout: the fibers running the uses, interrupted when it passes. */
  useFibers: Set<Fiber.Fiber<unknown, unknown>> | undefined = undefined
  /** Completed when the last lease is returned during a release. */
  drained: Deferred.Deferred<void> | undefined = undefined
  /** Set when a drain timeout interrupted the uses: they report the resource released. */
  revoked = false
  /** The fiber running a release asked for from inside a use; the last use waits for it. */
  releaser: Fiber.Fiber<unknown, unknown> | undefined = undefined
  /** With both timeouts: completed when the drain ends or its timeout passes. */
  due: Deferred.Deferred<void> | undefined = undefined
  /** With both timeouts: the drain's timer, interrupted once the uses have ended. */
  drainTimer: Fiber.Fiber<unknown, unknown> | undefined = undefined

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

  awaitSettled(): Effect.Effect<void> {
    this.latch ??= Deferred.makeUnsafe<void>()
    return Deferred.await(this.latch)
  }

  /**
   * The second half of a move to a final phase (`phase` is already set): remove the cell from
   * its registry (the registry's entry leaves the scope with its last cell), tell the tracker,
   * then wake the waiters — last, because Effect 4 runs a woken fiber inline, and it must find
   * the move complete.
   */
  completeSettle(): void {
    const registry = this.registry
    if (registry !== undefined) registry.unlink(this)
    if (this.tracker !== undefined) tell(this.tracker, "settled", this)
    if (this.latch !== undefined) Deferred.doneUnsafe(this.latch, Exit.void)
  }

  /** Moves to a final phase: one synchronous block. */
  settle(phase: Phase): void {
    this.phase = phase
    this.completeSettle()
  }

  /** Whether `fiber` runs this cell's release (or was forked from it). */
  releasedBy(fiber: Fiber.Fiber<unknown, unknown>): boolean {
    return fiber.getRef(Releasing).includes(this)
  }

  holds(fiber: Fiber.Fiber<unknown, unknown>): boolean {
    if (this.leases === 0) return false
    const leases = fiber.getRef(Leases)
    for (let i = 0; i < leases.length; i++) {
      const lease = leases[i]!
      if (lease.cell === this && lease.active) return true
    }
    return false
  }
}

/** Whether `fiber` runs the action or the compensations of `commit`. */
const isInside = (fiber: Fiber.Fiber<unknown, unknown>, commit: Commit): boolean =>
  fiber.getRef(Commits).includes(commit)

// ---------------------------------------------------------------------------------------------
// Registries: cells registered one after the other on a scope share one entry of it.

/**
 * The place in a scope of cells registered on it one after the other, with nothing else
 * registered on the scope in between: one child scope of the scope (the one removable entry
 * Effect 4's public API has), whose only finalizer runs the cells, newest first, when the
 * scope closes it — where the scope would have run entries of their own, in their order.
 *
 * A cell joins the registry that holds the scope's last entry (`lastEntry`); anything else
 * registered on the scope meanwhile is the new last entry, and the next cell starts a new
 * registry after it. A settled cell leaves its registry in O(1) (a doubly linked list); the
 * registry's last cell to leave closes the child, which removes the entry: a long-lived scope
 * does not grow, and a scope is left exactly as it was before the cells came.
 *
 * Only a sequential scope shares: a parallel one runs its entries concurrently, so each cell
 * keeps an entry (a registry) of its own there.
 */
class Registry {
  /** The oldest cell and the newest. */
  head: Cell | undefined = undefined
  tail: Cell | undefined = undefined
  size = 0
  /** Set when the child is closed (by the scope, or by the last cell leaving). */
  closed = false
  /**
   * The child's finalizer. It carries the registry (`OwnRegistry`): a cell finds the registry
   * through the scope's last entry, the child, and the child's finalizer — so only once the
   * finalizer is in place (until then the scope may close and run it at once: no cell of
   * another fiber may join before), and with no table of registries to keep.
   */
  readonly finalizer: RegistryFinalizer

  constructor(readonly child: Scope.Closeable) {
    const finalizer = ((exit) => closeRegistry(this, exit)) as RegistryFinalizer
    finalizer[OwnRegistry] = this
    this.finalizer = finalizer
  }

  link(cell: Cell): void {
    cell.registry = this
    const tail = this.tail
    cell.prev = tail
    if (tail === undefined) this.head = cell
    else tail.next = cell
    this.tail = cell
    this.size++
  }

  unlink(cell: Cell): void {
    const prev = cell.prev
    const next = cell.next
    if (prev === undefined) this.head = next
    else prev.next = next
    if (next === undefined) this.tail = prev
    else next.prev = prev
    cell.registry = undefined
    cell.prev = undefined
    cell.next = undefined
    if (--this.size === 0 && !this.closed) {
      // The last cell left: the entry goes too. Closing the child deletes it from the scope;
      // its finalizer finds the registry empty and returns a constant.
      this.closed = true
      Scope.closeUnsafe(this.child, Exit.void)
    }
  }
}

/**
 * The scope's most recently added entry that is still there (its key: a child scope is its
 * own key), or `undefined` when that cannot be told cheaply. Reads the scope's `state` (public
 * in Effect 4); `canTellLastEntry` checks at load time that it reads it right, and sharing is
 * off otherwise. An entry found here is the one a closing scope runs first.
 */
const lastEntry = (scope: Scope.Scope): object | undefined => {
  const state = scope.state
  if (state._tag !== "Open") return undefined
  if (state.finalizer !== undefined) return state.finalizerKey
  const map = state.finalizers
  if (!(map instanceof Map) || map.size > LAST_ENTRY_SCAN) return undefined
  let last: object | undefined = undefined
  for (const key of map.keys()) last = key
  return last
}

/**
 * Past this many entries a scope's last one is not looked for (a look goes through the keys,
 * about 150 ns at 64): each cell registered there gets a registry of its own, an entry of its
 * own in the scope, as without sharing.
 */
const LAST_ENTRY_SCAN = 64

/**
 * Whether `lastEntry` reads this version of Effect right: on a scratch scope, every add and
 * removal of entries is followed by the answer it must give. If not, no registry is shared.
 */
const canTellLastEntry = ((): boolean => {
  try {
    const scope = Scope.makeUnsafe()
    if (lastEntry(scope) !== undefined) return false
    const a = Scope.forkUnsafe(scope)
    if (lastEntry(scope) !== a) return false
    const b = Scope.forkUnsafe(scope)
    if (lastEntry(scope) !== b) return false
    Scope.closeUnsafe(b, Exit.void)
    if (lastEntry(scope) !== a) return false
    const c = Scope.forkUnsafe(scope)
    const d = Scope.forkUnsafe(scope)
    Scope.closeUnsafe(a, Exit.void)
    if (lastEntry(scope) !== d) return false
    Scope.closeUnsafe(d, Exit.void)
    if (lastEntry(scope) !== c) return false
    Scope.closeUnsafe(c, Exit.void)
    if (lastEntry(scope) !== undefined) return false
    Scope.closeUnsafe(scope, Exit.void)
    return lastEntry(scope) === undefined
  } catch {
    return false
  }
})()

const OwnRegistry = Symbol.for("@scopeguard/core/Registry")

interface RegistryFinalizer {
  (exit: Exit.Exit<unknown, unknown>): Effect.Effect<void>
  [OwnRegistry]: Registry
}

/**
 * The registry a cell registered on `scope` now may join, if any: the scope's last entry is
 * the child of an open registry whose finalizer is in place.
 */
const joinable = (scope: Scope.Scope): Registry | undefined => {
  if (!canTellLastEntry || scope.strategy !== "sequential") return undefined
  const last = lastEntry(scope) as Partial<Scope.Scope> | undefined
  if (last === undefined) return undefined
  const state = last.state
  if (state === undefined || state._tag !== "Open" || state.finalizer === undefined)
    return undefined
  const registry = (state.finalizer as Partial<RegistryFinalizer>)[OwnRegistry]
  return registry !== undefined && registry.child === last && !registry.closed
    ? registry
    : undefined
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
  Effect.withFiber((fiber) => registerIn(fiber, makeSpec(), handle, announced)) as Effect.Effect<
    H,
    never,
    Scope.Scope
  >

/** `register` with a spec made by the caller when the effect runs (after an acquisition). */
export const registerSpec = <H>(
  spec: Spec,
  handle: (cell: Cell, tracker: Tracking.Tracker | undefined) => H,
  announced: boolean = true
): Effect.Effect<H, never, Scope.Scope> =>
  Effect.withFiber((fiber) => registerIn(fiber, spec, handle, announced)) as Effect.Effect<
    H,
    never,
    Scope.Scope
  >

const registerIn = <H>(
  fiber: Fiber.Fiber<unknown, unknown>,
  spec: Spec,
  handle: (cell: Cell, tracker: Tracking.Tracker | undefined) => H,
  announced: boolean
): Effect.Effect<H> => {
  const context = fiber.context
  const scope = Context.getUnsafe(context, Scope.Scope)
  // Costs one comparison when no tracker is installed anywhere (the common case).
  const tracker = tracking.isAnyInstalled() ? fiber.getRef(tracking.CurrentTracker) : undefined
  const cell = new Cell(spec, context, announced ? tracker : undefined)
  const state = scope.state
  if (state._tag === "Closed") {
    // As `Scope.addFinalizer` on a closed scope: the finalizer runs at once, with the
    // scope's exit.
    if (announced && tracker !== undefined) tell(tracker, "opened", cell)
    return Effect.as(fromScope(cell, state.exit), handle(cell, tracker))
  }
  const shared = joinable(scope)
  if (shared !== undefined) {
    // The scope's last entry is a registry: the cell takes the next place in it, the place
    // an entry of its own would have had. One synchronous block.
    shared.link(cell)
    if (announced && tracker !== undefined) tell(tracker, "opened", cell)
    return Effect.succeed(handle(cell, tracker))
  }
  // A registry of its own, the scope's new last entry. Until its child holds the finalizer
  // no other cell can find it (see `Registry.finalizer`): the scope may close between the
  // two steps, and the finalizer then runs at once, as it would for a cell of its own.
  const registry = new Registry(Scope.forkUnsafe(scope))
  registry.link(cell)
  if (announced && tracker !== undefined) tell(tracker, "opened", cell)
  return Effect.as(
    Scope.addFinalizerExit(registry.child, registry.finalizer),
    handle(cell, tracker)
  )
}

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
 * The registry's finalizer: the scope is closing it. Runs its cells newest first, one after
 * the other, each as `fromScope` (as the scope would have run entries of their own), and fails
 * with their failures' reasons in that order (as the scope would have combined them). The
 * cells are taken as they are now: one a cleanup settles meanwhile is passed over, as the scope
 * passes over an entry removed while it closes.
 */
const closeRegistry = (
  registry: Registry,
  exit: Exit.Exit<unknown, unknown>
): Effect.Effect<void> => {
  registry.closed = true
  if (registry.size === 0) return Effect.void
  if (registry.size === 1) return Effect.asVoid(fromScope(registry.tail!, exit))
  const cells: Array<Cell> = []
  for (let cell = registry.tail; cell !== undefined; cell = cell.prev) cells.push(cell)
  return Effect.uninterruptible(
    Effect.withFiber((fiber) => runCells(new Closing(fiber, cells, exit), 0))
  )
}

/** A registry's close in progress: its cells, newest first, and the failures so far. */
class Closing {
  readonly reasons: Array<Cause.Reason<never>> = []
  /** The last release context made, for the next cell of the same maker (most are). */
  makers: Context.Context<never> | undefined = undefined
  runner: Context.Context<never> | undefined = undefined
  base: Context.Context<never> | undefined = undefined
  constructor(
    readonly fiber: Fiber.Fiber<unknown, unknown>,
    readonly cells: ReadonlyArray<Cell>,
    readonly exit: Exit.Exit<unknown, unknown>
  ) {}

  fail(cause: Cause.Cause<unknown>): void {
    const reasons = cause.reasons as ReadonlyArray<Cause.Reason<never>>
    for (let i = 0; i < reasons.length; i++) this.reasons.push(reasons[i]!)
  }

  /** The maker's services over the runner's (`positioned`), made once per maker context. */
  baseFor(cell: Cell): Context.Context<never> {
    const fiber = this.fiber
    const runner = fiber.context
    if (runner === cell.context) return runner
    if (this.makers !== cell.context || this.runner !== runner) {
      this.makers = cell.context
      this.runner = runner
      this.base = positioned(fiber, cell.context)
    }
    return this.base!
  }
}

/**
 * Runs the cells from `from` on, each as `fire(cell, exit, "scope")` would. The common cell
 * (plainly armed, no lease, no timeout, no warning) is run here without `fire`'s wrapping: a
 * finalizer that returns an `Exit` is recorded in this very loop, one that returns an Effect
 * is run in the closing fiber (with its context, as `runPlain`) and the loop resumes after it.
 */
const runCells = (closing: Closing, from: number): Effect.Effect<void> => {
  const { cells, exit, fiber } = closing
  for (let i = from; i < cells.length; i++) {
    const cell = cells[i]!
    const phase = cell.phase
    if (phase._tag === "Done" || phase._tag === "Removed" || phase._tag === "Skipped") continue
    if (
      phase !== ARMED ||
      cell.leases > 0 ||
      cell.spec.timeout !== undefined ||
      cell.spec.warnIfNotClosed !== undefined
    ) {
      return Effect.flatMap(Effect.exit(fire(cell, exit, "scope")), (result) => {
        if (Exit.isFailure(result)) closing.fail(result.cause)
        return runCells(closing, i + 1)
      })
    }
    if (!begin(cell, exit, "scope", true)) continue
    const effect = callUser(cell, exit)
    if (Exit.isExit(effect)) {
      if (Exit.isSuccess(effect)) {
        cell.settle(doneWith(effect.value, "scope"))
      } else {
        cell.settle({ _tag: "Done", exit: effect, by: "scope" })
        closing.fail(effect.cause)
      }
      continue
    }
    const previous = fiber.context
    fiber.setContext(releaseContext(fiber, cell, closing.baseFor(cell)))
    return Effect.matchCauseEffect(effect, {
      onFailure: (cause) => {
        fiber.setContext(previous)
        cell.settle({ _tag: "Done", exit: Exit.failCause(cause), by: "scope" })
        closing.fail(cause)
        return runCells(closing, i + 1)
      },
      onSuccess: (value) => {
        fiber.setContext(previous)
        cell.settle(doneWith(value, "scope"))
        return runCells(closing, i + 1)
      }
    })
  }
  const reasons = closing.reasons
  return reasons.length === 0 ? Effect.void : Effect.failCause(Cause.fromReasons(reasons))
}

/**
 * A cell's finalizer in its scope. When a close, a disarm, a detach or a commit settled the
 * cell, the phase is final — it never changes again — and there is nothing to do.
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

/**
 * Runs the finalizer if nobody has, or waits for the run in progress. `true` when this call
 * ran it; a dying cleanup fails the call that ran it. `false` when the finalizer had already
 * run, was removed or skipped, was run by the other side (after waiting for it), or when this
 * call would wait for itself (re-entrant: it returns at once).
 *
 * `checkStrategy`: whether a guard's strategy decides (the scope closing); `runNow` and
 * `close` run the cleanup whatever the strategy says (`Exit.void`).
 */
export const fire = (
  cell: Cell,
  exit: Exit.Exit<unknown, unknown>,
  by: Trigger,
  checkStrategy: boolean = by === "scope"
): Effect.Effect<boolean> =>
  // Uninterruptible even when the scope is closed by an interruptible caller: a run cut short
  // would stay Running forever and every waiter would hang.
  Effect.uninterruptible(
    Effect.withFiber((fiber) => fireIn(fiber, cell, exit, by, checkStrategy, BOOLEANS))
  )

/**
 * What a run answers: `yes` when this call ran the finalizer, `no` otherwise (`fire`'s
 * booleans, or nothing at all for `close`, which saves mapping them away).
 */
interface Answers<A> {
  readonly yes: Effect.Effect<A>
  readonly no: Effect.Effect<A>
}

const FALSE = Effect.succeed(false)
const TRUE = Effect.succeed(true)
const BOOLEANS: Answers<boolean> = { yes: TRUE, no: FALSE }
const NOTHING: Answers<void> = { yes: Effect.void, no: Effect.void }

/** `fire`'s body, in the fiber that runs it (already uninterruptible). */
const fireIn = <A>(
  fiber: Fiber.Fiber<unknown, unknown>,
  cell: Cell,
  exit: Exit.Exit<unknown, unknown>,
  by: Trigger,
  checkStrategy: boolean,
  answers: Answers<A>
): Effect.Effect<A> => {
  const phase = cell.phase
  switch (phase._tag) {
    case "Armed": {
      // A failed commit's pending run, met by the scope closing: the commit's exit and
      // decision stand (the strategy was checked against them). An explicit close or runNow
      // acts on it as on any armed cell, as it would during a scope's rollback.
      const pending = by === "scope" ? phase.pending : undefined
      const runExit = pending === undefined ? exit : pending.exit
      // Race: an explicit close and the scope closing both arrive here. This block runs to
      // completion before any other fiber runs, so exactly one of them moves Armed to
      // Running and runs the finalizer; the other finds Running below.
      if (!begin(cell, runExit, by, pending === undefined && checkStrategy)) return answers.no
      if (cell.holds(fiber)) {
        // Race: a close from inside a use of this very resource (or from a fiber the use
        // forked). Waiting here for the uses to end would wait for itself: the release runs
        // in a fiber of its own, which drains the uses as any close does (drainTimeout and
        // releaseTimeout bound it), and the last use to end waits for it. The entry stays
        // in the scope until the release has settled the cell, so that a scope closing
        // meanwhile waits for the release. The releaser holds no lease (it does not inherit
        // the use's), and is uninterruptible, as any release.
        const release = Effect.withFiber((releaser) => run(cell, runExit, by, releaser, BOOLEANS))
        return Effect.flatMap(
          Effect.forkDetach(
            Effect.ignoreCause(Effect.provideService(release, Leases, [])),
            NO_INTERRUPT
          ),
          (releaser) => {
            cell.releaser = releaser
            return answers.yes
          }
        )
      }
      return run(cell, runExit, by, fiber, answers)
    }
    case "Running":
      // Re-entrant: the finalizer itself closes its own cell (from its own fiber or one it
      // forked), or a use closes the resource it is using while another close drains.
      // Waiting would wait for ourselves: return at once.
      if (cell.releasedBy(fiber) || cell.holds(fiber)) return answers.no
      // Race: the other side is running the finalizer. `Scope.close` on a child that is
      // already closing returns at once, so without this wait a parent scope would finish
      // closing before an explicit close's release had finished.
      return Effect.andThen(cell.awaitSettled(), answers.no)
    case "Committing":
      // From inside the commit's own action (a `runNow`, or its scope closing): the commit
      // decides when the action ends, and waiting for that would wait for ourselves. Leave
      // the guard to the decision: a failed commit still runs the cleanup.
      if (isInside(fiber, phase.commit)) return answers.no
      // A commit is deciding whether the cleanup is still needed: wait until the cell has
      // settled (Removed, or run or skipped by the action's exit), then look again.
      return Effect.andThen(
        cell.awaitSettled(),
        Effect.withFiber((again) => fireIn(again, cell, exit, by, checkStrategy, answers))
      )
    default:
      return answers.no
  }
}

/** A release forked from inside a use runs to the end, as any release. */
const NO_INTERRUPT = { uninterruptible: true } as const

/**
 * Moves an Armed cell to Running (`true`: the caller runs the finalizer), or to Skipped when
 * its strategy says that `exit` does not call for it (`false`). Synchronous: callers make this
 * move in the same block as the check that the cell is Armed.
 */
const begin = (
  cell: Cell,
  exit: Exit.Exit<unknown, unknown>,
  by: Trigger,
  checkStrategy: boolean
): boolean => {
  const runsFor = cell.spec.runsFor
  if (checkStrategy && runsFor !== undefined && !runsFor(exit)) {
    cell.settle({ _tag: "Skipped", scopeExit: exit })
    return false
  }
  cell.phase = by === "scope" ? RUNNING_SCOPE : RUNNING_CLOSE
  if (cell.tracker !== undefined) tell(cell.tracker, "releasing", cell)
  return true
}

const RUNNING_SCOPE: Phase = { _tag: "Running", by: "scope" }
const RUNNING_CLOSE: Phase = { _tag: "Running", by: "close" }
const DONE_SCOPE: Phase = { _tag: "Done", exit: Exit.void, by: "scope" }
const DONE_CLOSE: Phase = { _tag: "Done", exit: Exit.void, by: "close" }

/**
 * The release, as the state machine awaits it: drain the leases, warn, run the finalizer, then
 * record the outcome. Each piece of user code is called inside this Effect, never while a
 * phase is being changed.
 */
const run = <A>(
  cell: Cell,
  exit: Exit.Exit<unknown, unknown>,
  by: Trigger,
  fiber: Fiber.Fiber<unknown, unknown>,
  answers: Answers<A>
): Effect.Effect<A> => {
  const timeout = cell.spec.timeout
  const warn = warns(cell, exit, by)
  // No lease can be taken once the phase has left Armed: if none is out now, none will be.
  const leases = cell.leases > 0
  if (!warn && !leases && timeout === undefined) {
    // The common case: nothing runs before the finalizer, so it is called right here, in the
    // fiber that runs it, after the phase change is complete.
    return runPlain(cell, exit, by, fiber, answers)
  }
  let cleanup: Effect.Effect<unknown> = callFinalizer(cell, exit)
  if (warn) cleanup = Effect.andThen(warning(cell), cleanup)
  // With a drain timeout, the drain has a bound of its own and the release timeout starts
  // after it: a release timeout shorter than the drain would otherwise pass during the drain
  // and the release would never run. Without one, the release timeout bounds the wait for the
  // uses too (nothing else would), so that the close completes on time.
  const drainTimeout = cell.spec.drainTimeout
  const drainFirst = leases && timeout !== undefined && drainTimeout !== undefined
  if (leases && !drainFirst) cleanup = Effect.andThen(drain(cell), cleanup)
  // With both: the release timeout starts once the uses have ended or the drain timeout has
  // passed (its timer then interrupts them), and covers the wait for interrupted uses to stop
  // as well as the release: a use that ignores its interruption cannot hold the close longer
  // than drainTimeout + releaseTimeout.
  if (drainFirst) cleanup = Effect.andThen(awaitDrained(cell), cleanup)
  if (timeout !== undefined) {
    const timed = Effect.flatMap(runWithin(cleanup, timeout, cell.label), (result) => {
      cell.settle({ _tag: "Done", exit: result, by })
      // A failed cleanup fails the caller that ran it: the scope's close or the explicit close.
      return Exit.isSuccess(result)
        ? answers.yes
        : (Effect.failCause(result.cause) as Effect.Effect<never>)
    })
    return drainFirst ? Effect.andThen(drainUntilDue(cell, drainTimeout), timed) : timed
  }
  return settleWith(cell, by, cleanup, answers)
}

/**
 * The common release: the finalizer called in the fiber that runs it, nothing before it. A
 * finalizer that returns an `Exit` (`Effect.void`, a constant) has nothing left to run: its
 * outcome is recorded at once, in this block. Otherwise it runs in the runner's fiber, with
 * the maker's services and the release marked in the fiber's context (`releaseContext`),
 * set on the fiber directly and restored in the continuation (both branches) when it ends.
 */
const runPlain = <A>(
  cell: Cell,
  exit: Exit.Exit<unknown, unknown>,
  by: Trigger,
  fiber: Fiber.Fiber<unknown, unknown>,
  answers: Answers<A>
): Effect.Effect<A> => {
  const effect = callUser(cell, exit)
  if (Exit.isExit(effect)) return settleExit(cell, by, effect, answers)
  const previous = fiber.context
  fiber.setContext(releaseContext(fiber, cell))
  return Effect.matchCauseEffect(effect, {
    onFailure: (cause) => {
      fiber.setContext(previous)
      cell.settle({ _tag: "Done", exit: Exit.failCause(cause), by })
      return Effect.failCause(cause) as Effect.Effect<never>
    },
    onSuccess: (value) => {
      fiber.setContext(previous)
      cell.settle(doneWith(value, by))
      return answers.yes
    }
  })
}

/** Records a finished outcome: `true`, or the failure (a dying cleanup fails its runner). */
const settleExit = <A>(
  cell: Cell,
  by: Trigger,
  result: Exit.Exit<unknown, unknown>,
  answers: Answers<A>
): Effect.Effect<A> => {
  if (Exit.isSuccess(result)) {
    cell.settle(doneWith(result.value, by))
    return answers.yes
  }
  cell.settle({ _tag: "Done", exit: result, by })
  return result as Effect.Effect<unknown, unknown> as Effect.Effect<never>
}

const doneWith = (value: unknown, by: Trigger): Phase =>
  value === undefined
    ? by === "scope"
      ? DONE_SCOPE
      : DONE_CLOSE
    : { _tag: "Done", exit: Exit.succeed(value), by }

/** The user's finalizer, called: a throw instead of an Effect is a defect of the release. */
const callUser = (cell: Cell, exit: Exit.Exit<unknown, unknown>): Effect.Effect<unknown> => {
  try {
    return cell.spec.finalizer(exit) as Effect.Effect<unknown>
  } catch (error) {
    return Exit.die(error)
  }
}

/**
 * The context a release runs with: the services of the fiber that registered it over the
 * runner's (as `acquireRelease`), the release marked (so that a close of this cell from inside
 * the release, or a fiber it forks, is re-entrant), and the runner's position: which releases
 * it runs, which leases it holds and which commit's action it runs are the runner's (a
 * `runNow` from inside a use or a commit's action passes them on).
 */
const releaseContext = (
  fiber: Fiber.Fiber<unknown, unknown>,
  cell: Cell,
  base: Context.Context<never> = fiber.context === cell.context
    ? fiber.context
    : positioned(fiber, cell.context)
): Context.Context<never> => {
  const running = fiber.getRef(Releasing)
  return Context.add(base, Releasing, running.length === 0 ? [cell] : [...running, cell])
}

/** The maker's services over the runner's, with the runner's leases and commits. */
const positioned = (
  fiber: Fiber.Fiber<unknown, unknown>,
  makers: Context.Context<never>
): Context.Context<never> =>
  Context.add(
    Context.add(Context.merge(fiber.context, makers), Leases, fiber.getRef(Leases)),
    Commits,
    fiber.getRef(Commits)
  )

/** Runs `cleanup`, records its outcome in the cell (one `matchCauseEffect`), answers `true`. */
const settleWith = <A>(
  cell: Cell,
  by: Trigger,
  cleanup: Effect.Effect<unknown>,
  answers: Answers<A>
): Effect.Effect<A> =>
  Effect.matchCauseEffect(cleanup, {
    onFailure: (cause) => {
      cell.settle({ _tag: "Done", exit: Exit.failCause(cause), by })
      return Effect.failCause(cause) as Effect.Effect<never>
    },
    onSuccess: (value) => {
      cell.settle(doneWith(value, by))
      return answers.yes
    }
  })

/**
 * Calls the user's finalizer in the fiber that runs it, with the services of the fiber that
 * registered it (as `acquireRelease`). It marks the release in its context (so that a close of
 * this cell from inside the release, or a fiber it forks, is re-entrant), and turns a
 * finalizer that throws instead of returning an Effect into a defect of the release.
 */
const callFinalizer = (cell: Cell, exit: Exit.Exit<unknown, unknown>): Effect.Effect<unknown> =>
  Effect.withFiber((fiber) => callIn(fiber, cell, exit))

/** `callFinalizer`'s body, for a caller that already holds the running fiber. */
const callIn = (
  fiber: Fiber.Fiber<unknown, unknown>,
  cell: Cell,
  exit: Exit.Exit<unknown, unknown>
): Effect.Effect<unknown> => {
  const effect = callUser(cell, exit)
  if (Exit.isExit(effect)) return effect
  const context = releaseContext(fiber, cell)
  return Effect.updateContext(effect, () => context)
}

const warns = (cell: Cell, exit: Exit.Exit<unknown, unknown>, by: Trigger): boolean => {
  const when = cell.spec.warnIfNotClosed
  return by === "scope" && (when === "always" || (when === "success" && Exit.isSuccess(exit)))
}

/** The warning for a resource nobody closed. A logger that fails must not cost the release. */
const warning = (cell: Cell): Effect.Effect<void> =>
  Effect.catchCause(
    Effect.logWarning(
      `Resource "${cell.label}" was not closed: its scope released it. Call Resource.close when you are done with it.`
    ).pipe(Effect.annotateLogs({ "scopeguard.id": cell.id, "scopeguard.label": cell.label })),
    () => Effect.void
  )

/**
 * Runs the cleanup in its own fiber and waits at most `timeout` for it.
 *
 * `Effect.timeout` cannot be used here: we run inside a finalizer, an uninterruptible region,
 * and `timeout` interrupts the loser and waits for it, which never ends when the cleanup never
 * ends. Instead both the cleanup and a timer complete one latch; whoever is first wins, and the
 * loser is interrupted without waiting — an uninterruptible cleanup is abandoned, still
 * running, and the close completes on time.
 */
const runWithin = (
  cleanup: Effect.Effect<unknown>,
  timeout: Duration.Duration,
  label: string
): Effect.Effect<Exit.Exit<unknown, unknown>> =>
  Effect.withFiber((fiber) => {
    const latch = Deferred.makeUnsafe<Exit.Exit<unknown, unknown>>()
    const timedOut = Exit.die(new ReleaseTimeoutError({ label, timeout }))
    return Effect.flatMap(
      Effect.forkDetach(
        Effect.flatMap(Effect.exit(Effect.interruptible(cleanup)), (exit) =>
          Deferred.succeed(latch, exit)
        )
      ),
      (cleanupFiber) =>
        Effect.flatMap(
          // Interruptible, or a finished close would leave the timer sleeping (and the process up).
          Effect.forkDetach(
            Effect.interruptible(
              Effect.andThen(Effect.sleep(timeout), Deferred.succeed(latch, timedOut))
            )
          ),
          (timerFiber) =>
            Effect.tap(Deferred.await(latch), (result) =>
              result === timedOut
                ? // The cleanup may be uninterruptible: it is abandoned, not waited for.
                  Effect.sync(() => cleanupFiber.interruptUnsafe(fiber.id))
                : // The timer sleeps interruptibly and the cleanup has just completed the
                  // latch: wait for both to end, so that a finished close leaves no fiber.
                  Effect.andThen(Fiber.interrupt(timerFiber), Fiber.await(cleanupFiber))
            )
        )
    )
  })

/**
 * Runs the finalizer now with `Exit.void`, whatever the guard's strategy, and removes the
 * cell from its scope. `true` when this call ran it. If a run is in progress (from either
 * side) waits for it. Uninterruptible: an interrupted close would leave the entry behind.
 */
export const runNow = (cell: Cell): Effect.Effect<boolean> => fire(cell, Exit.void, "close", false)

/** `runNow` without its answer (`Resource.close`). */
export const close = (cell: Cell): Effect.Effect<void> =>
  Effect.uninterruptible(
    Effect.withFiber((fiber) => fireIn(fiber, cell, Exit.void, "close", false, NOTHING))
  )

/** `close` with the exit the release receives (a failed `fromScoped` acquisition). */
export const closeWith = (cell: Cell, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> =>
  Effect.asVoid(fire(cell, exit, "close", false))

/**
 * Removes the cell from its scope without running it (`detach`, `disarm`). `true` when it was
 * armed. One synchronous block: nothing can interrupt it half-way.
 */
export const remove = (cell: Cell): Effect.Effect<boolean> =>
  Effect.sync(() => {
    // Race: a removal and a scope close (or a close) arrive together. Whoever moves the phase
    // out of Armed first wins, in one synchronous block: if the scope got there first, the
    // cleanup is Running and we report `false`; if we did, the child is closed in this very
    // block and the scope runs nothing. A commit in progress (Committing) decides for itself:
    // a removal during it reports `false`.
    if (cell.phase._tag !== "Armed") return false
    cell.settle(REMOVED)
    return true
  })

/**
 * Waits until the finalizer has run, and yields its outcome. From inside the running
 * finalizer itself this would wait for itself: it dies at once instead.
 */
export const awaitDone = (cell: Cell): Effect.Effect<Exit.Exit<unknown, unknown>> =>
  Effect.withFiber((fiber) => {
    const phase = cell.phase
    if (phase._tag === "Done") return Effect.succeed(phase.exit)
    if (phase._tag === "Running" && cell.releasedBy(fiber)) {
      return Effect.die(
        new Error(
          `awaitRelease of "${cell.label}" was called from inside its own release, which would wait for itself`
        )
      )
    }
    if (phase._tag === "Running" && cell.holds(fiber)) {
      // The release (asked for from inside this use) waits for this use to end.
      return Effect.die(
        new Error(
          `awaitRelease of "${cell.label}" was called from inside a use of it, whose end the release waits for`
        )
      )
    }
    // Armed, Committing or Running: wait for a run. Removed or Skipped: it never comes
    // (documented).
    return Effect.andThen(cell.awaitSettled(), awaitDone(cell))
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
    Effect.withFiber((fiber): Effect.Effect<B, E | E2, R> => {
      // Race: a use and a close. Taking a lease here and a close's move out of Armed are each
      // one synchronous block: either the use holds its lease before the close starts (and
      // the close waits for it), or it finds the phase changed and is refused.
      if (cell.phase._tag !== "Armed") return Effect.fail(refused())
      const lease: Lease = { cell, active: true }
      cell.leases++
      // The lease is in the context of the use, so that a fiber the use forks holds it too.
      // Set and unset outside `restore`: in the caller's fiber (no drain timeout) that is the
      // uninterruptible region, so only the use itself is interruptible and no step between
      // its end and the lease's return can turn its result into an interruption. (With a
      // drain timeout the use's own fiber starts interruptible, as every forked fiber does;
      // there the caller waits for its exit, whatever its last steps.)
      const body = Effect.updateService(restore(Effect.suspend(use)), Leases, (held) => [
        ...held,
        lease
      ])
      const returned = returnLease(lease)
      if (cell.spec.drainTimeout === undefined) {
        return Effect.ensuring(body, returned)
      }
      // With a drain timeout the use runs in a fiber of its own, so that the close can
      // interrupt the use alone (not the caller's whole fiber) when the timeout passes.
      return Effect.ensuring(
        Effect.flatMap(Effect.forkChild(body), (useFiber) => {
          cell.useFibers ??= new Set()
          cell.useFibers.add(useFiber)
          // Race: the drain timeout may have passed between the fork and this block (a yield
          // can fall there); its timer then did not see this fiber. Interrupt it here.
          if (cell.revoked) useFiber.interruptUnsafe(fiber.id)
          return Effect.flatMap(
            Effect.exit(restore(Fiber.await(useFiber))),
            (waited): Effect.Effect<B, E | E2> => {
              cell.useFibers?.delete(useFiber)
              if (Exit.isFailure(waited)) {
                // The caller was interrupted: so is its use, and we wait for it to end.
                return Effect.andThen(Fiber.interrupt(useFiber), waited as Exit.Exit<never>)
              }
              const result = waited.value
              if (cell.revoked && Exit.hasInterrupts(result)) return Effect.fail(refused())
              return result
            }
          )
        }),
        returned
      )
    })
  )

const returnLease = (lease: Lease): Effect.Effect<void> =>
  Effect.suspend(() => {
    const cell = lease.cell
    lease.active = false
    cell.leases--
    if (cell.leases > 0) return Effect.void
    const releaser = cell.releaser
    cell.releaser = undefined
    // Last: the drain's waiter (a release) runs inline when woken.
    if (cell.drained !== undefined) Deferred.doneUnsafe(cell.drained, Exit.void)
    if (cell.due !== undefined) Deferred.doneUnsafe(cell.due, Exit.void)
    if (releaser === undefined) return Effect.void
    // The release was asked for from inside a use and runs in a fiber of its own, which was
    // waiting for this lease: the last use to end returns once it has finished. Its outcome
    // is in the phase (`awaitRelease`, `state`); the use itself is not failed by it.
    return Effect.asVoid(Fiber.await(releaser))
  })

/**
 * With a drain timeout: when it passes, interrupts the uses still running (without waiting:
 * the drain waits for their leases) and marks the drain due. Interruptible: it is interrupted
 * once the uses have ended.
 */
const forkDrainTimer = (cell: Cell, drainTimeout: Duration.Duration) =>
  Effect.forkDetach(
    Effect.interruptible(
      Effect.andThen(
        Effect.sleep(drainTimeout),
        Effect.withFiber((timer) => {
          cell.revoked = true
          const uses = cell.useFibers === undefined ? [] : Array.from(cell.useFibers)
          for (const use of uses) use.interruptUnsafe(timer.id)
          // Last: the close waiting for the drain to be due runs inline when woken.
          if (cell.due !== undefined) Deferred.doneUnsafe(cell.due, Exit.void)
          return Effect.void
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
    cell.drained ??= Deferred.makeUnsafe<void>()
    const drained = Deferred.await(cell.drained)
    const drainTimeout = cell.spec.drainTimeout
    if (drainTimeout === undefined) return drained
    return Effect.withFiber((fiber) =>
      Effect.flatMap(forkDrainTimer(cell, drainTimeout), (timer) =>
        Effect.andThen(
          drained,
          Effect.sync(() => timer.interruptUnsafe(fiber.id))
        )
      )
    )
  })

/**
 * With both a drain and a release timeout: waits until the uses have ended or the drain
 * timeout has passed (its timer has then interrupted them). The rest of the drain is waited
 * for by `awaitDrained`, under the release timeout.
 */
const drainUntilDue = (cell: Cell, drainTimeout: Duration.Duration): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (cell.leases === 0) return Effect.void
    cell.drained ??= Deferred.makeUnsafe<void>()
    cell.due = Deferred.makeUnsafe<void>()
    const due = Deferred.await(cell.due)
    return Effect.flatMap(forkDrainTimer(cell, drainTimeout), (timer) => {
      cell.drainTimer = timer
      return due
    })
  })

/** The rest of a drain that is due: the interrupted uses stopping (under the release timeout). */
const awaitDrained = (cell: Cell): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    // Due: either the uses have ended (the timer still sleeps) or the timer has fired.
    const timer = cell.drainTimer
    cell.drainTimer = undefined
    if (timer !== undefined) timer.interruptUnsafe(fiber.id)
    return cell.drained === undefined || cell.leases === 0
      ? Effect.void
      : Deferred.await(cell.drained)
  })

// ---------------------------------------------------------------------------------------------
// Commits: run a final action and remove the cells without a gap.

/** The final action: an effect, or a function of `restore` (`uninterruptibleMask`). */
export type Action<B, E, R> =
  | Effect.Effect<B, E, R>
  | ((
      restore: <X, XE, XR>(effect: Effect.Effect<X, XE, XR>) => Effect.Effect<X, XE, XR>
    ) => Effect.Effect<B, E, R>)

/**
 * Moves every cell from Armed to Committing, runs `action` and decides on *its* exit: success
 * removes every cell; failure or interruption runs every cell's cleanup now, newest first,
 * respecting its strategy. A cell listed twice is one cell. Dies with `notArmed(cell)` (running
 * nothing) when a cell is not armed.
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
    Effect.suspend((): Effect.Effect<B, E, R> => {
      const unique = Array.from(new Set(cellsOf()))
      // Race: a commit and the scope closing (or a disarm, a runNow). Checking and moving
      // every cell to Committing is one synchronous block; a scope close that arrives while
      // the action runs waits for the decision (see `fire`).
      const notArmedCell = unique.find((cell) => cell.phase._tag !== "Armed")
      if (notArmedCell !== undefined) return Effect.die(notArmed(notArmedCell))
      const token: Commit = { cells: unique }
      const committing: Phase = { _tag: "Committing", commit: token }
      for (const cell of unique) {
        cell.phase = committing
        if (cell.tracker !== undefined) tell(cell.tracker, "committing", cell)
      }
      const inside = <X, XE, XR>(effect: Effect.Effect<X, XE, XR>) =>
        Effect.updateService(effect, Commits, (commits) => [...commits, token])
      if (Effect.isEffect(action)) {
        // The action runs in its own fiber so that the decision rests on the action's own
        // exit, whatever the timing of an interruption of the caller: in our fiber, an
        // interruption that arrives during the action's last step turns its success into an
        // interruption (Effect 4 checks for a pending one before every continuation), and the
        // compensation would run after the action succeeded. The action is the last thing the
        // fiber runs: the commit is marked in the fiber's context before it (a wrapper around
        // it would add interruptible steps after its last one).
        const inActionFiber = Effect.withFiber((actionFiber) => {
          actionFiber.setContext(
            Context.add(actionFiber.context, Commits, [...actionFiber.getRef(Commits), token])
          )
          return restore(action)
        })
        return Effect.flatMap(Effect.forkChild(inActionFiber), (actionFiber) =>
          Effect.flatMap(
            Effect.flatMap(
              Effect.exit(restore(Fiber.await(actionFiber))),
              (waited): Effect.Effect<Exit.Exit<B, E>> =>
                // Interrupted while waiting: interrupt the action and take its real exit (a
                // success that came first stays a success). Race: the interruption may come
                // from the action itself, whose fiber then runs ours inline — interrupting it
                // now would turn the step it is finishing into an interruption. The yield lets
                // it finish that step first.
                Exit.isSuccess(waited)
                  ? Effect.succeed(waited.value)
                  : Effect.andThen(
                      Effect.yieldNow,
                      Effect.andThen(Fiber.interrupt(actionFiber), Fiber.await(actionFiber))
                    )
            ),
            (exit) => decide(token, exit)
          )
        )
      }
      // `(restore) => effect`: the action runs in our fiber, uninterruptible except what it
      // wraps in `restore`, and the decision is taken in this same uninterruptible region as
      // its end: a write done outside `restore` is never compensated once it has happened.
      let effect: Effect.Effect<B, E, R>
      try {
        effect = action(restore)
      } catch (error) {
        effect = Effect.die(error)
      }
      return Effect.flatMap(Effect.exit(inside(effect)), (exit) => decide(token, exit))
    })
  )

const decide = <B, E>(token: Commit, exit: Exit.Exit<B, E>): Effect.Effect<B, E> => {
  const cells = token.cells
  if (Exit.isSuccess(exit)) {
    // The action succeeded: no cleanup may run now. One block moves every cell out, then
    // removes the entries and wakes the waiters (who then find every cell settled).
    for (const cell of cells) cell.phase = REMOVED
    for (const cell of cells) cell.completeSettle()
    return exit
  }
  // The action failed or was interrupted: the cleanups run now, newest first, each with the
  // action's exit and its own strategy; their defects are added to the action's cause.
  // Race: a scope close waiting for this decision. Every cell leaves Committing in this one
  // block, decided by the action's exit — Skipped, or armed with the run pending: plainly
  // Armed, even one yield later, a waiting scope close would take the cells that were not yet
  // run and decide them by the scope's exit (an onFailure compensation skipped on a successful
  // close); with the pending run it runs them with the commit's exit. The waiters stay asleep
  // until each cell settles. Until its run starts a cell is armed as during a scope's
  // rollback: a newer compensation (or anyone) may run, disarm or commit an older guard.
  const newestFirst = [...cells].reverse()
  const pending: PendingRun = { exit }
  const skipped: Array<Cell> = []
  for (const cell of newestFirst) {
    const runsFor = cell.spec.runsFor
    if (runsFor !== undefined && !runsFor(exit)) {
      cell.phase = { _tag: "Skipped", scopeExit: exit }
      skipped.push(cell)
    } else {
      cell.phase = { _tag: "Armed", pending }
    }
  }
  for (const cell of skipped) cell.completeSettle()
  return Effect.flatMap(
    Effect.forEach(newestFirst, (cell) => Effect.exit(runPending(cell, pending))),
    (results) => {
      let cause: Cause.Cause<E> = exit.cause
      for (const result of results) {
        if (Exit.isFailure(result)) cause = Cause.combine(cause, result.cause as Cause.Cause<never>)
      }
      return Effect.failCause(cause)
    }
  )
}

/**
 * A failed commit's turn to run one cleanup: run it if it is still pending; if somebody else
 * runs it (a close, a runNow, a scope close took it over) wait for that run, whose outcome
 * belongs to its caller; if another commit is deciding it (or has decided to run it), wait
 * until it has settled and look again; if it was disarmed, skipped or has run, nothing.
 */
const runPending = (cell: Cell, pending: PendingRun): Effect.Effect<boolean> =>
  Effect.withFiber((fiber): Effect.Effect<boolean> => {
    const phase = cell.phase
    switch (phase._tag) {
      case "Armed":
        if (phase.pending === pending) {
          // The tracker hears `releasing` now, when this compensation starts.
          begin(cell, pending.exit, "close", false)
          return run(cell, pending.exit, "close", fiber, BOOLEANS)
        }
        return Effect.andThen(cell.awaitSettled(), runPending(cell, pending))
      case "Committing":
        return Effect.andThen(cell.awaitSettled(), runPending(cell, pending))
      case "Running":
        return cell.releasedBy(fiber) ? FALSE : Effect.as(cell.awaitSettled(), false)
      default:
        return FALSE
    }
  })
