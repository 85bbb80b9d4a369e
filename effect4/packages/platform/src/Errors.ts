/**
 * The typed errors of `@scopeguard/platform`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"

/**
 * A child process survived SIGTERM for `gracePeriod` and SIGKILL for `killTimeout`. Its
 * release dies with this error (it is in the scope's close `Exit` and in `Resource.state`).
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { ProcessStopError } from "@scopeguard/platform"
 *
 * const error = new ProcessStopError({
 *   label: "worker",
 *   pid: 42,
 *   gracePeriod: Duration.seconds(5),
 *   killTimeout: Duration.seconds(5)
 * })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class ProcessStopError extends Data.TaggedError("ProcessStopError")<{
  readonly label: string
  readonly pid: number
  readonly gracePeriod: Duration.Duration
  readonly killTimeout: Duration.Duration
}> {
  override get message(): string {
    return `${this.label} (pid ${this.pid}) is still running ${Duration.format(this.gracePeriod)} after SIGTERM and ${Duration.format(this.killTimeout)} after SIGKILL; it was abandoned`
  }
}

/**
 * An `AtomicFile` operation that could not be done: writing after the file was committed or
 * discarded, or a commit (sync, close, rename) that failed — then the temporary file is left
 * in place, at `tempPath`, so that nothing written is lost.
 *
 * @example
 * ```ts
 * import { AtomicFileError } from "@scopeguard/platform"
 *
 * const error = new AtomicFileError({
 *   path: "out.json",
 *   tempPath: "out.json.tmp-1",
 *   reason: "already committed"
 * })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class AtomicFileError extends Data.TaggedError("AtomicFileError")<{
  readonly path: string
  readonly tempPath: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `Atomic write of "${this.path}" (temporary file "${this.tempPath}"): ${this.reason}`
  }
}
