/**
 * The typed errors of scopeguard.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as rules from "./internal/common/rules.js"

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

/**
 * An option given to a scopeguard constructor is not valid (a duration that cannot be read, a
 * negative or `NaN` number, an unknown choice). Building the effect never throws: running it
 * dies with this error before anything is acquired.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resource } from "@scopeguard/core"
 *
 * // "5s" is not a DurationInput ("5 seconds" is): the effect dies when it runs.
 * const program = Effect.scoped(
 *   Resource.make(Effect.void, () => Effect.void, { releaseTimeout: "5s" as "5 seconds" })
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidOptionsError extends Data.TaggedError("InvalidOptionsError")<{
  /** The option's name, such as `releaseTimeout`. */
  readonly option: string
  /** The value that was given. */
  readonly value: unknown
  /** What a valid value looks like. */
  readonly reason: string
}> {
  /** The `reason` of every duration option. */
  static readonly durationReason =
    'is not a duration: use a Duration, a non-negative number of milliseconds or a string such as "5 seconds"'

  /**
   * Decodes a duration option as every scopeguard constructor does: `undefined` stays
   * `undefined`; `NaN`, negatives, `[seconds, nanos]` pairs with a `NaN` or negative part and
   * strings `Duration` cannot read (which `Duration.decode` would turn into zero, or throw on)
   * throw an `InvalidOptionsError` naming the option. For
   * constructors of your own built on scopeguard: call it inside the effect they build.
   *
   * @example
   * ```ts
   * import { type Duration, Effect } from "effect"
   * import { InvalidOptionsError } from "@scopeguard/core"
   *
   * const withDeadline = (deadline: Duration.DurationInput) =>
   *   Effect.suspend(() => {
   *     // Throws (so the effect dies) on NaN, a negative or "5s": an InvalidOptionsError.
   *     const bound = InvalidOptionsError.decodeDuration("deadline", deadline)
   *     return Effect.succeed(bound)
   *   })
   * ```
   *
   * @since 0.1.0
   */
  static decodeDuration(
    option: string,
    value: Duration.DurationInput | undefined
  ): Duration.Duration | undefined {
    if (value === undefined) return undefined
    const refused =
      (typeof value === "number" && !(value >= 0)) ||
      (typeof value === "bigint" && value < BigInt(0)) ||
      (typeof value === "string" && value.trimStart().startsWith("-")) ||
      // `[seconds, nanos]`: `Duration.decode` reads a NaN or negative part as zero (or
      // subtracts it), so a `[NaN, 0]` grace period would become no grace period at all.
      (Array.isArray(value) &&
        (value.length !== 2 || !value.every((part) => typeof part === "number" && part >= 0)))
    const decoded = refused ? Option.none() : Duration.decodeUnknown(value)
    if (Option.isNone(decoded)) {
      throw new InvalidOptionsError({ option, value, reason: InvalidOptionsError.durationReason })
    }
    return decoded.value
  }

  override get message(): string {
    return rules.message(this.option, this.value, this.reason)
  }
}

/**
 * `Resource.detach` on a resource adopted with `Resource.fromScoped`: its release is the
 * closing of a scope that only scopeguard can reach, so its value cannot be handed over
 * without leaking what the scope holds. Use `Resource.close`, or keep the resource.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resource } from "@scopeguard/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const r = yield* Resource.fromScoped(Effect.acquireRelease(Effect.succeed(1), () => Effect.void))
 *     return yield* Resource.detach(r).pipe(
 *       Effect.catchTag("ResourceNotDetachableError", (e) => Effect.succeed(e.message))
 *     )
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class ResourceNotDetachableError extends Data.TaggedError("ResourceNotDetachableError")<{
  readonly id: number
  readonly label: string
}> {
  override get message(): string {
    return `Resource "${this.label}" (#${this.id}) was adopted from a scoped effect and cannot be detached; close it instead`
  }
}

/**
 * `Guard.commit` was given a guard that is no longer armed (it ran, was disarmed, skipped, or
 * is being committed elsewhere). The final action was not run. A programming error, not an
 * outcome to handle: the commit dies with it (a defect), as Effect reports its own misuse.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const refund = yield* Guard.step(Effect.log("debit"), () => Effect.log("refund"))
 *     yield* Guard.disarm(refund)
 *     // A programming error: the commit dies with it (Exit.die(GuardNotArmedError)).
 *     return yield* Effect.exit(Guard.commit(refund, Effect.log("credit")))
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class GuardNotArmedError extends Data.TaggedError("GuardNotArmedError")<{
  readonly id: number
  readonly label: string
  /** The guard's state when the commit was asked for. */
  readonly state: "Running" | "Committing" | "Ran" | "Disarmed" | "Skipped"
}> {
  override get message(): string {
    return `Guard "${this.label}" (#${this.id}) is ${this.state}, not Armed: nothing was committed`
  }
}
