/**
 * A `Resource<A>` is a handle on a value that was acquired and whose release is a finalizer
 * of the scope it was made in — `Effect.acquireRelease`, plus an explicit early `close`, a
 * `detach`, and a witness of the release.
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Resource } from "@scopeguard/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const conn = yield* Resource.make(
 *       Effect.succeed("conn").pipe(Effect.tap(() => Effect.log("acquire"))),
 *       (_, exit) => Effect.log(`release (${exit._tag})`),
 *       { label: "db" }
 *     )
 *     yield* Resource.use(conn, (c) => Effect.log(`use ${c}`))
 *     yield* Resource.close(conn) // released now, exactly once
 *     yield* Effect.log("after close")
 *   })
 * )
 * // acquire
 * // use conn
 * // release (Success)
 * // after close          <- the scope's close releases nothing more
 * ```
 *
 * Acquisition is uninterruptible and the release is registered with it atomically. The
 * release receives the `Exit` that closes the scope, or `Exit.void` for an explicit `close`,
 * and runs with the services of the fiber that made the resource.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import type * as Types from "effect/Types"
import type { ResourceReleasedError } from "./Errors.js"
import * as internal from "./internal/resource.js"

export {
  /**
   * @since 0.1.0
   * @category errors
   */
  ReleaseTimeoutError,
  /**
   * @since 0.1.0
   * @category errors
   */
  ResourceReleasedError
} from "./Errors.js"

