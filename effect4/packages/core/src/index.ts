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
 * Both directions between Effect scopes and TC39 `using` / `await using`.
 *
 * @since 0.1.0
 */
export * as Using from "./Using.js"

/**
 * The hook leak probes are built on.
 *
 * @since 0.1.0
 */
export * as Tracking from "./Tracking.js"

/**
 * The one checked conversion from a duration to a Node timer (no 1 ms clamp above 2³¹−1 ms).
 *
 * @since 0.1.0
 */
export * as Timer from "./Timer.js"

/**
 * @since 0.1.0
 */
export {
  DisposeError,
  GuardNotArmedError,
  InvalidOptionsError,
  NotDisposableError,
  ReleaseTimeoutError,
  ResourceNotDetachableError,
  ResourceReleasedError,
  UsingError
} from "./Errors.js"
