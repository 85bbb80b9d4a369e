import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { NodeInspectSymbol } from "effect/Inspectable"
import { pipeArguments } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import type * as Guard from "../Guard.js"
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

/** @internal */
export const make = <R>(
  cleanup: Guard.Guard.Cleanup<R>,
  options?: Guard.Guard.Options
): Effect.Effect<Guard.Guard, never, R | Scope.Scope> =>
  Effect.suspend(() => {
    const id = removable.nextId()
    const when = options?.when ?? "always"
    const spec: removable.Spec = {
      kind: "guard",
      id,
      label: options?.label ?? `guard-${id}`,
      finalizer: Effect.isEffect(cleanup) ? () => cleanup : cleanup,
      runsFor: when === "success" ? runsOnSuccess : when === "failure" ? runsOnFailure : undefined
    }
    // Uninterruptible so that an interruption cannot land between forking the child scope
    // and registering the cleanup on it.
    return Effect.map(
      Effect.uninterruptible(removable.register(spec)),
      (cell) => new GuardImpl(cell, when)
    )
  })

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
const DISARMED: Guard.Guard.State = { _tag: "Disarmed" }

/** @internal */
export const state = (self: Guard.Guard): Effect.Effect<Guard.Guard.State> =>
  Effect.sync(() => {
    const phase = cellOf(self).phase
    switch (phase._tag) {
      case "Armed":
        return ARMED
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
