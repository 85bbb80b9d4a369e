import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import { NodeInspectSymbol } from "effect/Inspectable"
import { pipeArguments } from "effect/Pipeable"
import * as Scope from "effect/Scope"
import { ResourceNotDetachableError, ResourceReleasedError } from "../Errors.js"
import type * as Resource from "../Resource.js"
import type * as Tracking from "../Tracking.js"
import * as checked from "./options.js"
import * as removable from "./removableFinalizer.js"

/** @internal */
export const TypeId: Resource.TypeId = Symbol.for("@scopeguard/core/Resource") as Resource.TypeId

const variance = { _A: (a: never) => a }

class ResourceImpl<A> implements Resource.Resource<A> {
  readonly [TypeId] = variance
  constructor(
    /** Set once, before the handle is handed out. */
    public value: A,
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
  makeLabelled(acquire, (a, exit) => release(a, exit), options)

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
const checkOptions = (options: Resource.Options | undefined): CheckedOptions => {
  if (options === undefined) return DEFAULTS
  checked.object(options)
  const timeout = checked.duration("releaseTimeout", options?.releaseTimeout)
  const warn = checked.oneOf("warnIfNotClosed", options?.warnIfNotClosed, [
    true,
    false,
    "success",
    "always"
  ] as const)
  return {
    label: checked.label("label", options?.label),
    // An infinite bound is no bound: the release runs in the closing fiber, as without one.
    timeout: timeout !== undefined && Duration.isFinite(timeout) ? timeout : undefined,
    drainTimeout: checked.duration("drainTimeout", options?.drainTimeout),
    warnIfNotClosed:
      warn === true || warn === "success" ? "success" : warn === "always" ? "always" : undefined
  } as const
}

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
  options?: Resource.Options,
  detachable: boolean = true
): Effect.Effect<Resource.Resource<A>, E, R | R2 | Scope.Scope> => {
  const body = (checkedOptions: CheckedOptions) =>
    Effect.flatMap(acquire, (value) =>
      Effect.map(
        register<A>((exit, label) => release(value, exit, label), checkedOptions, detachable),
        ([resource]) => {
          resource.value = value
          return resource as Resource.Resource<A>
        }
      )
    )
  // One uninterruptible region from the first operation: the acquisition and the
  // registration of its release are one step, and checking the options is inside it (an
  // interruption before the make is the only point before it). Without options there is
  // nothing to check: no `suspend` (one operation less per make). With options, `suspend`:
  // invalid ones die when the effect runs, before anything is acquired, never while it is
  // built.
  return Effect.uninterruptible(
    options === undefined ? body(DEFAULTS) : Effect.suspend(() => body(checkOptions(options)))
  )
}

/** Registers the release on the scope; must run uninterruptibly (see `removable.register`). */
const register = <A>(
  release: (exit: Exit.Exit<unknown, unknown>, label: string) => Effect.Effect<unknown, never, any>,
  checkedOptions: CheckedOptions,
  detachable: boolean,
  announced: boolean = true
): Effect.Effect<readonly [ResourceImpl<A>, Tracking.Tracker | undefined], never, Scope.Scope> =>
  removable.register(
    (): removable.Spec => {
      const id = removable.nextId()
      const label = checkedOptions.label ?? `resource-${id}`
      return {
        kind: "resource",
        id,
        label,
        finalizer: (exit) => release(exit, label),
        timeout: checkedOptions.timeout,
        drainTimeout: checkedOptions.drainTimeout,
        warnIfNotClosed: checkedOptions.warnIfNotClosed
      }
    },
    // The value is set by the caller once known (for `fromScoped`, after the effect ran).
    (cell, tracker) => [new ResourceImpl<A>(undefined as A, cell, detachable), tracker] as const,
    announced
  )

/** @internal */
export const fromScoped = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options?: Resource.Options
): Effect.Effect<Resource.Resource<A>, E, Exclude<R, Scope.Scope> | Scope.Scope> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.suspend(() => {
      const checkedOptions = checkOptions(options)
      // The effect's own finalizers go to a scope of its own; closing that scope is the
      // release. The resource is registered first, uninterruptibly, and the effect then runs
      // into the scope as interruptibly as the caller is — as under `Effect.scoped`: run
      // inside an uninterruptible acquisition, the fibers it forks (`forkScoped`) would
      // inherit the mask and could never be interrupted. Whatever it opens before an
      // interruption or a failure is already owned by the registered resource.
      return Effect.flatMap(Scope.make(), (inner) =>
        Effect.flatMap(
          register<A>((exit) => Scope.close(inner, exit), checkedOptions, false, false),
          ([resource, tracker]) =>
            Effect.matchCauseEffect(
              restore(Scope.extend(effect, inner) as Effect.Effect<A, E, Exclude<R, Scope.Scope>>),
              {
                // A failed acquisition closes what it opened, with its own exit; nothing stays
                // registered (nor told to a tracker). As under `Effect.scoped`, the effect's own
                // cause comes first and a failing close is added to it.
                onFailure: (cause) =>
                  Effect.matchCauseEffect(
                    removable.closeWith(resource.cell, Exit.failCause(cause)),
                    {
                      onFailure: (closed) => Effect.failCause(Cause.sequential(cause, closed)),
                      onSuccess: () => Effect.failCause(cause)
                    }
                  ),
                onSuccess: (value) => {
                  resource.value = value
                  // Acquired now: a tracker hears of it from here on.
                  removable.announce(resource.cell, tracker)
                  return Effect.succeed(resource as Resource.Resource<A>)
                }
              }
            )
        )
      )
    })
  )

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
