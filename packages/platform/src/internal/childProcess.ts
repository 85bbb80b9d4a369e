import * as Command from "@effect/platform/Command"
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type { PlatformError } from "@effect/platform/Error"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { Resource } from "@scopeguard/core"
import { ProcessStopError } from "../Errors.js"
import type * as ChildProcess from "../ChildProcess.js"
import { within } from "./within.js"

const isRunning = (process: CommandExecutor.Process) =>
  Effect.orElseSucceed(process.isRunning, () => false)

/**
 * SIGTERM, up to `gracePeriod` for the process to exit, then SIGKILL, up to `killTimeout`.
 * `Process.kill` waits for the exit, so each signal is bounded with `within`.
 */
const stop = (
  process: CommandExecutor.Process,
  inner: Scope.CloseableScope,
  label: string,
  gracePeriod: Duration.Duration,
  killTimeout: Duration.Duration
): Effect.Effect<ChildProcess.Stopped> =>
  Effect.gen(function* () {
    let stopped: ChildProcess.Stopped = "exited"
    if (yield* isRunning(process)) {
      const terminated = yield* within(process.kill("SIGTERM"), gracePeriod)
      stopped = "terminated"
      if (Option.isNone(terminated) && (yield* isRunning(process))) {
        const killed = yield* within(process.kill("SIGKILL"), killTimeout)
        stopped = "killed"
        if (Option.isNone(killed) && (yield* isRunning(process))) {
          // Not even SIGKILL ended it. Closing the inner scope would run the platform's own
          // release, which waits for the exit forever: leave it, and say so.
          return yield* Effect.die(
            new ProcessStopError({ label, pid: process.pid, gracePeriod, killTimeout })
          )
        }
      }
    }
    // The process has exited: the platform's own release now returns at once.
    yield* Scope.close(inner, Exit.void)
    return stopped
  })

/** @internal */
export const start = (
  command: Command.Command,
  options?: ChildProcess.Options
): Effect.Effect<
  Resource.Resource<CommandExecutor.Process>,
  PlatformError,
  CommandExecutor.CommandExecutor | Scope.Scope
> =>
  Effect.suspend(() => {
    const gracePeriod = Duration.decode(options?.gracePeriod ?? "5 seconds")
    const killTimeout = Duration.decode(options?.killTimeout ?? "5 seconds")
    const label = options?.label ?? `process ${String(command)}`
    // The platform registers its own release on the scope `Command.start` runs in, and that
    // release waits for the exit forever. Give it a private scope, closed by `stop` once the
    // process has exited.
    let inner: Scope.CloseableScope | undefined
    return Resource.make(
      Effect.flatMap(Scope.make(), (scope) => {
        inner = scope
        return Effect.onError(Scope.extend(Command.start(command), scope), (cause) =>
          Scope.close(scope, Exit.failCause(cause))
        )
      }),
      (process) => stop(process, inner!, label, gracePeriod, killTimeout),
      { label, releaseTimeout: options?.releaseTimeout }
    )
  })
