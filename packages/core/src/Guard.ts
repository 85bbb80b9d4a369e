/**
 * A `Guard` is a cleanup registered on the scope that can be disarmed — really removed from
 * the scope — on the success path: Rust's `scopeguard`, Go's "committed" flag, done right.
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 *
 * const transfer = Effect.scoped(
 *   Effect.gen(function* () {
 *     yield* Effect.log("debit")
 *     const refund = yield* Guard.make(Effect.log("refund"), { label: "refund" })
 *     yield* Effect.log("credit") // if this fails or is interrupted: "refund" runs
 *     yield* Guard.disarm(refund) // committed: the scope forgets the refund entirely
 *   })
 * )
 * // debit
 * // credit
 * ```
 *
 * Three strategies, as in Rust's crate (`guard`, `guard_on_success`, `guard_on_unwind`):
 * `Guard.make` runs on every exit, `Guard.onSuccess` only when the scope closes successfully,
 * `Guard.onFailure` only when it closes with a failure, defect or interruption.
 *
 * Unlike a "committed" flag checked by a finalizer, a disarmed guard leaves nothing behind:
 * a long-lived scope does not grow with guards that were disarmed or run.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/guard.js"

/**
 * The symbol that marks a `Guard`.
 *
 * @example
 * ```ts
 * import { Guard } from "@scopeguard/core"
 *
 * const looksLikeGuard = (u: object) => Guard.TypeId in u
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
 * A cleanup on a scope that can be disarmed or run early, and runs at most once.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const g = yield* Guard.onFailure(Effect.log("rollback"), { label: "tx" })
 *     return `${g.label} #${g.id} runs on ${g.when}`
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Guard extends Pipeable {
  readonly [TypeId]: TypeId
  /** Unique and increasing per process (shared with resources). */
  readonly id: number
  /** From `Options.label`, by default `guard-<id>`. */
  readonly label: string
  /** The strategy: on which exits of the scope the cleanup runs. */
  readonly when: Guard.When
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace Guard {
  /**
   * On which exits of the scope the cleanup runs. `runNow` runs it whatever this says.
   *
   * @since 0.1.0
   * @category models
   */
  export type When = "always" | "success" | "failure"

  /**
   * `Ran` carries the cleanup's own `exit` and who ran it; `Skipped` the scope's exit that
   * the strategy does not run for.
   *
   * @since 0.1.0
   * @category models
   */
  export type State =
    | { readonly _tag: "Armed" }
    | { readonly _tag: "Running" }
    | {
        readonly _tag: "Ran"
        readonly exit: Exit.Exit<unknown, unknown>
        readonly by: "close" | "scope"
      }
    | { readonly _tag: "Disarmed" }
    | { readonly _tag: "Skipped"; readonly scopeExit: Exit.Exit<unknown, unknown> }

  /**
   * An effect, or a function of the scope's closing `Exit` (`Exit.void` for `runNow`).
   *
   * @since 0.1.0
   * @category models
   */
  export type Cleanup<R> =
    | Effect.Effect<unknown, never, R>
    | ((exit: Exit.Exit<unknown, unknown>) => Effect.Effect<unknown, never, R>)

  /**
   * @since 0.1.0
   * @category models
   */
  export interface BaseOptions {
    /** Shown in logs and leak reports. Default `guard-<id>`. */
    readonly label?: string | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options extends BaseOptions {
    /** Default `"always"`. */
    readonly when?: When | undefined
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export type State = Guard.State

/**
 * @since 0.1.0
 * @category models
 */
export type Options = Guard.Options

/**
 * Tests whether a value is a `Guard`.
 *
 * @example
 * ```ts
 * import { Guard } from "@scopeguard/core"
 *
 * Guard.isGuard({}) // false
 * ```
 *
 * @since 0.1.0
 * @category refinements
 */
export const isGuard: (u: unknown) => u is Guard = internal.isGuard

/**
 * Registers `cleanup` on the scope; by default it runs on every exit (`when: "always"`).
 * The cleanup runs with the services of the fiber that made the guard. On a scope that is
 * already closed it runs at once, as `Scope.addFinalizer` does.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     yield* Guard.make((exit) => Effect.log(`scope closed with ${exit._tag}`))
 *     yield* Guard.make(Effect.log("commit"), { when: "success" })
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <R = never>(
  cleanup: Guard.Cleanup<R>,
  options?: Guard.Options
) => Effect.Effect<Guard, never, R | Scope.Scope> = internal.make

/**
 * A guard that runs only when the scope closes successfully: a commit hook.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     yield* Guard.onSuccess(Effect.log("publish"), { label: "publish" })
 *     yield* Effect.fail("nope") // the scope closes with a failure: "publish" is skipped
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const onSuccess: <R = never>(
  cleanup: Guard.Cleanup<R>,
  options?: Guard.BaseOptions
) => Effect.Effect<Guard, never, R | Scope.Scope> = internal.onSuccess

/**
 * A guard that runs only when the scope closes with a failure, a defect or an
 * interruption: a rollback.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     yield* Guard.onFailure(Effect.log("rollback"))
 *     yield* Effect.log("work") // succeeds: no rollback
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const onFailure: <R = never>(
  cleanup: Guard.Cleanup<R>,
  options?: Guard.BaseOptions
) => Effect.Effect<Guard, never, R | Scope.Scope> = internal.onFailure

/**
 * Removes the cleanup from the scope without running it. `true` if it was armed; `false` if
 * it had already run, been disarmed, been skipped, or is running now. Uninterruptible.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const g = yield* Guard.make(Effect.log("never logged"))
 *     const first = yield* Guard.disarm(g) // true
 *     const second = yield* Guard.disarm(g) // false
 *     return [first, second]
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category destructors
 */
export const disarm: (self: Guard) => Effect.Effect<boolean> = internal.disarm

/**
 * Runs the cleanup now, with `Exit.void` and whatever its strategy, exactly once, and
 * removes it from the scope. `true` if this call ran it; `false` if it had already run,
 * been disarmed or skipped — or was running, in which case `runNow` waits for it to finish.
 * If the cleanup this call ran dies, `runNow` dies with the same defect. Uninterruptible.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const g = yield* Guard.make(Effect.log("flush"))
 *     yield* Guard.runNow(g) // logs "flush", true
 *     return yield* Guard.runNow(g) // false; the scope will not run it again
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category destructors
 */
export const runNow: (self: Guard) => Effect.Effect<boolean> = internal.runNow

/**
 * `true` while the cleanup is registered and has not started.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const g = yield* Guard.make(Effect.void)
 *     return yield* Guard.isArmed(g) // true
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const isArmed: (self: Guard) => Effect.Effect<boolean> = internal.isArmed

/**
 * `Armed`, `Running`, `Ran` (with the cleanup's `exit`), `Disarmed`, or `Skipped` (the scope
 * closed with an exit the strategy does not run for).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 *
 * const program = Effect.gen(function* () {
 *   const g = yield* Effect.scoped(Guard.onFailure(Effect.log("rollback")))
 *   return yield* Guard.state(g) // { _tag: "Skipped", scopeExit: Exit.succeed(...) }
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const state: (self: Guard) => Effect.Effect<Guard.State> = internal.state
