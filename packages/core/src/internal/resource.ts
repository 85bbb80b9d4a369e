import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import { NodeInspectSymbol } from "effect/Inspectable"
import { pipeArguments } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import { ResourceReleasedError } from "../Errors.js"
import type * as Resource from "../Resource.js"
import * as removable from "./removableFinalizer.js"

/** @internal */
export const TypeId: Resource.TypeId = Symbol.for("@scopeguard/core/Resource") as Resource.TypeId

const variance = { _A: (a: never) => a }

class ResourceImpl<A> implements Resource.Resource<A> {
  readonly [TypeId] = variance
  constructor(
    readonly value: A,
    readonly cell: removable.Cell
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
    return `Resource(${this.label})`
  }
  toJSON() {
    return { _id: "Resource", id: this.id, label: this.label, phase: this.cell.phase._tag }
  }
  [NodeInspectSymbol]() {
    return this.toJSON()
  }
}

const impl = <A>(self: Resource.Resource<A>): ResourceImpl<A> => self as ResourceImpl<A>

/** @internal */
export const isResource = (u: unknown): u is Resource.Resource<unknown> =>
  typeof u === "object" && u !== null && TypeId in u

/** @internal */
export const make = <A, E, R, R2>(
  acquire: Effect.Effect<A, E, R>,
  release: (a: A, exit: Exit.Exit<unknown, unknown>) => Effect.Effect<unknown, never, R2>,
  options?: Resource.Options
): Effect.Effect<Resource.Resource<A>, E, R | R2 | Scope.Scope> =>
  makeLabelled(acquire, (a, exit) => release(a, exit), options)

/**
 * `make`, with a release that also receives the resource's label (which is only known once
 * the value is acquired, when the id is assigned).
 *
 * @internal
 */
export const makeLabelled = <A, E, R, R2>(
  acquire: Effect.Effect<A, E, R>,
  release: (
    a: A,
    exit: Exit.Exit<unknown, unknown>,
    label: string
  ) => Effect.Effect<unknown, never, R2>,
  options?: Resource.Options
): Effect.Effect<Resource.Resource<A>, E, R | R2 | Scope.Scope> => {
  const timeout =
    options?.releaseTimeout === undefined ? undefined : Duration.decode(options.releaseTimeout)
  return Effect.uninterruptible(
    Effect.flatMap(acquire, (value) => {
      const id = removable.nextId()
      const label = options?.label ?? `resource-${id}`
      const spec: removable.Spec = {
        kind: "resource",
        id,
        label,
        finalizer: (exit) => release(value, exit, label),
        timeout: timeout !== undefined && Duration.isFinite(timeout) ? timeout : undefined,
        warnIfNotClosed: options?.warnIfNotClosed
      }
      return Effect.map(removable.register(spec), (cell) => new ResourceImpl(value, cell))
    })
  )
}

const released = (self: ResourceImpl<unknown>): ResourceReleasedError | undefined => {
  const phase = self.cell.phase
  switch (phase._tag) {
    case "Armed":
      return undefined
    case "Running":
      return new ResourceReleasedError({ id: self.id, label: self.label, status: "Releasing" })
    case "Removed":
      return new ResourceReleasedError({ id: self.id, label: self.label, status: "Detached" })
    default:
      return new ResourceReleasedError({ id: self.id, label: self.label, status: "Released" })
  }
}

/** @internal */
export const get = <A>(self: Resource.Resource<A>): Effect.Effect<A, ResourceReleasedError> =>
  Effect.suspend(() => {
    const error = released(impl(self))
    return error === undefined ? Effect.succeed(impl(self).value) : Effect.fail(error)
  })

/** @internal */
export const use = dual<
  <A, B, E2, R3>(
    f: (a: A) => Effect.Effect<B, E2, R3>
  ) => (self: Resource.Resource<A>) => Effect.Effect<B, E2 | ResourceReleasedError, R3>,
  <A, B, E2, R3>(
    self: Resource.Resource<A>,
    f: (a: A) => Effect.Effect<B, E2, R3>
  ) => Effect.Effect<B, E2 | ResourceReleasedError, R3>
>(2, (self, f) => Effect.flatMap(get(self), f))

/** @internal */
export const close = <A>(self: Resource.Resource<A>): Effect.Effect<void> =>
  Effect.asVoid(removable.runNow(impl(self).cell))

/** @internal */
export const detach = <A>(self: Resource.Resource<A>): Effect.Effect<A, ResourceReleasedError> =>
  Effect.flatMap(removable.remove(impl(self).cell), (wasAcquired) =>
    wasAcquired
      ? Effect.succeed(impl(self).value)
      : Effect.fail(released(impl(self)) as ResourceReleasedError)
  )

/** @internal */
export const state = <A>(self: Resource.Resource<A>): Effect.Effect<Resource.State> =>
  Effect.sync(() => stateOf(impl(self).cell.phase))

const ACQUIRED: Resource.State = { _tag: "Acquired" }
const RELEASING: Resource.State = { _tag: "Releasing" }
const DETACHED: Resource.State = { _tag: "Detached" }

const stateOf = (phase: removable.Phase): Resource.State => {
  switch (phase._tag) {
    case "Armed":
      return ACQUIRED
    case "Running":
      return RELEASING
    case "Done":
      return { _tag: "Released", exit: phase.exit, by: phase.by }
    default:
      return DETACHED
  }
}

/** @internal */
export const isReleased = <A>(self: Resource.Resource<A>): Effect.Effect<boolean> =>
  Effect.sync(() => impl(self).cell.phase._tag === "Done")

/** @internal */
export const awaitRelease = <A>(
  self: Resource.Resource<A>
): Effect.Effect<Exit.Exit<unknown, unknown>> => removable.awaitDone(impl(self).cell)
