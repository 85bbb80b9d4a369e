/**
 * @since 0.1.0
 */

/**
 * Write to a temporary file; rename it over the target only on success.
 *
 * @since 0.1.0
 */
export * as AtomicFile from "./AtomicFile.js"

/**
 * A buffer flushed on every exit of its scope.
 *
 * @since 0.1.0
 */
export * as BufferedWriter from "./BufferedWriter.js"

/**
 * Child processes stopped gracefully: SIGTERM, a grace period, then SIGKILL.
 *
 * @since 0.1.0
 */
export * as ChildProcess from "./ChildProcess.js"

/**
 * `runMain` with a graceful-shutdown deadline that names what is still releasing.
 *
 * @since 0.1.0
 */
export * as Shutdown from "./Shutdown.js"

/**
 * @since 0.1.0
 */
export { AtomicFileError, ProcessStopError } from "./Errors.js"
