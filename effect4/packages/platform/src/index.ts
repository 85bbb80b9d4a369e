/**
 * @since 0.1.0
 */

/**
 * Replace a file atomically: a temporary file, renamed over the target when the scope succeeds.
 *
 * @since 0.1.0
 */
export * as AtomicFile from "./AtomicFile.js"

/**
 * Buffer writes to a sink; whatever is buffered is written when the scope closes.
 *
 * @since 0.1.0
 */
export * as BufferedWriter from "./BufferedWriter.js"

/**
 * Child processes stopped gracefully (SIGTERM, then SIGKILL, to the whole group) when their
 * scope closes.
 *
 * @since 0.1.0
 */
export * as ChildProcess from "./ChildProcess.js"

/**
 * Run a program as the main of a process: a signal releases everything, within a deadline.
 *
 * @since 0.1.0
 */
export * as Shutdown from "./Shutdown.js"

/**
 * @since 0.1.0
 */
export { AtomicFileError, ProcessStopError } from "./Errors.js"
