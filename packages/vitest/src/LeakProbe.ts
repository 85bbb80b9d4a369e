/**
 * A leak probe counts the `Resource`s that are still acquired and the `Guard`s that are
 * still armed, by label, so that a test can assert that it left none behind.
 *
 * ```ts
 * import { it } from "@effect/vitest"
 * import { Effect } from "effect"
 * import { Resource } from "@scopeguard/core"
 * import { LeakProbe } from "@scopeguard/vitest"
 *
 * it.effect("closes what it opens", () =>
 *   Effect.gen(function* () {
 *     yield* Effect.scoped(Resource.make(Effect.void, () => Effect.void, { label: "db" }))
 *     yield* LeakProbe.assertNone // fails with LeakError naming "db" if it were still alive
 *   }).pipe(Effect.provide(LeakProbe.layer))
 * )
 * ```
 *
 * The probe sees what is made inside the effect it is provided to, including forked fibers.
 * It is built on `Tracking` from `@scopeguard/core`, which costs nothing measurable while no
 * probe is installed.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { Tracking } from "@scopeguard/core"
import type { LeakError } from "./Errors.js"
import * as internal from "./internal/leakProbe.js"

/**
 * The symbol that marks a `LeakProbe`.
 *
 * @example
 * ```ts
 * import { LeakProbe } from "@scopeguard/vitest"
 *
 * const looksLikeProbe = (u: object) => LeakProbe.TypeId in u
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
 * A set of live resources and armed guards.
 *
 * @since 0.1.0
 * @category models
 */
export interface LeakProbe {
  readonly [TypeId]: TypeId
  /** Install it with `Tracking.withTracker` to watch an effect without the layer. */
  readonly tracker: Tracking.Tracker
  /** The live entries now, in the order they were opened. */
  readonly unsafeLive: () => ReadonlyArray<Tracking.Entry>
}

/**
 * The service tag of the probe installed by `layer`.
 *
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { LeakProbe } from "@scopeguard/vitest"
 *
 * const program = Effect.gen(function* () {
 *   const probe = yield* LeakProbe.LeakProbe
 *   return probe.unsafeLive().length
 * }).pipe(Effect.provide(LeakProbe.layer))
 * ```
 * @since 0.1.0
 * @category tags
 */
export const LeakProbe: Context.Tag<LeakProbe, LeakProbe> = internal.tag

export {
  /**
   * @since 0.1.0
   * @category errors
   */
  LeakError
} from "./Errors.js"

/**
 * Makes a probe without installing it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Tracking } from "@scopeguard/core"
 * import { LeakProbe } from "@scopeguard/vitest"
 *
 * const program = Effect.gen(function* () {
 *   const probe = yield* LeakProbe.make
 *   yield* Effect.void.pipe(Tracking.withTracker(probe.tracker))
 *   return probe.unsafeLive().length // 0
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<LeakProbe> = internal.make

/**
 * Provides a fresh probe and installs it for the effect it is provided to.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { LeakProbe } from "@scopeguard/vitest"
 *
 * const program = LeakProbe.assertNone.pipe(Effect.provide(LeakProbe.layer))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<LeakProbe> = internal.layer

/**
 * The resources still acquired and the guards still armed (or running), in the order they
 * were opened.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resource } from "@scopeguard/core"
 * import { LeakProbe } from "@scopeguard/vitest"
 *
 * const program = Effect.gen(function* () {
 *   yield* Resource.make(Effect.void, () => Effect.void, { label: "db" })
 *   return (yield* LeakProbe.live).map((entry) => entry.label) // ["db"]
 * }).pipe(Effect.scoped, Effect.provide(LeakProbe.layer))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const live: Effect.Effect<ReadonlyArray<Tracking.Entry>, never, LeakProbe> = internal.live

/**
 * How many live entries there are per label.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 * import { LeakProbe } from "@scopeguard/vitest"
 *
 * const program = Effect.gen(function* () {
 *   yield* Guard.make(Effect.void, { label: "g" })
 *   yield* Guard.make(Effect.void, { label: "g" })
 *   return yield* LeakProbe.countByLabel // Map { "g" => 2 }
 * }).pipe(Effect.scoped, Effect.provide(LeakProbe.layer))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const countByLabel: Effect.Effect<
  ReadonlyMap<string, number>,
  never,
  LeakProbe
> = internal.countByLabel

/**
 * Succeeds when nothing is alive; otherwise fails with a `LeakError` naming every entry.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { LeakProbe } from "@scopeguard/vitest"
 *
 * const program = LeakProbe.assertNone.pipe(Effect.provide(LeakProbe.layer))
 * ```
 *
 * @since 0.1.0
 * @category assertions
 */
export const assertNone: Effect.Effect<void, LeakError, LeakProbe> = internal.assertNone

/**
 * Adopts any scoped effect so that the probe sees what it opens: `watch(scoped)` registers a
 * `Resource`, listed by the probe until the scope it is used in closes and the effect's
 * finalizers have run. No hand-written counters: wrap the acquisition you hand to `Pool`,
 * `RcRef`, `ScopedRef`, `ScopedCache`, a layer, and a value one of them keeps past its owner's
 * scope shows up in `LeakProbe.live` and in the explorer's leak check.
 *
 * The resource is registered first, uninterruptibly; the effect then runs into the resource's
 * own scope as interruptibly as the caller is, exactly as under `Effect.scoped`: a
 * `forkScoped` worker it forks can be interrupted, and is when the scope closes. If the effect
 * fails or is interrupted, what it opened is closed with its exit and nothing stays listed.
 * Options are checked when the effect runs (`label`: a string); a wrong one dies with an
 * `InvalidOptionsError`.
 *
 * @example
 * ```ts
 * import { Effect, ScopedRef } from "effect"
 * import { Interruption, LeakProbe } from "@scopeguard/vitest"
 *
 * const connection = LeakProbe.watch(
 *   Effect.acquireRelease(Effect.succeed("conn"), () => Effect.void),
 *   { label: "conn" }
 * )
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const ref = yield* ScopedRef.fromAcquire(connection)
 *     yield* ScopedRef.set(ref, connection)
 *   })
 * )
 * // Reports the steps at which ScopedRef.set leaks the new connection: leaked 1 resource …
 * const report = Interruption.explore(program)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const watch: <A, E, R>(
  scoped: Effect.Effect<A, E, R>,
  options?: { readonly label?: string | undefined }
) => Effect.Effect<A, E, Exclude<R, Scope.Scope> | Scope.Scope> = internal.watch
