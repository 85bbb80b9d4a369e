/**
 * @since 0.1.0
 */

/**
 * An acquired value whose release is a removable, exactly-once finalizer of its scope.
 *
 * @since 0.1.0
 */
export * as Resource from "./Resource.js"

/**
 * A cleanup on the scope that `disarm` really removes.
 *
 * @since 0.1.0
 */
export * as Guard from "./Guard.js"

/**
 * The hook leak probes are built on.
 *
 * @since 0.1.0
 */
export * as Tracking from "./Tracking.js"

/**
 * @since 0.1.0
 */
export { ReleaseTimeoutError, ResourceReleasedError } from "./Errors.js"
