import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type * as ManagedRuntime from "effect/ManagedRuntime"
import * as Scope from "effect/Scope"
import { DisposeError, InvalidOptionsError, NotDisposableError, UsingError } from "../Errors.js"
import type * as Resource from "../Resource.js"
import type * as Using from "../Using.js"
import * as checked from "./options.js"
import * as resource from "./resource.js"

/** Functions are objects too: `await using` accepts a function with a dispose method. */
const hasMethod = (u: unknown, symbol: symbol): boolean =>
  ((typeof u === "object" && u !== null) || typeof u === "function") &&
  typeof (u as Record<symbol, unknown>)[symbol] === "function"

/** `using x = null` (or `undefined`) is allowed and disposes nothing. */
const isNothing = (u: unknown): u is null | undefined => u === null || u === undefined

/** `await using` prefers `[Symbol.asyncDispose]`; so do we. */
const dispose = (
  value: Disposable | AsyncDisposable | null | undefined,
  label: string
): Effect.Effect<void> =>
  isNothing(value)
    ? Effect.void
    : hasMethod(value, Symbol.asyncDispose)
      ? Effect.orDie(
          Effect.tryPromise({
            // `await using` awaits whatever the method returns, a promise or not (`undefined`
            // is a valid, synchronous dispose); a synchronous throw is a dispose error.
            try: () => Promise.resolve((value as AsyncDisposable)[Symbol.asyncDispose]()),
            catch: (cause) => new DisposeError({ label, cause })
          })
        )
      : Effect.orDie(
          Effect.try({
            try: () => {
              ;(value as Disposable)[Symbol.dispose]()
            },
            catch: (cause) => new DisposeError({ label, cause })
          })
        )

/** @internal */
export const usingResource = <A extends Disposable | AsyncDisposable | null | undefined, E, R>(
  acquire: Effect.Effect<A, E, R>,
  options?: Resource.Options
): Effect.Effect<Resource.Resource<A>, E | NotDisposableError, R | Scope.Scope> =>
  resource.makeLabelled(
    Effect.flatMap(acquire, (value) =>
      isNothing(value) || hasMethod(value, Symbol.asyncDispose) || hasMethod(value, Symbol.dispose)
        ? Effect.succeed(value)
        : Effect.fail(new NotDisposableError({ label: options?.label, value }))
    ),
    (value, _exit, label) => dispose(value, label),
    options
  )

class HandleImpl<A> implements Using.Handle<A> {
  private closing: Promise<void> | undefined = undefined
  constructor(
    readonly value: A,
    readonly scope: Scope.Closeable
  ) {}

  [Symbol.asyncDispose](): Promise<void> {
    // A second dispose (or one racing the first) shares the first one's outcome: the scope
    // closes once, and every caller resolves only after all its finalizers have finished.
    this.closing ??= Effect.runPromiseExit(Scope.close(this.scope, Exit.void)).then((exit) => {
      if (Exit.isFailure(exit)) throw new UsingError({ phase: "dispose", cause: exit.cause })
    })
    return this.closing
  }
}

interface Options extends Using.RunOptions {
  readonly runtime?: ManagedRuntime.ManagedRuntime<any, any> | undefined
  readonly context?: Context.Context<any> | undefined
  readonly layer?: Layer.Layer<any, any, never> | undefined
}

/** Where the effect's services come from, checked when `run` is called (before it runs). */
const servicesOf = (
  options: Options,
  scope: Scope.Scope
): Effect.Effect<Context.Context<any> | undefined, unknown> => {
  const given = [options.runtime, options.context, options.layer].filter((o) => o !== undefined)
  if (given.length > 1) {
    throw new InvalidOptionsError({
      option: "runtime",
      value: given.length,
      reason: "is given with context or layer: pass one source of services"
    })
  }
  if (options.runtime !== undefined) return options.runtime.contextEffect
  if (options.context !== undefined) return Effect.succeed(options.context)
  if (options.layer !== undefined) return Layer.buildWithScope(options.layer, scope)
  return Effect.undefined
}

/** @internal */
export const run = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  input: Options = {}
): Promise<Using.Handle<A>> => {
  let options: Options
  let services: Effect.Effect<Context.Context<any> | undefined, unknown>
  const scope = Scope.makeUnsafe()
  try {
    options = checked.record(input) ?? {}
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
      throw new InvalidOptionsError({
        option: "signal",
        value: options.signal,
        reason: "is not an AbortSignal"
      })
    }
    services = servicesOf(options, scope)
  } catch (error) {
    // An invalid option rejects the promise, as a defect of the run: nothing ran.
    return Promise.reject(new UsingError({ phase: "run", cause: Cause.die(error) }))
  }
  const withServices: Effect.Effect<A, unknown, Scope.Scope> = Effect.flatMap(
    services,
    (context) =>
      context === undefined
        ? (effect as Effect.Effect<A, E, Scope.Scope>)
        : Effect.provideContext(effect as Effect.Effect<A, E, Scope.Scope>, context)
  )
  const signal = options.signal
  // Effect's runtime starts the fiber before it looks at the signal, so an effect that is
  // already aborted would run (a synchronous one in full). Start nothing instead.
  const body = signal?.aborted === true ? Effect.interrupt : withServices
  const runOptions = signal === undefined ? undefined : { signal }
  return Effect.runPromiseExit(Scope.provide(body, scope), runOptions).then(async (exit) => {
    if (Exit.isSuccess(exit)) return new HandleImpl(exit.value, scope)
    // The effect failed or was interrupted: nothing may stay open.
    const closed = await Effect.runPromiseExit(Scope.close(scope, exit))
    const cause = Exit.isFailure(closed) ? Cause.combine(exit.cause, closed.cause) : exit.cause
    throw new UsingError({ phase: "run", cause })
  })
}
