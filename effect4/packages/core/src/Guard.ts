/**
 * A `Guard` is a cleanup registered on the scope that can be disarmed — really removed from
 * the scope — on the success path: Rust's `scopeguard`, Go's "committed" flag, done right.
 *
 * The short way is the safe way: `Guard.step` performs an action and arms its compensation
 * in one uninterruptible step (as `acquireRelease` pairs acquire and release), and
 * `Guard.commit` runs the final action and disarms without a gap.
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 *
 * const transfer = Effect.scoped(
 *   Effect.gen(function* () {
 *     const refund = yield* Guard.step(Effect.log("debit"), () => Effect.log("refund"), {
 *       label: "refund"
 *     })
 *     // If the credit fails or is interrupted, "refund" runs; if it succeeds, it never does.
 *     yield* Guard.commit(refund, Effect.log("credit"))
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
 * A cleanup *function* that throws instead of returning an Effect is a defect of the
 * cleanup (as `Effect.die`); a `runNow` from inside the guard's own running cleanup returns
 * `false` at once.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/guard.js"

export {
  /**
   * @since 0.1.0
   * @category errors
   */
  GuardNotArmedError
} from "./Errors.js"

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
 * A guard made by `Guard.step`: the action's result and the guard of its compensation.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const row = yield* Guard.step(Effect.succeed({ id: 7 }), (r) => Effect.log(`delete ${r.id}`))
 *     return row.value.id // 7; `row` is also the guard to commit
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Guarded<out A> extends Guard {
  /** What the action produced; the compensation received it too. */
  readonly value: A
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
   * the strategy does not run for; `Committing` that a `Guard.commit` is running its final
   * action (a scope closing meanwhile waits for its decision).
   *
   * @since 0.1.0
   * @category models
   */
  export type State =
    | { readonly _tag: "Armed" }
    | { readonly _tag: "Committing" }
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
 * For a cleanup that undoes an action, prefer `Guard.step`: written by hand,
 * `action; Guard.make(undo)` has a window — an interruption between the two leaves the
 * action done and nothing armed. Good uses of `make`: a cleanup that undoes nothing (a
 * flush, a notification), or one armed *before* the action it covers.
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
 * Performs `action` and arms `compensate` for its result in one uninterruptible step, as
 * `Effect.acquireRelease` pairs acquire and release: there is no point at which the action
 * has happened and its compensation is not armed. The compensation receives the action's
 * value and the scope's closing `Exit` (or the failed commit's). Strategy by `options.when`,
 * as for `make` (default `"always"`: an uncommitted step is undone on every exit). Like an
 * acquisition, the action itself is uninterruptible.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 *
 * const saga = Effect.scoped(
 *   Effect.gen(function* () {
 *     const flight = yield* Guard.step(Effect.succeed("F1"), (f) => Effect.log(`cancel ${f}`))
 *     const hotel = yield* Guard.step(Effect.succeed("H1"), (h) => Effect.log(`cancel ${h}`))
 *     yield* Guard.commit([flight, hotel], Effect.log("charge card"))
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const step: <A, E, R, R2 = never>(
  action: Effect.Effect<A, E, R>,
  compensate: (a: A, exit: Exit.Exit<unknown, unknown>) => Effect.Effect<unknown, never, R2>,
  options?: Guard.Options
) => Effect.Effect<Guarded<A>, E, R | R2 | Scope.Scope> = internal.step

/**
 * Runs the final action and disarms the guards without a gap. If the action succeeds, no
 * compensation runs — not even when an interruption arrives just as it succeeds. If it fails
 * or is interrupted, every guard's compensation runs now, newest first, with the action's exit
 * and according to its strategy, and `commit` fails with the action's cause (plus any defect
 * of a compensation). While it runs, the guards are `Committing`: a scope closing meanwhile
 * waits for the decision. A guard listed twice is one guard.
 *
 * Two forms, both dual:
 *
 * - `Guard.commit(guards, action)`: the action is interruptible; it runs in a fiber of its own,
 *   whose exit decides. Right when an interrupted action has not happened: a local effect, a
 *   request the other side applies only if it completes, anything idempotent to undo.
 * - `Guard.commit(guards, (restore) => action)`: `Effect.uninterruptibleMask` semantics. The
 *   action is uninterruptible but for what it wraps in `restore`, and the decision is taken in
 *   the same uninterruptible region as the action's end. Right for **a write that is applied,
 *   then acknowledged later** (a database commit, a payment): in the plain form an
 *   interruption between "applied" and "acknowledged" makes the exit an interruption and the
 *   compensation runs on top of a write that happened. Wrap in `restore` only what may be
 *   abandoned (waiting for a gateway's approval), never the write itself. An interruption that
 *   arrives during the unrestored part waits for the decision, and `commit` then ends
 *   interrupted with the guards disarmed.
 *
 * Inside the action (and the fibers it forks), `Guard.runNow`, `Guard.disarm` and closing the
 * guards' scope do not wait for the commit (they would wait for themselves): they return at
 * once, and the action's exit still decides. Until a failed commit starts a compensation, its
 * guard is armed as during a scope's rollback: a newer compensation (or anyone) may run it
 * (`Guard.runNow`, with `Exit.void`), disarm it or commit it; a scope closing meanwhile runs
 * it with the commit's exit. Whoever runs it gets its defect; the commit runs it only if
 * nobody did.
 *
 * A guard that is not armed (it ran, was disarmed, skipped, or is being committed) is a
 * programming error: the commit dies with a `GuardNotArmedError` and runs nothing. A function
 * that throws instead of returning an Effect is a defect of the action.
 *
 * @example
 * ```ts
 * import { Effect, pipe } from "effect"
 * import { Guard } from "@scopeguard/core"
 *
 * declare const approve: Effect.Effect<void> // interruptible: nothing happened until it answers
 * declare const credit: Effect.Effect<void> // applied, then acknowledged a hop later
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const refund = yield* Guard.step(Effect.log("debit"), () => Effect.log("refund"))
 *     // Interruptible while waiting for the approval; the credit, once started, decides.
 *     yield* Guard.commit(refund, (restore) => Effect.andThen(restore(approve), credit))
 *   })
 * )
 *
 * const local = Effect.scoped(
 *   Effect.gen(function* () {
 *     const undo = yield* Guard.step(Effect.log("stage"), () => Effect.log("unstage"))
 *     yield* pipe(undo, Guard.commit(Effect.log("publish")))
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category destructors
 */
export const commit: {
  <B, E, R>(
    action: Effect.Effect<B, E, R> | ((restore: Restore) => Effect.Effect<B, E, R>)
  ): (self: Guard | Iterable<Guard>) => Effect.Effect<B, E, R>
  <B, E, R>(
    self: Guard | Iterable<Guard>,
    action: Effect.Effect<B, E, R> | ((restore: Restore) => Effect.Effect<B, E, R>)
  ): Effect.Effect<B, E, R>
} = internal.commit

/**
 * What the restore form of `Guard.commit` hands its action: like the `restore` of
 * `Effect.uninterruptibleMask`, it makes what it wraps interruptible again (if the caller was).
 *
 * @since 0.1.0
 * @category models
 */
export type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/**
 * Removes the cleanup from the scope without running it. `true` if it was armed; `false` if
 * it had already run, been disarmed, been skipped, or is running or being committed now.
 * Uninterruptible.
 *
 * To disarm after a final action, prefer `Guard.commit`: written by hand,
 * `finalAction; Guard.disarm(g)` has a window — an interruption just after the final action
 * succeeded, before `disarm`, runs the compensation of an action that was committed. Good
 * uses of `disarm`: cancelling a cleanup that is simply no longer needed.
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
 * `Armed`, `Committing` (a `Guard.commit` is running its action), `Running`, `Ran` (with the
 * cleanup's `exit`), `Disarmed`, or `Skipped` (the scope closed with an exit the strategy does
 * not run for). A guard whose failed commit has not started its compensation yet is `Armed`.
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
