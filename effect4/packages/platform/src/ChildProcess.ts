/**
 * Child processes that are stopped gracefully when their scope closes, as scopeguard
 * `Resource`s.
 *
 * Effect 4's own spawner (`ChildProcessSpawner.spawn`) stops a process group with SIGTERM and,
 * without `forceKillAfter`, waits for the leader to exit — forever, if it ignores SIGTERM, and
 * the scope's close with it. `ChildProcess.start` sends SIGTERM to the process group (the
 * child and everything it started), waits up to `gracePeriod` for every member to exit (a
 * zombie nobody reaps is not alive), then sends SIGKILL to the group and waits up to
 * `killTimeout`; a group that survives even that is abandoned with a `ProcessStopError`
 * instead of a hang. The process is a `Resource`: it can be stopped early with
 * `Resource.close`, and `Resource.awaitRelease` tells how it stopped.
 *
 * ```ts
 * import { NodeServices } from "@effect/platform-node"
 * import { Effect } from "effect"
 * import { ChildProcess as Command } from "effect/process"
 * import { Resource } from "@scopeguard/core"
 * import { ChildProcess } from "@scopeguard/platform"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const server = yield* ChildProcess.start(Command.make("node", ["server.js"]), {
 *       gracePeriod: "2 seconds"
 *     })
 *     const process = yield* Resource.get(server)
 *     yield* Effect.log(`started pid ${process.pid}`)
 *   })
 * ).pipe(Effect.provide(NodeServices.layer))
 * ```
 *
 * @since 0.1.0
 */
import type { PlatformError } from "effect/PlatformError"
import type * as Command from "effect/process/ChildProcess"
import type * as ChildProcessSpawner from "effect/process/ChildProcessSpawner"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { Resource } from "@scopeguard/core"
import * as internal from "./internal/childProcess.js"

/**
 * How a process stopped: it had `exited` on its own, was `terminated` by SIGTERM within the
 * grace period, or was `killed` by SIGKILL. The release's `Exit` carries it.
 *
 * @since 0.1.0
 * @category models
 */
export type Stopped = "exited" | "terminated" | "killed"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How long the process has to exit after SIGTERM. Default: 5 seconds. */
  readonly gracePeriod?: Duration.Input | undefined
  /** How long to wait for the exit after SIGKILL. Default: 5 seconds. */
  readonly killTimeout?: Duration.Input | undefined
  /** Shown in errors, logs and leak reports. Default: `process <command>`. */
  readonly label?: string | undefined
  /**
   * An overall bound on the stop, as for `Resource.make`. It must not be shorter than
   * `gracePeriod` (the stop would be abandoned before SIGKILL is sent): such a value is
   * refused with `InvalidOptionsError` when the effect runs.
   */
  readonly releaseTimeout?: Duration.Input | undefined
}

/**
 * Starts the command; the scope stops the process gracefully (see the module doc).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChildProcess as Command } from "effect/process"
 * import { Resource } from "@scopeguard/core"
 * import { ChildProcess } from "@scopeguard/platform"
 *
 * const stopEarly = Effect.gen(function* () {
 *   const child = yield* ChildProcess.start(Command.make("sleep", ["60"]), {
 *     gracePeriod: "1 second"
 *   })
 *   yield* Resource.close(child)
 *   return yield* Resource.awaitRelease(child) // Exit.succeed("terminated")
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const start: (
  command: Command.Command,
  options?: Options
) => Effect.Effect<
  Resource.Resource<ChildProcessSpawner.ChildProcessHandle>,
  PlatformError,
  ChildProcessSpawner.ChildProcessSpawner | Scope.Scope
> = internal.start
