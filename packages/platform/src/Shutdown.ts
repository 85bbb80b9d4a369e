/**
 * A `runMain` with a graceful-shutdown deadline.
 *
 * Effect 3 has none: on `SIGTERM` the main fiber is interrupted and its scopes close, and a
 * finalizer that hangs hangs the process forever. `Shutdown.runMain` runs the program, and on
 * `SIGTERM` or `SIGINT` interrupts it — every layer and scope closes in reverse order — and
 * starts the deadline. If everything is released in time the process exits with 0 (1 if the
 * program failed). If the deadline passes first, it prints **which resources and guards are
 * still releasing, by label and for how long**, and exits with `deadlineExitCode` (124).
 *
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Resource } from "@scopeguard/core"
 * import { Shutdown } from "@scopeguard/platform"
 *
 * const Database = Layer.scopedDiscard(
 *   Resource.make(Effect.log("open"), () => Effect.log("close"), { label: "database" })
 * )
 * Shutdown.runMain(Layer.launch(Database), { deadline: "5 seconds" })
 * // on SIGTERM:
 * // shutdown: SIGTERM received; releasing everything, deadline 5s
 * // ... close
 * // shutdown: complete in 3 ms
 * ```
 *
 * Only what scopeguard tracks can be named (`Resource`, `Guard`, and what is adopted with
 * `Resource.fromScoped`); wrap a release you want named in a `Resource`.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as internal from "./internal/shutdown.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How long releasing everything may take after the signal. Default: 10 seconds. */
  readonly deadline?: Duration.DurationInput | undefined
  /** The signals that start a shutdown. Default: `SIGTERM` and `SIGINT`. */
  readonly signals?: ReadonlyArray<NodeJS.Signals> | undefined
  /** The exit code when the deadline passes. Default: 124 (as `timeout(1)`). */
  readonly deadlineExitCode?: number | undefined
  /** Where the shutdown's own lines go. Default: `console.error`. */
  readonly log?: ((line: string) => void) | undefined
  /** How to end the process. Default: `process.exit`. */
  readonly exit?: ((code: number) => void) | undefined
}

/**
 * Runs `program` as the main program of the process, with a graceful-shutdown deadline (see
 * the module doc). The tracking that names what is still releasing is installed for the
 * whole program.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Shutdown } from "@scopeguard/platform"
 *
 * Shutdown.runMain(Effect.never, { deadline: "2 seconds", signals: ["SIGTERM"] })
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const runMain: <A, E>(program: Effect.Effect<A, E>, options?: Options) => void =
  internal.runMain
