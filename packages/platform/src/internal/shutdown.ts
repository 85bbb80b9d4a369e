import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import { Tracking } from "@scopeguard/core"
import type * as Shutdown from "../Shutdown.js"
import { duration } from "./options.js"

const describe = (entry: Tracking.Entry, since: number, now: number) =>
  `  ${entry.kind} "${entry.label}" (#${entry.id}) releasing for ${now - since} ms`

/** @internal */
export const runMain = <A, E>(program: Effect.Effect<A, E>, options?: Shutdown.Options): void => {
  const log = options?.log ?? ((line: string) => console.error(line))
  const exit = options?.exit ?? ((code: number) => process.exit(code))
  const signals = options?.signals ?? ["SIGTERM", "SIGINT"]
  let deadline: Duration.Duration
  try {
    deadline = duration("deadline", options?.deadline) ?? Duration.seconds(10)
  } catch (error) {
    // Nothing has started: there is no effect to die in, so say it and exit.
    log(`shutdown: ${(error as Error).message}`)
    return exit(2)
  }
  const deadlineExitCode = options?.deadlineExitCode ?? 124

  // Every Resource and Guard whose release has started and not finished, with its start.
  const releasing = new Map<Tracking.Entry, number>()
  const tracker: Tracking.Tracker = {
    opened: () => {},
    releasing: (entry) => {
      releasing.set(entry, Date.now())
    },
    settled: (entry) => {
      releasing.delete(entry)
    }
  }

  const fiber = Effect.runFork(Tracking.withTracker(program, tracker))
  let signalled: { readonly signal: string; readonly at: number } | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let done = false

  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled !== undefined) {
      log(`shutdown: ${signal} received again; still waiting for the deadline`)
      return
    }
    signalled = { signal, at: Date.now() }
    log(`shutdown: ${signal} received; releasing everything, deadline ${Duration.format(deadline)}`)
    timer = setTimeout(() => {
      if (done) return
      done = true
      const now = Date.now()
      const lines = Array.from(releasing, ([entry, since]) => describe(entry, since, now))
      log(
        `shutdown: the deadline of ${Duration.format(deadline)} passed ${now - signalled!.at} ms after ${signal}; ` +
          (lines.length === 0
            ? "no tracked resource or guard is releasing (the hang is in code scopeguard does not track)"
            : `still releasing:\n${lines.join("\n")}`)
      )
      exit(deadlineExitCode)
    }, Duration.toMillis(deadline))
    fiber.unsafeInterruptAsFork(FiberId.none)
  }
  for (const signal of signals) process.on(signal, onSignal)

  fiber.addObserver((result) => {
    if (done) return
    done = true
    if (timer !== undefined) clearTimeout(timer)
    for (const signal of signals) process.off(signal, onSignal)
    if (signalled !== undefined) {
      log(`shutdown: complete in ${Date.now() - signalled.at} ms`)
      return exit(Exit.isSuccess(result) || Cause.isInterruptedOnly(result.cause) ? 0 : 1)
    }
    if (Exit.isFailure(result)) {
      log(Cause.pretty(result.cause))
      return exit(1)
    }
    exit(0)
  })
}
