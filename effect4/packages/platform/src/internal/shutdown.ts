import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as LogLevel from "effect/LogLevel"
import * as Runtime from "effect/Runtime"
import { constants } from "node:os"
import { InvalidOptionsError, Timer, Tracking } from "@scopeguard/core"
import type * as Shutdown from "../Shutdown.js"
import * as rules from "./common/rules.js"
import { Ledger, done } from "./common/ledger.js"
import { refusing } from "./options.js"

// ---------------------------------------------------------------------------------------------
// What is busy: the ledger the deadline report is made from (shared by both editions).

export { type Busy, type Doing, Ledger } from "./common/ledger.js"

// ---------------------------------------------------------------------------------------------
// Options: all checked before anything starts, by the two editions' shared rules.

interface Checked {
  readonly deadline: Duration.Duration
  readonly signals: ReadonlyArray<Shutdown.Signal>
  readonly deadlineExitCode: number
  readonly log: ((line: string) => void) | undefined
  readonly exit: (code: number) => void
}

/** Runs a rule; a refusal is collected (as an `InvalidOptionsError`) and `fallback` used. */
const check = <A>(errors: Array<InvalidOptionsError>, decode: () => A, fallback: A): A => {
  try {
    return refusing(decode)
  } catch (error) {
    if (!(error instanceof InvalidOptionsError)) throw error
    errors.push(error)
    return fallback
  }
}

/** Every option, checked; the invalid ones are collected (a valid `log` / `exit` still serves). */
const checkOptions = (
  input: Shutdown.Options | undefined
): { readonly checked: Checked; readonly errors: ReadonlyArray<InvalidOptionsError> } => {
  const errors: Array<InvalidOptionsError> = []
  const options = check(errors, () => rules.object(input), undefined)
  const log = check(errors, () => rules.func<Checked["log"]>("log", options?.log), undefined)
  const exit = check(errors, () => rules.func<Checked["exit"]>("exit", options?.exit), undefined)
  const deadline = check(
    errors,
    () => InvalidOptionsError.decodeDuration("deadline", options?.deadline),
    undefined
  )
  const signals = check(
    errors,
    () => rules.signals<Shutdown.Signal>("signals", options?.signals, constants.signals),
    undefined
  )
  const deadlineExitCode = check(
    errors,
    () => rules.exitCode("deadlineExitCode", options?.deadlineExitCode),
    undefined
  )
  return {
    checked: {
      deadline: deadline ?? Duration.seconds(10),
      signals: signals ?? ["SIGTERM", "SIGINT"],
      deadlineExitCode: deadlineExitCode ?? 124,
      log,
      exit: exit ?? ((code) => process.exit(code))
    },
    errors
  }
}

// ---------------------------------------------------------------------------------------------
// Output: the user's `log`, or Effect's logger, as `NodeRuntime.runMain` leaves it.

type Say = (level: LogLevel.Severity, line: string) => void

/** Writes one line; neither a `log` nor a logger that throws can cost the shutdown anything. */
const makeSay = (log: ((line: string) => void) | undefined): Say => {
  if (log !== undefined) {
    return (_, line) => {
      try {
        log(line)
      } catch {
        // The line is lost; the shutdown is not.
      }
    }
  }
  return (level, line) => {
    try {
      Effect.runSync(Effect.logWithLevel(level)(line))
    } catch {
      // As above.
    }
  }
}

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error)

// ---------------------------------------------------------------------------------------------
// runMain

