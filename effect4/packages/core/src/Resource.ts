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
import type { ResourceNotDetachableError, ResourceReleasedError } from "./Errors.js"
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
  ResourceNotDetachableError,
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
     * ran it completes on time and dies with a `ReleaseTimeoutError`. Without a
     * `drainTimeout` the bound covers the whole close: waiting for in-flight uses and the
     * release (nothing else bounds the wait). With a `drainTimeout` it starts once the uses
     * have ended or the drain timeout has passed, and covers the wait for interrupted uses to
     * stop as well as the release: the close takes at most the two bounds added, and the
     * release gets its whole bound whenever the uses stop in time. It holds
     * even when the release is uninterruptible: the release is then left running, unobserved,
     * and keeps the process up until it ends; `state` already says `Released` with the
     * timeout's defect. With a timeout the release runs interruptibly in a fiber of its own.
     * Measured on the `Clock` of the closing fiber: under `TestClock`, advance it with
     * `TestClock.adjust`.
     */
    readonly releaseTimeout?: Duration.Input | undefined
    /**
     * A close waits for the uses in flight (`Resource.use`) before it runs the release. After
     * `drainTimeout` the uses still running are interrupted (each fails with
     * `ResourceReleasedError`, status `Releasing`), and the release runs once their
     * interruption has completed (`releaseTimeout`, if any, bounds that wait). Without it the
     * close waits for them as long as they take (bounded only by `releaseTimeout`). With it,
     * each use runs in a fiber of its own so that it alone can be interrupted (a close from
     * inside the use is still recognised as coming from inside). Measured on the `Clock`, like
     * `releaseTimeout`.
     */
    readonly drainTimeout?: Duration.Input | undefined
    /**
     * Log a warning (`Effect.logWarning`) naming the label when the scope has to release the
     * resource because nobody called `close`. `true` or `"success"`: only when the scope
     * closes successfully — on failure or interruption the scope releasing it is the expected
     * path. `"always"`: on every exit. An explicit `close` never logs. A logger that fails
     * does not cost the release.
     */
    readonly warnIfNotClosed?: boolean | "success" | "always" | undefined
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
 * other finalizers, unless it was closed or detached before. A `release` function that throws
 * instead of returning an Effect is a defect of the release, as `Effect.die` would be. The
 * options are checked when the effect runs: an invalid one dies with `InvalidOptionsError`
 * before anything is acquired.
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
 * Adopts a scoped effect — `FileSystem.open`, `Command.start`, an `Effect.acquireRelease`
 * from another library — as a `Resource`: the effect runs in a scope of its own, and closing
 * that scope (with the exit the release receives) is the release. `close`, leases, timeouts,
 * `state` and leak probes work as for `make`. Adopting does not change what the effect does:
 * the resource is registered first and the effect then runs as interruptibly as the caller,
 * as under `Effect.scoped` (a fiber it forks with `Effect.forkScoped` stays interruptible and
 * is interrupted by the release); if it fails or is interrupted, what it opened is closed with
 * its exit and nothing stays registered (a tracker hears of the resource only once adopted).
 * The exit is then `Effect.scoped`'s: the effect's own cause first, and a failing close (a
 * dying inner finalizer, a release timeout) added to it — which, by Effect 4's rule, makes a
 * typed failure a defect too. `detach` fails with `ResourceNotDetachableError`: handing the
 * value over would leak what the inner scope holds.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resource } from "@scopeguard/core"
 *
 * const connection = Effect.acquireRelease(Effect.succeed("conn"), () => Effect.log("closed"))
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const r = yield* Resource.fromScoped(connection, { label: "db", releaseTimeout: "5 seconds" })
 *     yield* Resource.use(r, (c) => Effect.log(`using ${c}`))
 *     yield* Resource.close(r) // logs "closed"
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromScoped: <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options?: Resource.Options
) => Effect.Effect<Resource<A>, E, Exclude<R, Scope.Scope> | Scope.Scope> = internal.fromScoped

/**
 * The value, or a `ResourceReleasedError` once its release has started or finished, or it
 * was detached. Lease-free: a close does not wait for what you do with a value obtained by
 * `get`; use `Resource.use` for work the release must not cut short.
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
 * Runs `f` with the value, holding a lease: the resource is never released under a running
 * use. A close (explicit or by the scope) that starts while uses are in flight refuses new
 * ones (`ResourceReleasedError`, status `Releasing`) and waits for the in-flight ones before
 * running the release (see `drainTimeout`). A use that fails or is interrupted returns its
 * lease; nested and concurrent uses work. Fails with `ResourceReleasedError` if the resource
 * is being or was released, or was detached.
 *
 * A close from inside a use of the same resource (in the same fiber) does not wait for
 * itself: it returns at once, and the release runs when the last use ends.
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
 * release this call ran dies (or times out), `close` dies with the same defect; a release
 * *function* that throws instead of returning an Effect is such a defect. Waits for the
 * uses in flight first (see `use`). Called from inside the resource's own release (or a use
 * of it), `close` returns at once instead of waiting for itself. Uninterruptible.
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
 * or was already detached, and with `ResourceNotDetachableError` for a resource adopted by
 * `fromScoped`. Uses in flight keep running. Uninterruptible.
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
export const detach: <A>(
  self: Resource<A>
) => Effect.Effect<A, ResourceReleasedError | ResourceNotDetachableError> = internal.detach

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
 * (interruptibly) — check `state` first if the resource may be detached. Called from inside
 * the resource's own release it would wait for itself, and dies at once instead.
 *
 * @example
 * ```ts
 * import { Effect, Exit, Scope } from "effect"
 * import { Resource } from "@scopeguard/core"
 *
 * const program = Effect.gen(function* () {
 *   const scope = yield* Scope.make()
 *   const r = yield* Resource.make(Effect.void, () => Effect.die("boom")).pipe(Scope.provide(scope))
 *   yield* Effect.forkChild(Scope.close(scope, Exit.void))
 *   return yield* Resource.awaitRelease(r) // Exit.die("boom")
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const awaitRelease: <A>(self: Resource<A>) => Effect.Effect<Exit.Exit<unknown, unknown>> =
  internal.awaitRelease
