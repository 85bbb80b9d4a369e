/**
 * The typed errors of `@scopeguard/platform`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

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