/**
 * The symbol that marks a `Resource`.
 *
 * @example
 * ```ts
 * import { Resource } from "@scopeguard/core"
 *
 * const looksLikeResource = (u: object) => Resource.TypeId in u
 * ```
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = internal.TypeId as TypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * A handle on an acquired value whose release is a finalizer of its scope.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resource } from "@scopeguard/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const r = yield* Resource.make(Effect.succeed(42), () => Effect.void, { label: "answer" })
 *     return `${r.label} #${r.id}`
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Resource<out A> extends Pipeable {
  readonly [TypeId]: { readonly _A: Types.Covariant<A> }
  /** Unique and increasing per process (shared with guards). */
  readonly id: number
  /** From `Options.label`, by default `resource-<id>`. */
  readonly label: string
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace Resource {
  /**
   * Where a resource is in its life. `Released.exit` is the release's own outcome (a release
   * that died has a failed `exit`); `by` says who released it.
   *
   * @since 0.1.0
   * @category models
   */
  export type State =
    | { readonly _tag: "Acquired" }
    | { readonly _tag: "Releasing" }
    | {
        readonly _tag: "Released"
        readonly exit: Exit.Exit<unknown, unknown>
        readonly by: "close" | "scope"
      }
    | { readonly _tag: "Detached" }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** Shown in errors, logs and leak reports. Default `resource-<id>`. */
    readonly label?: string | undefined
    /**
     * A release still running after this long is interrupted and abandoned; the close that
     * ran it completes on time and dies with a `ReleaseTimeoutError`. The bound holds even
     * when the release is uninterruptible (it is then left running, unobserved). With a
     * timeout the release runs interruptibly in a fiber of its own.
     */
    readonly releaseTimeout?: Duration.DurationInput | undefined
    /**
     * Log a warning (`Effect.logWarning`) naming the label when the scope has to release the
     * resource because nobody called `close`. An explicit `close` logs nothing.
     */
    readonly warnIfNotClosed?: boolean | undefined
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export type State = Resource.State

/**
 * @since 0.1.0
 * @category models
 */
export type Options = Resource.Options

/**
 * Tests whether a value is a `Resource`.
 *
 * @example
 * ```ts
 * import { Resource } from "@scopeguard/core"
 *
 * Resource.isResource(42) // false
 * ```
 *
 * @since 0.1.0
 * @category refinements
 */
export const isResource: (u: unknown) => u is Resource<unknown> = internal.isResource

/**
 * Acquires a value uninterruptibly and registers `release(value, exit)` on the scope in the
 * same step, as `Effect.acquireRelease` does. The scope releases it, in LIFO order with its
 * other finalizers, unless it was closed or detached before.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resource } from "@scopeguard/core"
 *
 * const file = Resource.make(
 *   Effect.sync(() => ({ fd: 3 })),
 *   (handle, exit) => Effect.log(`closing fd ${handle.fd} after ${exit._tag}`),
 *   { label: "file", releaseTimeout: "5 seconds", warnIfNotClosed: true }
 * )
 * const program = Effect.scoped(Effect.flatMap(file, Resource.close))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <A, E, R, R2>(
  acquire: Effect.Effect<A, E, R>,
  release: (a: A, exit: Exit.Exit<unknown, unknown>) => Effect.Effect<unknown, never, R2>,
  options?: Resource.Options
) => Effect.Effect<Resource<A>, E, R | R2 | Scope.Scope> = internal.make

/**
 * The value, or a `ResourceReleasedError` once its release has started or finished, or it
 * was detached.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resource } from "@scopeguard/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const r = yield* Resource.make(Effect.succeed(1), () => Effect.void)
 *     return yield* Resource.get(r) // 1
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const get: <A>(self: Resource<A>) => Effect.Effect<A, ResourceReleasedError> = internal.get

/**
 * Runs `f` with the value; fails with `ResourceReleasedError` if the resource was released
 * or detached. The check happens when `use` starts: a concurrent `close` is not held back.
 *
 * @example
 * ```ts
 * import { Effect, pipe } from "effect"
 * import { Resource } from "@scopeguard/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const r = yield* Resource.make(Effect.succeed(20), () => Effect.void)
 *     const a = yield* Resource.use(r, (n) => Effect.succeed(n + 1))
 *     const b = yield* pipe(r, Resource.use((n) => Effect.succeed(n * 2)))
 *     return a + b // 61
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const use: {
  <A, B, E2, R3>(
    f: (a: A) => Effect.Effect<B, E2, R3>
  ): (self: Resource<A>) => Effect.Effect<B, E2 | ResourceReleasedError, R3>
  <A, B, E2, R3>(
    self: Resource<A>,
    f: (a: A) => Effect.Effect<B, E2, R3>
  ): Effect.Effect<B, E2 | ResourceReleasedError, R3>
} = internal.use

/**
 * Releases now (with `Exit.void`), exactly once, and removes the release from the scope.
 * A second `close` or the scope closing later releases nothing. If a release is already
 * running — from another `close` or from the scope — waits for it to finish. If the
 * release this call ran dies (or times out), `close` dies with the same defect.
 * Uninterruptible.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resource } from "@scopeguard/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const r = yield* Resource.make(Effect.void, () => Effect.log("released"))
 *     yield* Resource.close(r) // logs "released"
 *     yield* Resource.close(r) // does nothing
 *   })
 * ) // the scope's close does nothing either
 * ```
 *
 * @since 0.1.0
 * @category destructors
 */
export const close: <A>(self: Resource<A>) => Effect.Effect<void> = internal.close

/**
 * Removes the release from the scope without running it and hands the value over: the
 * caller now owns it. Fails with `ResourceReleasedError` if it is being or was released,
 * or was already detached. Uninterruptible.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resource } from "@scopeguard/core"
 *
 * // Open inside a scope, hand the connection to a long-lived owner on success.
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const r = yield* Resource.make(Effect.succeed("conn"), () => Effect.log("closed"))
 *     return yield* Resource.detach(r) // "conn"; nothing is logged when the scope closes
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category destructors
 */
export const detach: <A>(self: Resource<A>) => Effect.Effect<A, ResourceReleasedError> =
  internal.detach

/**
 * Where the resource is in its life: `Acquired`, `Releasing`, `Released` (with the
 * release's own `exit` and who released it) or `Detached`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resource } from "@scopeguard/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const r = yield* Resource.make(Effect.void, () => Effect.void)
 *     yield* Resource.close(r)
 *     return yield* Resource.state(r) // { _tag: "Released", exit: Exit.void, by: "close" }
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const state: <A>(self: Resource<A>) => Effect.Effect<Resource.State> = internal.state

/**
 * `true` once the release has finished (whatever its outcome).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resource } from "@scopeguard/core"
 *
 * const program = Effect.gen(function* () {
 *   const r = yield* Effect.scoped(Resource.make(Effect.void, () => Effect.void))
 *   return yield* Resource.isReleased(r) // true: its scope has closed
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const isReleased: <A>(self: Resource<A>) => Effect.Effect<boolean> = internal.isReleased

/**
 * Waits until the release has finished and yields the release's own `Exit`. For a detached
 * resource the release never happens through scopeguard, and this waits forever
 * (interruptibly) — check `state` first if the resource may be detached.
 *
 * @example
 * ```ts
 * import { Effect, Exit, Scope } from "effect"
 * import { Resource } from "@scopeguard/core"
 *
 * const program = Effect.gen(function* () {
 *   const scope = yield* Scope.make()
 *   const r = yield* Resource.make(Effect.void, () => Effect.die("boom")).pipe(Scope.extend(scope))
 *   yield* Effect.fork(Scope.close(scope, Exit.void))
 *   return yield* Resource.awaitRelease(r) // Exit.die("boom")
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const awaitRelease: <A>(self: Resource<A>) => Effect.Effect<Exit.Exit<unknown, unknown>> =
  internal.awaitRelease
