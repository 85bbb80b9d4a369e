import * as NodeFs from "node:fs"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { PlatformError } from "effect/PlatformError"
import type * as EffectChildProcess from "effect/process/ChildProcess"
import * as ChildProcessSpawner from "effect/process/ChildProcessSpawner"
import * as Scope from "effect/Scope"
import { InvalidOptionsError, Resource } from "@scopeguard/core"
import type * as ChildProcess from "../ChildProcess.js"
import { ProcessStopError } from "../Errors.js"
import { duration, label as checkLabel, record } from "./options.js"

/** How often a stop looks whether the process group is gone (there is no event for it). */
const pollInterval = Duration.millis(10)

type Handle = ChildProcessSpawner.ChildProcessHandle

const isRunning = (child: Handle) => Effect.orElseSucceed(child.isRunning, () => false)

/**
 * Whether any member of the process group `pgid` is still alive. Effect 4's Node spawner starts
 * every child as the leader of a group of its own (`detached`), so its children are members.
 *
 * A zombie is not alive: where nobody reaps orphans (a container whose init does not), a
 * member killed after its parent died stays a zombie forever, and `kill(-pgid, 0)` would
 * report the group alive. On Linux we read `/proc`; elsewhere `kill(-pgid, 0)` is the test.
 */
const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0)
  } catch {
    return false
  }
  let entries: Array<string>
  try {
    entries = NodeFs.readdirSync("/proc")
  } catch {
    return true
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = NodeFs.readFileSync(`/proc/${entry}/stat`, "utf8")
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      if (Number(fields[2]) === pgid && fields[0] !== "Z") return true
    } catch {
      // The process ended while we looked.
    }
  }
  return false
}

/** Sends `signal` to the whole group; to the leader alone if the group is not reachable. */
const signalGroup = (pid: number, signal: NodeJS.Signals) =>
  Effect.sync(() => {
    try {
      process.kill(-pid, signal)
    } catch {
      try {
        process.kill(pid, signal)
      } catch {
        // Already gone.
      }
    }
  })

/** Waits until the leader has exited and no member of its group is alive, at most `timeout`. */
const goneWithin = (child: Handle, timeout: Duration.Duration) =>
  Effect.flatMap(Clock.currentTimeMillis, (start) => {
    const deadline = start + Duration.toMillis(timeout)
    const poll: Effect.Effect<boolean> = Effect.flatMap(isRunning(child), (running) =>
      !running && !groupAlive(child.pid)
        ? Effect.succeed(true)
        : Effect.flatMap(Clock.currentTimeMillis, (now) =>
            now >= deadline
              ? Effect.succeed(false)
              : Effect.andThen(Effect.sleep(pollInterval), poll)
          )
    )
    return poll
  })

/**
 * SIGTERM to the process group, up to `gracePeriod` for every member to exit, then SIGKILL
 * to the group, up to `killTimeout`.
 */
const stop = Effect.fnUntraced(function* (
  child: Handle,
  inner: Scope.Closeable,
  label: string,
  gracePeriod: Duration.Duration,
  killTimeout: Duration.Duration
) {
  let stopped: ChildProcess.Stopped = "exited"
  if ((yield* isRunning(child)) || groupAlive(child.pid)) {
    yield* signalGroup(child.pid, "SIGTERM")
    stopped = "terminated"
    if (!(yield* goneWithin(child, gracePeriod))) {
      yield* signalGroup(child.pid, "SIGKILL")
      stopped = "killed"
      if (!(yield* goneWithin(child, killTimeout))) {
        // Not even SIGKILL ended it. Closing the inner scope would run the spawner's own
        // release, which waits for the exit: leave it, and say so.
        return yield* Effect.die(
          new ProcessStopError({ label, pid: child.pid, gracePeriod, killTimeout })
        )
      }
    }
  }
  // The process has exited: the spawner's own release now returns at once.
  yield* Scope.close(inner, Exit.void)
  return stopped
})

const describe = (command: EffectChildProcess.Command): string =>
  command._tag === "StandardCommand"
    ? [command.command, ...command.args].map(String).join(" ")
    : `${describe(command.left)} | ${describe(command.right)}`

const checkOptions = (
  command: EffectChildProcess.Command,
  input: ChildProcess.Options | undefined
) => {
  const options = record(input)
  const gracePeriod = duration("gracePeriod", options?.gracePeriod) ?? Duration.seconds(5)
  const killTimeout = duration("killTimeout", options?.killTimeout) ?? Duration.seconds(5)
  const releaseTimeout = duration("releaseTimeout", options?.releaseTimeout)
  if (releaseTimeout !== undefined && Duration.isLessThan(releaseTimeout, gracePeriod)) {
    throw new InvalidOptionsError({
      option: "releaseTimeout",
      value: options?.releaseTimeout,
      reason: `is shorter than gracePeriod (${Duration.format(gracePeriod)}): the stop would be abandoned before SIGKILL is sent`
    })
  }
  return {
    gracePeriod,
    killTimeout,
    releaseTimeout,
    label: checkLabel("label", options?.label) ?? `process ${describe(command)}`
  }
}

/** @internal */
export const start = (
  command: EffectChildProcess.Command,
  options?: ChildProcess.Options
): Effect.Effect<
  Resource.Resource<Handle>,
  PlatformError,
  ChildProcessSpawner.ChildProcessSpawner | Scope.Scope
> =>
  // `suspend`: invalid options die when the effect runs, before anything starts.
  Effect.suspend(() => {
    const { gracePeriod, killTimeout, releaseTimeout, label } = checkOptions(command, options)
    // The spawner registers its own release on the scope the spawn runs in, and that release
    // waits for the exit (forever, without `forceKillAfter`). Give it a private scope, closed
    // by `stop` once the process has exited. (Not `Resource.fromScoped`: its release would
    // close that scope whether or not the process could be stopped, and hang on a process
    // SIGKILL cannot end.)
    const inner = Scope.makeUnsafe()
    return Resource.make(
      Effect.flatMap(ChildProcessSpawner.ChildProcessSpawner, (spawner) =>
        Effect.onError(Scope.provide(spawner.spawn(command), inner), (cause) =>
          Scope.close(inner, Exit.failCause(cause))
        )
      ),
      (child) => stop(child, inner, label, gracePeriod, killTimeout),
      { label, releaseTimeout }
    )
  })
