/**
 * @since 0.1.0
 */

/**
 * Interrupt a program at every step and check that nothing leaked, ran twice or hung.
 *
 * @since 0.1.0
 */
export * as Interruption from "./Interruption.js"

/**
 * Count live resources and armed guards, to assert that a test left none behind.
 *
 * @since 0.1.0
 */
export * as LeakProbe from "./LeakProbe.js"

/**
 * @since 0.1.0
 */
export { InterruptionError, LeakError } from "./Errors.js"