/** @internal */
export const runMain = <A, E>(program: Effect.Effect<A, E>, options?: Shutdown.Options): void => {
  const { checked, errors } = checkOptions(options)
  const say = makeSay(checked.log)
  const end = (code: number) => {
    try {
      checked.exit(code)
    } catch (error) {
      say("Error", `shutdown: exit(${code}) threw ${describeError(error)}`)
    }
  }
  if (errors.length > 0) {
    // Nothing has started: there is no effect to die in, so say it and exit.
    for (const error of errors) say("Error", `shutdown: ${error.message}`)
    return end(2)
  }
  const { deadline, signals, deadlineExitCode } = checked
  const finite = Duration.isFinite(deadline)
  const now = () => performance.now()

  // Lines told by the tracker are written after the state change that told them, never in
  // the middle of it; whoever writes a later line first writes these.
  const queued: Array<string> = []
  let flushing = false
  const flush = () => {
    flushing = false
    for (const line of queued.splice(0)) say("Info", line)
  }
  const ledger = new Ledger(now, (busy, millis) => {
    // Before the signal releases are the program's own business; after the end, too late.
    if (signalled === undefined || finished) return
    queued.push(`shutdown: ${done(busy)} in ${millis} ms`)
    if (!flushing) {
      flushing = true
      queueMicrotask(flush)
    }
  })

  let fiber: Fiber.Fiber<unknown, unknown> | undefined
  let signalled: { readonly signal: string; readonly at: number } | undefined
  let finished = false
  let cancelDeadline: Timer.Cancel = () => {}
  // As `NodeRuntime.runMain`: the process stays up while the program runs, even when it only
  // waits for something that holds no handle (a Deferred, a signal).
  const keepAlive = setInterval(() => {}, Timer.MAX_DELAY_MILLIS)

  const stop = () => {
    finished = true
    clearInterval(keepAlive)
    cancelDeadline()
    for (const signal of signals) process.off(signal, onSignal)
  }

  const onDeadline = () => {
    if (finished) return
    stop()
    flush()
    const at = now()
    const lines = ledger.report(at)
    say(
      "Error",
      `shutdown: the deadline of ${Duration.format(deadline)} passed ${Math.round(at - signalled!.at)} ms after ${signalled!.signal}; ` +
        (lines.length === 0
          ? "nothing scopeguard tracks is releasing, committing or compensating (the hang is in code it does not track)"
          : `still in progress:\n${lines.join("\n")}`)
    )
    end(deadlineExitCode)
  }

  function onSignal(signal: string) {
    if (finished) return
    if (signalled !== undefined) {
      say(
        "Warn",
        `shutdown: ${signal} received again; ${finite ? "still waiting for the deadline" : "still releasing (no deadline)"}`
      )
      return
    }
    signalled = { signal, at: now() }
    say(
      "Info",
      `shutdown: ${signal} received; releasing everything, ${finite ? `deadline ${Duration.format(deadline)}` : "no deadline"}`
    )
    // An infinite deadline sets no timer; one above 2³¹−1 ms is waited in steps.
    cancelDeadline = Timer.set("deadline", deadline, onDeadline)
    fiber?.interruptUnsafe(fiber.id)
  }

  // Listening first: nothing of the program runs before the signals are ours. A listener that
  // cannot be installed after all is an invalid `signals`, reported as the others.
  for (const [i, signal] of signals.entries()) {
    try {
      process.on(signal, onSignal)
    } catch (error) {
      for (const installed of signals.slice(0, i)) process.off(installed, onSignal)
      clearInterval(keepAlive)
      const invalid = new InvalidOptionsError({
        option: "signals",
        value: options?.signals,
        reason: `contains "${signal}", which cannot be listened to here (${describeError(error)})`
      })
      say("Error", `shutdown: ${invalid.message}`)
      return end(2)
    }
  }

  const onExit = (exit: Exit.Exit<unknown, unknown>) => {
    if (finished) return
    stop()
    flush()
    // Without a `log`, `Runtime.makeRunMain` has reported the failure through the logger.
    if (checked.log !== undefined && Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)) {
      say("Error", Cause.pretty(exit.cause))
    }
    if (signalled !== undefined) {
      say("Info", `shutdown: complete in ${Math.round(now() - signalled.at)} ms`)
    }
    // 0 on success or interruption alone (a shutdown asked for by a signal is a clean end;
    // Effect 4's default teardown would say 130), otherwise the failure's exit code (1).
    if (Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause)) return end(0)
    Runtime.defaultTeardown(exit, end)
  }

  // Effect's runMain: runs the program and reports a failure with `Effect.logError(cause)` —
  // `[cause]` chains included — unless `log` is given.
  Runtime.makeRunMain(({ fiber: started }) => {
    fiber = started
    // A signal emitted while the program's first steps ran synchronously.
    if (signalled !== undefined) started.interruptUnsafe(started.id)
    started.addObserver(onExit)
  })(Tracking.withTracker(program, ledger.tracker), {
    disableErrorReporting: checked.log !== undefined
  })
}
