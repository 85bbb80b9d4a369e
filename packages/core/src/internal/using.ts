import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
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
    readonly scope: Scope.CloseableScope,
    private readonly runtime: Runtime.Runtime<never>
  ) {}

  [Symbol.asyncDispose](): Promise<void> {
    // A second dispose (or one racing the first) shares the first one's outcome: the scope
    // closes once, and every caller resolves only after all its finalizers have finished.
    this.closing ??= Runtime.runPromiseExit(this.runtime)(
      Effect.uninterruptible(Scope.close(this.scope, Exit.void))
    ).then((exit) => {
      if (Exit.isFailure(exit)) throw new UsingError({ phase: "dispose", cause: exit.cause })
    })
    return this.closing
  }
}

/** The options of `run`, checked before anything starts; the refusal, if any. */
const checkRunOptions = (options: unknown): InvalidOptionsError | undefined => {
  try {
    checked.object(options)
    const { signal, runtime, layer } = options as Record<string, unknown>
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new InvalidOptionsError({
        option: "signal",
        value: signal,
        reason: "is not an AbortSignal"
      })
    }
    if (
      runtime !== undefined &&
      !(typeof runtime === "object" && runtime !== null && "fiberRefs" in runtime)
    ) {
      throw new InvalidOptionsError({
        option: "runtime",
        value: runtime,
        reason: "is not a Runtime"
      })
    }
    if (layer !== undefined && !Layer.isLayer(layer)) {
      throw new InvalidOptionsError({ option: "layer", value: layer, reason: "is not a Layer" })
    }
    return undefined
  } catch (error) {
    if (error instanceof InvalidOptionsError) return error
    throw error
  }
}

/** @internal */
export const run = <A, E, R, E2 = never>(
  effect: Effect.Effect<A, E, R>,
  options: Using.RunOptions & {
    readonly runtime?: Runtime.Runtime<any> | undefined
    readonly layer?: Layer.Layer<any, E2, never> | undefined
  } = {}
): Promise<Using.Handle<A>> => {
  const invalid = checkRunOptions(options)
  if (invalid !== undefined) {
    // Nothing has started: reject as a failed run would, with the refusal as its cause.
    return Promise.reject(new UsingError({ phase: "run", cause: Cause.die(invalid) }))
  }
  const runtime = (options.runtime ?? Runtime.defaultRuntime) as Runtime.Runtime<never>
  const runExit = Runtime.runPromiseExit(runtime)
  const scope = Effect.runSync(Scope.make())
  const layer = options.layer
  const withServices: Effect.Effect<A, E | E2, Scope.Scope> =
    layer === undefined
      ? (effect as Effect.Effect<A, E, Scope.Scope>)
      : Effect.flatMap(Layer.buildWithScope(layer, scope), (context) =>
          Effect.provide(effect as Effect.Effect<A, E, Scope.Scope>, context)
        )
  const signal = options.signal
  // Effect's runtime starts the fiber before it looks at the signal, so an effect that is
  // already aborted would run (a synchronous one in full). Start nothing instead.
  const body: Effect.Effect<A, E | E2, Scope.Scope> =
    signal?.aborted === true ? Effect.interrupt : withServices
  const runOptions = signal === undefined ? undefined : { signal }
  return runExit(Scope.extend(body, scope), runOptions).then(async (exit) => {
    if (Exit.isSuccess(exit)) return new HandleImpl(exit.value, scope, runtime)
    // The effect failed or was interrupted: nothing may stay open.
    const closed = await runExit(Effect.uninterruptible(Scope.close(scope, exit)))
    const cause = Exit.isFailure(closed) ? Cause.sequential(exit.cause, closed.cause) : exit.cause
    throw new UsingError({ phase: "run", cause })
  })
}
