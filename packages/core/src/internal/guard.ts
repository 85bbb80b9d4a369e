import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import { NodeInspectSymbol } from "effect/Inspectable"
import { pipeArguments } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import { GuardNotArmedError } from "../Errors.js"
import type * as Guard from "../Guard.js"
import * as checked from "./options.js"
import * as removable from "./removableFinalizer.js"

/** @internal */
export const TypeId: Guard.TypeId = Symbol.for("@scopeguard/core/Guard") as Guard.TypeId

class GuardImpl implements Guard.Guard {
  readonly [TypeId]: Guard.TypeId = TypeId
  constructor(
    readonly cell: removable.Cell,
    readonly when: Guard.Guard.When
  ) {}
  get id(): number {
    return this.cell.id
  }
  get label(): string {
    return this.cell.label
  }
  pipe() {
    return pipeArguments(this, arguments)
  }
  toString() {
    return `Guard(${this.label})`
  }
  toJSON() {
    return { _id: "Guard", id: this.id, label: this.label, phase: this.cell.phase._tag }
  }
  [NodeInspectSymbol]() {
    return this.toJSON()
  }
}

const cellOf = (self: Guard.Guard): removable.Cell => (self as GuardImpl).cell

/** @internal */
export const isGuard = (u: unknown): u is Guard.Guard =>
  typeof u === "object" && u !== null && TypeId in u

const runsOnSuccess = (exit: Exit.Exit<unknown, unknown>) => Exit.isSuccess(exit)
const runsOnFailure = (exit: Exit.Exit<unknown, unknown>) => Exit.isFailure(exit)

interface CheckedOptions {
  readonly label: string | undefined
  readonly when: Guard.Guard.When
}

/** Saves an allocation per guard in the common case of no options. */
const DEFAULTS: CheckedOptions = { label: undefined, when: "always" }

const checkOptions = (options: Guard.Guard.Options | undefined): CheckedOptions =>
  options === undefined
    ? DEFAULTS
    : (checked.object(options),
      {
        label: checked.label("label", options.label),
        when:
          checked.oneOf("when", options.when, ["always", "success", "failure"] as const) ?? "always"
      })

/** Registers the cell; must run uninterruptibly (see `removable.register`). */
const register = (
  cleanup: (exit: Exit.Exit<unknown, unknown>) => Effect.Effect<unknown, never, any>,
  options: CheckedOptions
): Effect.Effect<GuardImpl, never, Scope.Scope> =>
  // No `suspend`: the spec (and its id) is made when the effect runs, by `register`.
  removable.register(
    () => guardSpec(cleanup, options),
    (cell) => new GuardImpl(cell, options.when)
  )

const guardSpec = (
  cleanup: (exit: Exit.Exit<unknown, unknown>) => Effect.Effect<unknown, never, any>,
  options: CheckedOptions
): removable.Spec => {
  const id = removable.nextId()
  const when = options.when
  const spec: removable.Spec = {
    kind: "guard",
    id,
    label: options.label ?? `guard-${id}`,
    // Called only inside the Effect the state machine awaits: a cleanup function that
    // throws is a defect of the cleanup, not of a state change.
    finalizer: cleanup,
    runsFor: when === "success" ? runsOnSuccess : when === "failure" ? runsOnFailure : undefined
  }
  return spec
}

/** @internal */
export const make = <R>(
  cleanup: Guard.Guard.Cleanup<R>,
  options?: Guard.Guard.Options
): Effect.Effect<Guard.Guard, never, R | Scope.Scope> => {
  const finalizer = Effect.isEffect(cleanup) ? () => cleanup : cleanup
  // Uninterruptible so that an interruption cannot land between forking the child scope and
  // registering the cleanup on it; from the first operation, options check included (the
  // point before the make is the only one before it). Without options there is nothing to
  // check: no `suspend`.
  return Effect.uninterruptible(
    options === undefined
      ? register(finalizer, DEFAULTS)
      : Effect.suspend(() => register(finalizer, checkOptions(options)))
  )
}

class GuardedImpl<A> extends GuardImpl implements Guard.Guarded<A> {
  constructor(
    cell: removable.Cell,
    when: Guard.Guard.When,
    readonly value: A
  ) {
    super(cell, when)
  }
}

