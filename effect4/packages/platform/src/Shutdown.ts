/**
 * A `runMain` with a graceful-shutdown deadline.
 *
 * Effect 4 has none: on `SIGTERM` the main fiber is interrupted and its scopes close, and a
 * finalizer that hangs hangs the process forever. `Shutdown.runMain` runs the program as
 * `NodeRuntime.runMain` does (it is built on effect's `Runtime.makeRunMain`: Effect's logger,
 * a failure reported with `Effect.logError(cause)`, `[cause]` chains included, the process
 * kept alive while the program runs), and on `SIGTERM` or
 * `SIGINT` interrupts it — every layer and scope closes in reverse order — and starts the
 * deadline. Each tracked `Resource` and `Guard` released during the shutdown gets a line. If
 * everything is released in time the process exits with 0 (1 if the program failed; not
 * 130 as `NodeRuntime.runMain` says for an interruption: a shutdown asked for is a clean end). If the
 * deadline passes first, it prints **which resources and guards are still releasing,
 * committing or compensating, by label and for how long**, and exits with `deadlineExitCode`
 * (124).
 *
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Resource } from "@scopeguard/core"
 * import { Shutdown } from "@scopeguard/platform"
 *
 * const Database = Layer.effectDiscard(
 *   Resource.make(Effect.log("open"), () => Effect.log("close"), { label: "database" })
 * )
 * Shutdown.runMain(Layer.launch(Database), { deadline: "5 seconds", log: console.log })
 * // open                       (through Effect's logger: the program's own lines)
 * // on SIGTERM, through `log`:
 * // shutdown: SIGTERM received; releasing everything, deadline 5s
 * // close
 * // shutdown: released resource "database" (#1) in 2 ms
 * // shutdown: complete in 3 ms
 * ```
 *
 * What it prints, line by line (each through `log`, or by default through Effect's logger —
 * as `NodeRuntime.runMain` leaves it — at the level in parentheses):
 *
 * - `shutdown: SIGTERM received; releasing everything, deadline 5s` (Info); `no deadline` for
 *   an infinite one. A second signal: `shutdown: SIGINT received again; still waiting for the
 *   deadline` (Warn).
 * - `shutdown: released resource "http" (#3) in 556 ms` (Info), when a tracked entry whose
 *   release ran during the shutdown has settled (its release ended, failed — the failure is
 *   reported with the program's — or was abandoned by its `releaseTimeout`); `released guard …`
 *   for a guard's cleanup, `compensated guard …` for the compensation of a failed
 *   `Guard.commit`. Nothing for what was released before the signal, or disarmed, or committed.
 * - `shutdown: complete in 572 ms` (Info), then the exit.
 * - Past the deadline (Error): `shutdown: the deadline of 1s passed 1000 ms after SIGTERM;
 *   still in progress:` and one line per entry, in the order they started:
 *   `  resource "worker" (#2) releasing for 986 ms`, `  guard "charge" (#9) committing for
 *   1000 ms`, `  guard "refund" (#8) compensating for 20 ms`; or, if none is, that the hang is
 *   in code scopeguard does not track.
 * - The program's failure (Error), without a `log` as `NodeRuntime.runMain` reports it (the
 *   logger's own format), with a `log` as `Cause.pretty(cause)` (which includes `[cause]`).
 * - Invalid options: `shutdown: Invalid option deadlineExitCode: NaN is not an exit code …`
 *   (Error), one line per invalid option (`InvalidOptionsError.message`), then exit code 2;
 *   the program is not started and no signal is listened to.
 *
 * Only what scopeguard tracks can be named (`Resource`, `Guard`, and what is adopted with
 * `Resource.fromScoped`); wrap a release you want named in a `Resource`.
 *
 * `log` and `exit` are called safely: a `log` that throws loses its line and nothing else
 * (the releases run, the exit code is right); an `exit` that throws is reported and ignored.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as internal from "./internal/shutdown.js"

/**
 * The name of a signal that can start a shutdown: a POSIX signal name Node can listen to
 * (SIGKILL and SIGSTOP cannot be caught). Declared here, not as `NodeJS.Signals`, so that the
 * declarations need no `@types/node`. Which names exist depends on the platform
 * (`os.constants.signals`); one that does not is refused when `runMain` starts.
 *
 * @example
 * ```ts
 * import { Shutdown } from "@scopeguard/platform"
 *
 * const signals: ReadonlyArray<Shutdown.Signal> = ["SIGTERM", "SIGINT", "SIGHUP"]
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Signal =
  | "SIGABRT"
  | "SIGALRM"
  | "SIGBREAK"
  | "SIGBUS"
  | "SIGCHLD"
  | "SIGCONT"
  | "SIGFPE"
  | "SIGHUP"
  | "SIGILL"
  | "SIGINFO"
  | "SIGINT"
  | "SIGIO"
  | "SIGIOT"
  | "SIGLOST"
  | "SIGPIPE"
  | "SIGPOLL"
  | "SIGPROF"
  | "SIGPWR"
  | "SIGQUIT"
  | "SIGSEGV"
  | "SIGSTKFLT"
  | "SIGSYS"
  | "SIGTERM"
  | "SIGTRAP"
  | "SIGTSTP"
  | "SIGTTIN"
  | "SIGTTOU"
  | "SIGUNUSED"
  | "SIGURG"
  | "SIGUSR1"
  | "SIGUSR2"
  | "SIGVTALRM"
  | "SIGWINCH"
  | "SIGXCPU"
  | "SIGXFSZ"

/**
 * The options of `runMain`. Every one is checked before anything starts: an invalid one is
 * reported as `shutdown: <InvalidOptionsError message>` (through `log` if that one is valid,
 * otherwise Effect's logger) and the process exits with 2 (through `exit` if that one is
 * valid, otherwise `process.exit`), without starting the program.
 *
 * @example
 * ```ts
 * import { Shutdown } from "@scopeguard/platform"
 *
 * const options: Shutdown.Options = {
 *   deadline: "30 seconds",
 *   signals: ["SIGTERM"],
 *   deadlineExitCode: 124,
 *   log: (line) => console.error(`[api] ${line}`)
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * How long releasing everything may take after the signal. Default: 10 seconds. Any
   * duration, even above 2³¹−1 ms (`"30 days"`); an infinite one (`Infinity`,
   * `Duration.infinity`) means no deadline. Refused: `NaN`, negatives, unreadable strings.
   */
  readonly deadline?: Duration.Input | undefined
  /**
   * The signals that start a shutdown: a non-empty array of signal names this platform has
   * (`os.constants.signals`), neither SIGKILL nor SIGSTOP. Default: `SIGTERM` and `SIGINT`.
   */
  readonly signals?: ReadonlyArray<Signal> | undefined
  /** The exit code when the deadline passes: an integer from 0 to 255. Default: 124 (as `timeout(1)`). */
  readonly deadlineExitCode?: number | undefined
  /**
   * Where the shutdown's own lines and the program's failure go, one string each. Default:
   * Effect's logger, as `NodeRuntime.runMain` reports a failure (with the level of each line). A `log` that throws loses that line and nothing else.
   */
  readonly log?: ((line: string) => void) | undefined
  /** How to end the process. Default: `process.exit`. One that throws is reported and ignored. */
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
