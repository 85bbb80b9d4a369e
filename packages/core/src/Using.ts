/**
 * Both directions between Effect scopes and TC39 explicit resource management
 * (`using` / `await using`).
 *
 * - **Into Effect**: `Using.resource` adopts an object with `[Symbol.asyncDispose]` or
 *   `[Symbol.dispose]` as a `Resource`, released by its scope like any other.
 * - **Out of Effect**: `Using.run` runs an effect that needs a `Scope` and hands plain async
 *   code a handle to hold with `await using`; disposing it closes the scope and resolves only
 *   once every finalizer has finished.
 *
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Resource, Using } from "@scopeguard/core"
 *
 * const openConnection = Resource.make(
 *   Effect.as(Console.log("open"), { query: (sql: string) => `rows for ${sql}` }),
 *   () => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 10))),
 *   { label: "db" }
 * )
 *
 * async function handler() {
 *   await using db = await Using.run(Effect.flatMap(openConnection, Resource.get))
 *   return db.value.query("select 1")
 * } // the connection's async release has finished before handler() resolves
 * ```
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import type { NotDisposableError } from "./Errors.js"
import * as internal from "./internal/using.js"
import type * as Resource from "./Resource.js"

export {
  /**
   * @since 0.1.0
   * @category errors
   */
  DisposeError,
  /**
   * @since 0.1.0
   * @category errors
   */
  NotDisposableError,
  /**
   * @since 0.1.0
   * @category errors
   */
  UsingError
} from "./Errors.js"

/**
 * What `Using.run` resolves to: the effect's `value`, and the scope it holds open until
 * `[Symbol.asyncDispose]()` closes it. Disposing twice closes once; both calls resolve (or
 * reject with a `UsingError`) when every finalizer has finished.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Using } from "@scopeguard/core"
 *
 * async function main() {
 *   const handle = await Using.run(Effect.succeed(42))
 *   try {
 *     return handle.value
 *   } finally {
 *     await handle[Symbol.asyncDispose]()
 *   }
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Handle<A> extends AsyncDisposable {
  readonly value: A
  /** The scope the effect ran in; more finalizers may be added to it. */
  readonly scope: Scope.Scope
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RunOptions {
  // Invalid options (`null`, a signal that is not an `AbortSignal`, a layer that is not a
  // `Layer`) start nothing: `run` rejects with a `UsingError` whose cause is an
  // `InvalidOptionsError` defect.
  /**
   * Aborting interrupts the effect; `run` then rejects (a `UsingError` whose cause is an
   * interruption) after closing the scope. A signal that is already aborted runs nothing:
   * neither the layer nor the effect starts, and `run` rejects the same way.
   */
  readonly signal?: AbortSignal | undefined
}

/**
 * Adopts a `Disposable` or `AsyncDisposable` as a `Resource` (same options as
 * `Resource.make`): its release calls `[Symbol.asyncDispose]()` and awaits what it returns,
 * or calls `[Symbol.dispose]()`. A dispose that throws or rejects becomes a `DisposeError`
 * defect, naming the label, in the exit of whoever released it (the scope's close or
 * `close`). It accepts what `await using` accepts: objects and functions with either method
 * (an `asyncDispose` may return `undefined`), and `null` / `undefined`, which dispose nothing.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resource, Using } from "@scopeguard/core"
 *
 * class Socket implements AsyncDisposable {
 *   async [Symbol.asyncDispose]() {
 *     // flush and close
 *   }
 * }
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const socket = yield* Using.resource(Effect.sync(() => new Socket()), { label: "socket" })
 *     yield* Resource.use(socket, () => Effect.log("sending"))
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const resource: <A extends Disposable | AsyncDisposable | null | undefined, E, R>(
  acquire: Effect.Effect<A, E, R>,
  options?: Resource.Resource.Options
) => Effect.Effect<Resource.Resource<A>, E | NotDisposableError, R | Scope.Scope> =
  internal.usingResource

/**
 * Runs an effect that needs a `Scope` in a new scope and resolves to a `Handle`. The scope
 * stays open until `await handle[Symbol.asyncDispose]()` closes it, which resolves only after
 * every finalizer has finished (a dispose that returned earlier would be a leak) and rejects
 * with a `UsingError` carrying the `Cause` if one failed.
 *
 * If the effect fails or is interrupted, `run` closes the scope, waits for its finalizers,
 * and rejects with a `UsingError` (`phase: "run"`): nothing stays open.
 *
 * Services: pass a `runtime` (for example from a `ManagedRuntime`) or a `layer`, built into
 * the same scope and released with it.
 *
 * @example
 * ```ts
 * import { Context, Effect, Layer } from "effect"
 * import { Using } from "@scopeguard/core"
 *
 * class Config extends Context.Tag("Config")<Config, { readonly url: string }>() {}
 *
 * async function main() {
 *   await using handle = await Using.run(Effect.map(Config, (c) => c.url), {
 *     layer: Layer.succeed(Config, { url: "postgres://localhost" })
 *   })
 *   console.log(handle.value)
 * }
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const run: {
  <A, E>(effect: Effect.Effect<A, E, Scope.Scope>, options?: RunOptions): Promise<Handle<A>>
  <A, E, R>(
    effect: Effect.Effect<A, E, R | Scope.Scope>,
    options: RunOptions & { readonly runtime: Runtime.Runtime<R> }
  ): Promise<Handle<A>>
  <A, E, R, E2>(
    effect: Effect.Effect<A, E, R | Scope.Scope>,
    options: RunOptions & { readonly layer: Layer.Layer<R, E2> }
  ): Promise<Handle<A>>
} = internal.run as any