/** @internal */
export const step = <A, E, R, R2>(
  action: Effect.Effect<A, E, R>,
  compensate: (a: A, exit: Exit.Exit<unknown, unknown>) => Effect.Effect<unknown, never, R2>,
  options?: Guard.Guard.Options
): Effect.Effect<Guard.Guarded<A>, E, R | R2 | Scope.Scope> => {
  // As `acquireRelease`: the action and the arming of its compensation are one
  // uninterruptible step, so there is no point at which the action has happened and its
  // compensation is not armed. The region starts at the step's first operation (checking
  // the options is inside it): an interruption before it is one before the step, and none
  // of our operations is a point of its own.
  const arm = (checkedOptions: CheckedOptions) =>
    Effect.flatMap(action, (value) =>
      removable.register(
        () => guardSpec((exit) => compensate(value, exit), checkedOptions),
        (cell) => new GuardedImpl(cell, checkedOptions.when, value)
      )
    )
  // Without options there is nothing to check: no `suspend`.
  return Effect.uninterruptible(
    options === undefined ? arm(DEFAULTS) : Effect.suspend(() => arm(checkOptions(options)))
  )
}

const toCells = (guards: Guard.Guard | Iterable<Guard.Guard>): ReadonlyArray<removable.Cell> =>
  isGuard(guards) ? [cellOf(guards)] : Array.from(guards, cellOf)

const notArmedState = (phase: removable.Phase): GuardNotArmedError["state"] => {
  switch (phase._tag) {
    case "Done":
      return "Ran"
    case "Removed":
      return "Disarmed"
    case "Armed":
      // Unreachable: only a cell that is not armed is reported.
      return "Running"
    default:
      return phase._tag
  }
}

const notArmed = (cell: removable.Cell): GuardNotArmedError =>
  new GuardNotArmedError({ id: cell.id, label: cell.label, state: notArmedState(cell.phase) })

/** @internal */
export const commit = dual<
  <B, E, R>(
    action: removable.Action<B, E, R>
  ) => (self: Guard.Guard | Iterable<Guard.Guard>) => Effect.Effect<B, E, R>,
  <B, E, R>(
    self: Guard.Guard | Iterable<Guard.Guard>,
    action: removable.Action<B, E, R>
  ) => Effect.Effect<B, E, R>
>(
  // Data-first when the first argument is the guards (a guard, or an iterable of them); a
  // function alone is the restore form's action, data-last.
  (args) => args.length >= 2,
  <B, E, R>(self: Guard.Guard | Iterable<Guard.Guard>, action: removable.Action<B, E, R>) =>
    removable.commit(() => toCells(self), action, notArmed)
)

/** @internal */
export const onSuccess = <R>(
  cleanup: Guard.Guard.Cleanup<R>,
  options?: Guard.Guard.BaseOptions
): Effect.Effect<Guard.Guard, never, R | Scope.Scope> =>
  make(cleanup, { ...options, when: "success" })

/** @internal */
export const onFailure = <R>(
  cleanup: Guard.Guard.Cleanup<R>,
  options?: Guard.Guard.BaseOptions
): Effect.Effect<Guard.Guard, never, R | Scope.Scope> =>
  make(cleanup, { ...options, when: "failure" })

/** @internal */
export const disarm = (self: Guard.Guard): Effect.Effect<boolean> => removable.remove(cellOf(self))

/** @internal */
export const runNow = (self: Guard.Guard): Effect.Effect<boolean> => removable.runNow(cellOf(self))

/** @internal */
export const isArmed = (self: Guard.Guard): Effect.Effect<boolean> =>
  Effect.sync(() => cellOf(self).phase._tag === "Armed")

const ARMED: Guard.Guard.State = { _tag: "Armed" }
const RUNNING: Guard.Guard.State = { _tag: "Running" }
const COMMITTING: Guard.Guard.State = { _tag: "Committing" }
const DISARMED: Guard.Guard.State = { _tag: "Disarmed" }

/** @internal */
export const state = (self: Guard.Guard): Effect.Effect<Guard.Guard.State> =>
  Effect.sync(() => {
    const phase = cellOf(self).phase
    switch (phase._tag) {
      case "Armed":
        return ARMED
      case "Committing":
        return COMMITTING
      case "Running":
        return RUNNING
      case "Done":
        return { _tag: "Ran", exit: phase.exit, by: phase.by }
      case "Removed":
        return DISARMED
      case "Skipped":
        return { _tag: "Skipped", scopeExit: phase.scopeExit }
    }
  })
