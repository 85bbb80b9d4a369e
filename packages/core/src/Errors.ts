/**
 * The typed errors of scopeguard.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"

/**
 * Raised by `Resource.get`, `Resource.use` and `Resource.detach` when the resource can no
 * longer be handed out: its release is running or has finished, or it was detached.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resource } from "@scopeguard/core"
 *
 * const program = Effect.gen(function* () {
 *   const r = yield* Resource.make(Effect.succeed("conn"), () => Effect.void)
 *   yield* Resource.close(r)
 *   return yield* Resource.get(r).pipe(
 *     Effect.catchTag("ResourceReleasedError", (e) => Effect.succeed(`${e.label} is ${e.status}`))
 *   )
 * })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class ResourceReleasedError extends Data.TaggedError("ResourceReleasedError")<{
  /** The resource's `id`. */
  readonly id: number
  /** The resource's `label`. */
  readonly label: string
  /** Why the value is gone: its release is running, has finished, or it was detached. */
  readonly status: "Releasing" | "Released" | "Detached"
}> {
  override get message(): string {
    const why =
      this.status === "Detached"
        ? "was detached from its scope"
        : this.status === "Releasing"
          ? "is being released"
          : "has been released"
    return `Resource "${this.label}" (#${this.id}) ${why}; its value can no longer be used`
  }
}

/**
 * The defect a release dies with when it is still running `timeout` after it started. The
 * release is interrupted and abandoned; the close that ran it completes on time.
 *
 * @example
 * ```ts
 * import { Cause, Effect, Exit } from "effect"
 * import { ReleaseTimeoutError, Resource } from "@scopeguard/core"
 *
 * const program = Effect.gen(function* () {
 *   const r = yield* Resource.make(Effect.void, () => Effect.never, {
 *     label: "stuck",
 *     releaseTimeout: "1 second"
 *   })
 *   const exit = yield* Effect.exit(Resource.close(r))
 *   // Exit.isFailure(exit) and the defect is a ReleaseTimeoutError
 *   return Exit.isFailure(exit) && Cause.dieOption(exit.cause)._tag === "Some"
 * })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class ReleaseTimeoutError extends Data.TaggedError("ReleaseTimeoutError")<{
  /** The label of the resource whose release timed out. */
  readonly label: string
  /** The bound the release exceeded. */
  readonly timeout: Duration.Duration
}> {
  override get message(): string {
    return `Release of "${this.label}" did not finish within ${Duration.format(this.timeout)}; it was interrupted and abandoned`
  }
}

/**
 * The defect a `Using.resource` release dies with when the object's `[Symbol.asyncDispose]`
 * rejects or its `[Symbol.dispose]` throws. `cause` is what was thrown.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Using } from "@scopeguard/core"
 *
 * const broken = { [Symbol.dispose]: () => { throw new Error("socket already gone") } }
 * const program = Effect.scoped(Using.resource(Effect.succeed(broken), { label: "socket" }))
 * // dies with DisposeError: Disposing "socket" failed: socket already gone
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class DisposeError extends Data.TaggedError("DisposeError")<{
  /** The label of the resource whose dispose method failed. */
  readonly label: string
  /** What the dispose method threw or rejected with. */
  readonly cause: unknown
}> {
  override get message(): string {
    const reason = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `Disposing "${this.label}" failed: ${reason}`
  }
}

/**
 * `Using.resource` acquired a value that has neither `[Symbol.asyncDispose]` nor
 * `[Symbol.dispose]` (possible from untyped code). Nothing was registered: the value is
 * handed back in `value` so that the caller can still clean it up.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Using } from "@scopeguard/core"
 *
 * const program = Effect.scoped(Using.resource(Effect.succeed({} as Disposable))).pipe(
 *   Effect.catchTag("NotDisposableError", (e) => Effect.succeed(e.message))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class NotDisposableError extends Data.TaggedError("NotDisposableError")<{
  readonly label: string | undefined
  /** The acquired value, still owned by the caller. */
  readonly value: unknown
}> {
  override get message(): string {
    const name = this.label === undefined ? "The acquired value" : `"${this.label}"`
    return `${name} has neither [Symbol.asyncDispose] nor [Symbol.dispose]; nothing was registered`
  }
}

/**
 * How a `Using.run` promise or a handle's `[Symbol.asyncDispose]()` rejects: an `Error`
 * carrying the full `Cause` (Node 20 has no `SuppressedError`). `phase` says whether the
 * effect itself failed (`"run"`, after its scope was closed) or a finalizer failed while the
 * scope was closing (`"dispose"`).
 *
 * @example
 * ```ts
 * import { Cause, Effect } from "effect"
 * import { Using, UsingError } from "@scopeguard/core"
 *
 * async function main() {
 *   try {
 *     await Using.run(Effect.fail("no connection"))
 *   } catch (e) {
 *     if (e instanceof UsingError) console.log(e.phase, Cause.pretty(e.cause))
 *   }
 * }
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class UsingError extends Data.TaggedError("UsingError")<{
  readonly phase: "run" | "dispose"
  readonly cause: Cause.Cause<unknown>
}> {
  override get message(): string {
    const what =
      this.phase === "run" ? "Using.run: the effect failed" : "Using dispose: a finalizer failed"
    return `${what}: ${Cause.pretty(this.cause)}`
  }
}
