/**
 * The typed errors of scopeguard.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"

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
    return `Release of "${this.label}" did not finish within ${formatDuration(this.timeout)}; it was interrupted and abandoned`
  }
}

const formatDuration = (duration: Duration.Duration): string =>
  duration.value._tag === "Millis" ? `${duration.value.millis}ms` : String(duration)
