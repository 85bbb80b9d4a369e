import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import { NodeInspectSymbol } from "effect/Inspectable"
import { pipeArguments } from "effect/Pipeable"
import * as Scope from "effect/Scope"
import { ResourceNotDetachableError, ResourceReleasedError } from "../Errors.js"
import type * as Resource from "../Resource.js"
import * as checked from "./options.js"
import * as removable from "./removableFinalizer.js"

/** @internal */
export const TypeId: Resource.TypeId = Symbol.for("@scopeguard/core/Resource") as Resource.TypeId

const variance = { _A: (a: never) => a }

class ResourceImpl<A> implements Resource.Resource<A> {
  readonly [TypeId] = variance
  constructor(
    readonly value: A,
    readonly cell: removable.Cell,
    /** `false` for `fromScoped`: the release closes a scope only scopeguard can reach. */
    readonly detachable: boolean
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
  makeWith(acquire, release, options, false)

interface CheckedOptions {
  readonly label: string | undefined
  readonly timeout: Duration.Duration | undefined
  readonly drainTimeout: Duration.Duration | undefined
  readonly warnIfNotClosed: removable.WarnWhen | undefined
}

/** Saves the checks and an allocation per resource in the common case of no options. */
const DEFAULTS: CheckedOptions = {
  label: undefined,
  timeout: undefined,
  drainTimeout: undefined,
  warnIfNotClosed: undefined
}

/** The options, checked when the effect runs (building an effect never throws). */
const checkOptions = (input: Resource.Options | undefined): CheckedOptions => {
  const options = checked.record(input)
  if (options === undefined) return DEFAULTS
  const timeout = checked.duration("releaseTimeout", options.releaseTimeout)
  const drainTimeout = checked.duration("drainTimeout", options.drainTimeout)
  const warn = checked.oneOf("warnIfNotClosed", options.warnIfNotClosed, [
    true,
    false,
    "success",
    "always"
  ] as const)
  const label = checked.label("label", options.label)
  return {
    label,
    // An infinite bound is no bound: the release runs in the closing fiber, as without one.
    timeout: timeout !== undefined && Duration.isFinite(timeout) ? timeout : undefined,
    drainTimeout,
    warnIfNotClosed:
      warn === true || warn === "success" ? "success" : warn === "always" ? "always" : undefined
  }
}

/**
 * A resource's spec: one object per acquisition, no closure. The label is made only when it is
 * read (most resources are never labelled nor asked for theirs).
 */
class ResourceSpec<A> implements removable.Spec {
  readonly kind = "resource"
  readonly id: number
  readonly timeout: Duration.Duration | undefined
  readonly drainTimeout: Duration.Duration | undefined
  readonly warnIfNotClosed: removable.WarnWhen | undefined
  constructor(
    readonly value: A,
    readonly release: (
      a: A,
      exit: Exit.Exit<unknown, unknown>,
      label: string
    ) => Effect.Effect<unknown, never, any>,
    readonly options: CheckedOptions,
    /** Whether the release takes the label (`makeLabelled`): only then is it made. */
    readonly labelled: boolean
  ) {
    this.id = removable.nextId()
    this.timeout = options.timeout
    this.drainTimeout = options.drainTimeout
    this.warnIfNotClosed = options.warnIfNotClosed
  }
  get label(): string {
    return this.options.label ?? `resource-${this.id}`
  }
  finalizer(exit: Exit.Exit<unknown, unknown>): Effect.Effect<unknown, never, any> {
    // Called as a function, not as a method of the spec; `make`'s with its two arguments.
    const release = this.release
    return this.labelled
      ? release(this.value, exit, this.label)
      : (
          release as (a: A, exit: Exit.Exit<unknown, unknown>) => Effect.Effect<unknown, never, any>
        )(this.value, exit)
  }
}

/** The handle of a resource made by `make`: no closure per acquisition. */
const detachableHandle = (cell: removable.Cell): ResourceImpl<unknown> =>
  new ResourceImpl((cell.spec as ResourceSpec<unknown>).value, cell, true)

const closeInner = (inner: Scope.Closeable, exit: Exit.Exit<unknown, unknown>) =>
  Scope.close(inner, exit)

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
): Effect.Effect<Resource.Resource<A>, E, R | R2 | Scope.Scope> =>
  makeWith(acquire, release, options, true)

const makeWith = <A, E, R, R2>(
  acquire: Effect.Effect<A, E, R>,
  release: (
    a: A,
    exit: Exit.Exit<unknown, unknown>,
    label: string
  ) => Effect.Effect<unknown, never, R2>,
  options: Resource.Options | undefined,
  labelled: boolean
): Effect.Effect<Resource.Resource<A>, E, R | R2 | Scope.Scope> => {
  const body = (checkedOptions: CheckedOptions) =>
    Effect.flatMap(acquire, (value) =>
      removable.registerSpec(
        new ResourceSpec(value, release, checkedOptions, labelled),
        detachableHandle as (cell: removable.Cell) => ResourceImpl<A>
      )
    )
  // As `acquireRelease`: the acquisition and the registration of its release are one
  // uninterruptible step, from the first operation, options check included (the point before
  // the make is the only one before it). Without options there is nothing to check: no
  // `suspend`. With options, `suspend`: invalid ones die when the effect runs, before
  // anything is acquired, never while it is built.
  return Effect.uninterruptible(
    options === undefined ? body(DEFAULTS) : Effect.suspend(() => body(checkOptions(options)))
  )
}

/** @internal */
export const fromScoped = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options?: Resource.Options
): Effect.Effect<Resource.Resource<A>, E, Exclude<R, Scope.Scope> | Scope.Scope> =>
  Effect.suspend(() => {
    const checkedOptions = checkOptions(options)
    // The effect's own finalizers go to a scope of its own; closing that scope is the release.
    const inner = Scope.makeUnsafe()
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(
        // Registered first, so that the inner scope is never without an owner (a tracker
        // hears of it only once adopted)...
        removable.registerSpec(
          new ResourceSpec(inner, closeInner, checkedOptions, false),
          (cell, tracker) => [cell, tracker] as const,
          false
        ),
        ([cell, tracker]) =>
          Effect.matchCauseEffect(
            // ...then the effect runs as it would anywhere else: interruptible where its
            // caller is (a fiber it forks is interruptible, and the close can stop it).
            restore(Scope.provide(effect, inner)) as Effect.Effect<A, E, Exclude<R, Scope.Scope>>,
            {
              // A failed acquisition closes what it opened, with its own exit, and leaves
              // nothing registered (nor told to a tracker). The close is the effect's
              // `onExit`, as under `Effect.scoped`: its own cause comes first and a failing
              // close (a dying inner finalizer, a release timeout) is added to it, by Effect's
              // own rule (which then makes the typed failure a defect too).
              onFailure: (cause) =>
                Effect.onExit(Effect.failCause(cause), () =>
                  removable.closeWith(cell, Exit.failCause(cause))
                ),
              onSuccess: (value) => {
                // Acquired now: a tracker hears of it from here on.
                removable.announce(cell, tracker)
                return Effect.succeed(new ResourceImpl(value, cell, false))
              }
            }
          )
      )
    )
  })

const released = (self: ResourceImpl<unknown>): ResourceReleasedError | undefined => {
  const phase = self.cell.phase
  switch (phase._tag) {
    case "Armed":
    case "Committing":
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
>(2, (self, f) =>
  removable.withLease(
    impl(self).cell,
    () => released(impl(self)) as ResourceReleasedError,
    () => f(impl(self).value)
  )
)

/** @internal */
export const close = <A>(self: Resource.Resource<A>): Effect.Effect<void> =>
  removable.close(impl(self).cell)

/** @internal */
export const detach = <A>(
  self: Resource.Resource<A>
): Effect.Effect<A, ResourceReleasedError | ResourceNotDetachableError> =>
  !impl(self).detachable
    ? Effect.fail(new ResourceNotDetachableError({ id: self.id, label: self.label }))
    : Effect.flatMap(removable.remove(impl(self).cell), (wasAcquired) =>
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
    case "Committing":
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
