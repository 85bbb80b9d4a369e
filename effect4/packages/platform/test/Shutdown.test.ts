/**
 * `Shutdown.runMain`, in this process (a signal nobody else listens to, emitted with
 * `process.emit`; `log` and `exit` captured) and as the main program of a real process (real
 * signals, Effect's logger on stdout, `process.exit`). Real time throughout: `runMain` runs the
 * program on the default runtime, as a user's main does.
 */
import { HttpServerError } from "effect/http"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, type Scope } from "effect"
import { spawn } from "node:child_process"
import { createServer, type Server } from "node:net"
import { fileURLToPath } from "node:url"
import { Guard, InvalidOptionsError, Resource, type Tracking } from "@scopeguard/core"
import { Shutdown } from "@scopeguard/platform"
import { Ledger } from "../src/internal/shutdown.js"

/** The one signal these tests listen to: nothing else in the test process does. */
const SIGNAL = "SIGUSR2"
const signal = Effect.sync(() => void process.emit(SIGNAL, SIGNAL))

/** Durations vary from run to run; everything else is compared exactly. */
const normal = (line: string) => line.replace(/\d+ ms/g, "N ms")

/**
 * Runs `program` under `Shutdown.runMain` listening to SIGUSR2, with every line of `log` and
 * the exit code captured. `done` completes when the program has ended (whatever the exit).
 */
const start = (program: Effect.Effect<unknown, unknown>, options: Shutdown.Options = {}) =>
  Effect.gen(function* () {
    const exited = yield* Deferred.make<number>()
    const ended = yield* Deferred.make<void>()
    const lines: Array<string> = []
    Shutdown.runMain(Effect.ensuring(program, Deferred.succeed(ended, undefined)), {
      signals: [SIGNAL],
      log: (line) => void lines.push(line),
      exit: (code) => Deferred.doneUnsafe(exited, Exit.succeed(code)),
      ...options
    })
    return { lines, exited: Deferred.await(exited), ended: Deferred.await(ended) }
  })

/** A program holding `make`'s resources until it is interrupted; `ready` gets their ids. */
const holding = (
  ready: Deferred.Deferred<ReadonlyArray<number>>,
  make: Effect.Effect<ReadonlyArray<{ readonly id: number }>, never, Scope.Scope>
): Effect.Effect<never> =>
  Effect.scoped(
    Effect.gen(function* () {
      const held = yield* make
      yield* Deferred.succeed(
        ready,
        held.map((h) => h.id)
      )
      return yield* Effect.never
    })
  )

describe("Shutdown.runMain: the deadline", () => {
  it.live(
    "30 days or Infinity is not clamped to 1 ms: a release of 100 ms completes and the exit is 0",
    () =>
      Effect.gen(function* () {
        const results = []
        for (const deadline of ["30 days", Infinity] as const) {
          const ready = yield* Deferred.make<ReadonlyArray<number>>()
          const run = yield* start(
            holding(
              ready,
              Effect.all([
                Resource.make(Effect.void, () => Effect.sleep("100 millis"), { label: "slow" })
              ])
            ),
            { deadline }
          )
          const [id] = yield* Deferred.await(ready)
          yield* signal
          const code = yield* run.exited
          results.push({ code, lines: run.lines.map(normal) })
          expect(results.at(-1)).toEqual({
            code: 0,
            lines: [
              `shutdown: SIGUSR2 received; releasing everything, ${deadline === Infinity ? "no deadline" : "deadline 30d"}`,
              `shutdown: released resource "slow" (#${id}) in N ms`,
              "shutdown: complete in N ms"
            ]
          })
        }
      }),
    30_000
  )

  it.live(
    "past the deadline the report names every entry in progress — kind, label, id, what, how long — and the exit is 124",
    () =>
      Effect.gen(function* () {
        const ready = yield* Deferred.make<ReadonlyArray<number>>()
        const gate = yield* Deferred.make<void>()
        const run = yield* start(
          holding(
            ready,
            Effect.gen(function* () {
              const refund = yield* Guard.make(Deferred.await(gate), { label: "refund" })
              // Released first (registered last): its release runs the guard, which hangs.
              const worker = yield* Resource.make(Effect.void, () => Guard.runNow(refund), {
                label: "worker"
              })
              const cache = yield* Resource.make(Effect.void, () => Effect.void, { label: "cache" })
              return [refund, worker, cache]
            })
          ),
          { deadline: "200 millis" }
        )
        const [refund, worker, cache] = yield* Deferred.await(ready)
        yield* signal
        const code = yield* run.exited
        const atDeadline = run.lines.map(normal)
        // Once the hang ends, nothing more is printed or exited.
        yield* Deferred.succeed(gate, undefined)
        yield* run.ended
        expect({ code, atDeadline, after: run.lines.map(normal) }).toEqual({
          code: 124,
          atDeadline: [
            "shutdown: SIGUSR2 received; releasing everything, deadline 200ms",
            `shutdown: released resource "cache" (#${cache}) in N ms`,
            "shutdown: the deadline of 200ms passed N ms after SIGUSR2; still in progress:\n" +
              `  resource "worker" (#${worker}) releasing for N ms\n` +
              `  guard "refund" (#${refund}) releasing for N ms`
          ],
          after: atDeadline
        })
      }),
    30_000
  )

  it.live(
    "past the deadline with nothing tracked in progress, the report says so",
    () =>
      Effect.gen(function* () {
        const ready = yield* Deferred.make<ReadonlyArray<number>>()
        const gate = yield* Deferred.make<void>()
        const run = yield* start(
          holding(
            ready,
            Effect.as(
              Effect.addFinalizer(() => Deferred.await(gate)),
              []
            )
          ),
          { deadline: "100 millis", deadlineExitCode: 3 }
        )
        yield* Deferred.await(ready)
        yield* signal
        const code = yield* run.exited
        yield* Deferred.succeed(gate, undefined)
        expect({ code, lines: run.lines.map(normal) }).toEqual({
          code: 3,
          lines: [
            "shutdown: SIGUSR2 received; releasing everything, deadline 100ms",
            "shutdown: the deadline of 100ms passed N ms after SIGUSR2; nothing scopeguard tracks is releasing, committing or compensating (the hang is in code it does not track)"
          ]
        })
      }),
    30_000
  )
})

describe("Shutdown.runMain: guards mid-commit and compensations", () => {
  it.live(
    "past the deadline a guard whose commit is running is named committing, a compensation of a failed commit compensating",
    () =>
      Effect.gen(function* () {
        const report = (
          make: (
            ready: Deferred.Deferred<ReadonlyArray<number>>,
            gate: Deferred.Deferred<void>
          ) => Effect.Effect<unknown, unknown, never>
        ) =>
          Effect.gen(function* () {
            const ready = yield* Deferred.make<ReadonlyArray<number>>()
            const gate = yield* Deferred.make<void>()
            const run = yield* start(make(ready, gate), { deadline: "200 millis" })
            const [id] = yield* Deferred.await(ready)
            yield* signal
            const code = yield* run.exited
            yield* Deferred.succeed(gate, undefined)
            yield* run.ended
            return { id, code, report: normal(run.lines.at(-1)!).split("\n").slice(1) }
          })
        // The commit's action cannot be interrupted and waits for the gate.
        const committing = yield* report((ready, gate) =>
          Effect.scoped(
            Effect.gen(function* () {
              const charge = yield* Guard.make(Effect.void, { label: "charge" })
              yield* Guard.commit(
                charge,
                Effect.uninterruptible(
                  Effect.andThen(Deferred.succeed(ready, [charge.id]), Deferred.await(gate))
                )
              )
            })
          )
        )
        // The commit's action is interrupted: the compensation runs, and waits for the gate.
        const compensating = yield* report((ready, gate) =>
          Effect.scoped(
            Effect.gen(function* () {
              const refund = yield* Guard.step(Effect.void, () => Deferred.await(gate), {
                label: "refund"
              })
              yield* Guard.commit(
                refund,
                Effect.andThen(Deferred.succeed(ready, [refund.id]), Effect.never)
              )
            })
          )
        )
        expect({ committing, compensating }).toEqual({
          committing: {
            id: committing.id,
            code: 124,
            report: [`  guard "charge" (#${committing.id}) committing for N ms`]
          },
          compensating: {
            id: compensating.id,
            code: 124,
            report: [`  guard "refund" (#${compensating.id}) compensating for N ms`]
          }
        })
      }),
    30_000
  )
})

describe("Shutdown.runMain: what it prints is what the library does", () => {
  it.live(
    "each tracked entry released during the shutdown gets a line, in the order they settle; nothing before the signal",
    () =>
      Effect.gen(function* () {
        const ready = yield* Deferred.make<ReadonlyArray<number>>()
        const run = yield* start(
          holding(
            ready,
            Effect.gen(function* () {
              const database = yield* Resource.make(Effect.void, () => Effect.sleep("20 millis"), {
                label: "database"
              })
              const early = yield* Resource.make(Effect.void, () => Effect.void, { label: "early" })
              yield* Resource.close(early)
              const rollback = yield* Guard.onFailure(Effect.void, { label: "rollback" })
              const disarmed = yield* Guard.make(Effect.void, { label: "disarmed" })
              const server = yield* Resource.make(Effect.void, () => Guard.disarm(disarmed), {
                label: "server"
              })
              return [database, rollback, server]
            })
          )
        )
        const [database, rollback, server] = yield* Deferred.await(ready)
        yield* signal
        const code = yield* run.exited
        expect({ code, lines: run.lines.map(normal) }).toEqual({
          code: 0,
          lines: [
            "shutdown: SIGUSR2 received; releasing everything, deadline 10s",
            `shutdown: released resource "server" (#${server}) in N ms`,
            `shutdown: released guard "rollback" (#${rollback}) in N ms`,
            `shutdown: released resource "database" (#${database}) in N ms`,
            "shutdown: complete in N ms"
          ]
        })
      }),
    30_000
  )

  it.live(
    "a second signal is told, and changes nothing",
    () =>
      Effect.gen(function* () {
        const ready = yield* Deferred.make<ReadonlyArray<number>>()
        const gate = yield* Deferred.make<void>()
        const run = yield* start(
          holding(
            ready,
            Effect.all([Resource.make(Effect.void, () => Deferred.await(gate), { label: "slow" })])
          ),
          { deadline: "1 hour" }
        )
        const [id] = yield* Deferred.await(ready)
        yield* signal
        yield* signal
        yield* Deferred.succeed(gate, undefined)
        const code = yield* run.exited
        expect({ code, lines: run.lines.map(normal) }).toEqual({
          code: 0,
          lines: [
            "shutdown: SIGUSR2 received; releasing everything, deadline 1h",
            "shutdown: SIGUSR2 received again; still waiting for the deadline",
            `shutdown: released resource "slow" (#${id}) in N ms`,
            "shutdown: complete in N ms"
          ]
        })
      }),
    30_000
  )
})

describe("Shutdown.runMain: the program's failure", () => {
  /** The lines of a pretty cause that name an error: the message and each `[cause]`. */
  const errorsIn = (report: string) =>
    report
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => /^(\[cause\]: )?\w*Error:( |$)/.test(line))

  it.live(
    "is reported with its [cause] chain (a port in use says EADDRINUSE); exit 1",
    () =>
      Effect.gen(function* () {
        const listen = new Error("listen EADDRINUSE: address already in use 127.0.0.1:8080")
        const run = yield* start(Effect.fail(new HttpServerError.ServeError({ cause: listen })))
        const code = yield* run.exited
        expect({ code, errors: run.lines.map(errorsIn) }).toEqual({
          code: 1,
          // Effect 4's ServeError has an empty message: its name, then the cause chain.
          errors: [
            [
              "ServeError:",
              "[cause]: Error: listen EADDRINUSE: address already in use 127.0.0.1:8080"
            ]
          ]
        })
      }),
    30_000
  )

  it.live(
    "a release that dies during the shutdown is reported; exit 1",
    () =>
      Effect.gen(function* () {
        const ready = yield* Deferred.make<ReadonlyArray<number>>()
        const run = yield* start(
          holding(
            ready,
            Effect.all([
              Resource.make(Effect.void, () => Effect.die(new Error("disk gone")), {
                label: "disk"
              })
            ])
          )
        )
        const [id] = yield* Deferred.await(ready)
        yield* signal
        const code = yield* run.exited
        expect({
          code,
          lines: run.lines.map((line) =>
            line.startsWith("shutdown:") ? normal(line) : errorsIn(line)
          )
        }).toEqual({
          code: 1,
          lines: [
            "shutdown: SIGUSR2 received; releasing everything, deadline 10s",
            `shutdown: released resource "disk" (#${id}) in N ms`,
            ["Error: disk gone"],
            "shutdown: complete in N ms"
          ]
        })
      }),
    30_000
  )

  it.live(
    "without a signal: success exits 0, a failure 1, an interruption alone 0",
    () =>
      Effect.gen(function* () {
        const codes = []
        for (const program of [Effect.void, Effect.fail("no"), Effect.interrupt]) {
          const run = yield* start(program as Effect.Effect<unknown, unknown>)
          codes.push({ code: yield* run.exited, lines: run.lines.map(errorsIn) })
        }
        expect(codes).toEqual([
          { code: 0, lines: [] },
          { code: 1, lines: [["Error: no"]] },
          { code: 0, lines: [] }
        ])
      }),
    30_000
  )
})

describe("Shutdown.runMain: log and exit are user code", () => {
  it.live(
    "a log that throws loses its lines and nothing else: the releases run, exit 0",
    () =>
      Effect.gen(function* () {
        const ready = yield* Deferred.make<ReadonlyArray<number>>()
        const attempted: Array<string> = []
        const released: Array<string> = []
        const run = yield* start(
          holding(
            ready,
            Effect.all([
              Resource.make(Effect.void, () => Effect.sync(() => void released.push("a")), {
                label: "a"
              }),
              Resource.make(Effect.void, () => Effect.sync(() => void released.push("b")), {
                label: "b"
              })
            ])
          ),
          {
            log: (line) => {
              attempted.push(line)
              throw new Error("log is down")
            }
          }
        )
        const [a, b] = yield* Deferred.await(ready)
        yield* signal
        const code = yield* run.exited
        expect({ code, released, attempted: attempted.map(normal) }).toEqual({
          code: 0,
          released: ["b", "a"],
          attempted: [
            "shutdown: SIGUSR2 received; releasing everything, deadline 10s",
            `shutdown: released resource "b" (#${b}) in N ms`,
            `shutdown: released resource "a" (#${a}) in N ms`,
            "shutdown: complete in N ms"
          ]
        })
      }),
    30_000
  )

  it.live(
    "a log that throws at the deadline still exits with the deadline's code",
    () =>
      Effect.gen(function* () {
        const ready = yield* Deferred.make<ReadonlyArray<number>>()
        const gate = yield* Deferred.make<void>()
        let attempts = 0
        const run = yield* start(
          holding(
            ready,
            Effect.all([Resource.make(Effect.void, () => Deferred.await(gate), { label: "stuck" })])
          ),
          {
            deadline: "100 millis",
            log: () => {
              attempts++
              throw new Error("log is down")
            }
          }
        )
        yield* Deferred.await(ready)
        yield* signal
        const code = yield* run.exited
        yield* Deferred.succeed(gate, undefined)
        expect({ code, attempts }).toEqual({ code: 124, attempts: 2 })
      }),
    30_000
  )

  it.live(
    "an exit that throws is reported through log and ignored",
    () =>
      Effect.gen(function* () {
        const exited = yield* Deferred.make<number>()
        const lines: Array<string> = []
        Shutdown.runMain(Effect.void, {
          signals: [SIGNAL],
          log: (line) => void lines.push(line),
          exit: (code) => {
            Deferred.doneUnsafe(exited, Exit.succeed(code))
            throw new Error("exit is down")
          }
        })
        const code = yield* Deferred.await(exited)
        expect({ code, lines }).toEqual({
          code: 0,
          lines: ["shutdown: exit(0) threw Error: exit is down"]
        })
      }),
    30_000
  )
})

describe("Shutdown.runMain: every option is checked before anything starts", () => {
  const invalid = (option: string, value: unknown, reason: string) =>
    `shutdown: ${new InvalidOptionsError({ option, value, reason }).message}`
  const notSignal = (name: string) =>
    `contains "${name}", which is not a signal of this platform (os.constants.signals)`
  const uncatchable = (name: string) =>
    `contains "${name}", which cannot be listened to (SIGKILL and SIGSTOP cannot be caught)`
  const exitCode = "is not an exit code (an integer from 0 to 255)"
  const duration = InvalidOptionsError.durationReason

  const cases: ReadonlyArray<readonly [Record<string, unknown>, ReadonlyArray<string>]> = [
    [{ signals: ["SIGKILL"] }, [invalid("signals", ["SIGKILL"], uncatchable("SIGKILL"))]],
    [
      { signals: ["SIGTERM", "SIGSTOP"] },
      [invalid("signals", ["SIGTERM", "SIGSTOP"], uncatchable("SIGSTOP"))]
    ],
    [{ signals: ["SIGTREM"] }, [invalid("signals", ["SIGTREM"], notSignal("SIGTREM"))]],
    [
      { signals: [15] },
      [
        invalid(
          "signals",
          [15],
          "contains 15, which is not a signal of this platform (os.constants.signals)"
        )
      ]
    ],
    [{ signals: [] }, [invalid("signals", [], "is empty: no signal would start the shutdown")]],
    [{ signals: "SIGTERM" }, [invalid("signals", "SIGTERM", "is not an array of signal names")]],
    ...[Number.NaN, 256, -1, 1.5, "124"].map(
      (value) =>
        [{ deadlineExitCode: value }, [invalid("deadlineExitCode", value, exitCode)]] as const
    ),
    ...[[Number.NaN, 0], [1, -5], "5s", -1, Number.NaN].map(
      (value) => [{ deadline: value }, [invalid("deadline", value, duration)]] as const
    ),
    [
      { deadline: "5s", deadlineExitCode: Number.NaN, signals: ["SIGKILL"] },
      [
        invalid("deadline", "5s", duration),
        invalid("signals", ["SIGKILL"], uncatchable("SIGKILL")),
        invalid("deadlineExitCode", Number.NaN, exitCode)
      ]
    ]
  ]

  it.live(
    "an invalid signals, deadlineExitCode or deadline: one line per invalid option, exit 2, nothing started or listened to",
    () =>
      Effect.gen(function* () {
        const listeners = () =>
          ["SIGUSR2", "SIGTERM", "SIGINT", "SIGKILL", "SIGSTOP"].map((name) =>
            process.listenerCount(name)
          )
        const before = listeners()
        const results = []
        for (const [options] of cases) {
          let started = false
          const exited = yield* Deferred.make<number>()
          const lines: Array<string> = []
          Shutdown.runMain(
            Effect.sync(() => {
              started = true
            }),
            {
              log: (line) => void lines.push(line),
              exit: (code) => Deferred.doneUnsafe(exited, Exit.succeed(code)),
              ...(options as Shutdown.Options)
            }
          )
          results.push({ options, code: yield* Deferred.await(exited), lines, started })
        }
        expect({ results, listeners: listeners() }).toEqual({
          results: cases.map(([options, lines]) => ({ options, code: 2, lines, started: false })),
          listeners: before
        })
      }),
    30_000
  )
})

describe("Shutdown's ledger: what the tracker tells, and what the report names", () => {
  const entry = (kind: "resource" | "guard", id: number, label: string): Tracking.Entry => ({
    kind,
    id,
    label
  })

  it("committing, then settled: a commit (no line); releasing while committing: a compensation", () => {
    let clock = 0
    const done: Array<string> = []
    const ledger = new Ledger(
      () => clock,
      (busy, millis) => void done.push(`${busy.doing} ${busy.entry.label} ${millis}`)
    )
    const charge = entry("guard", 1, "charge")
    const refund = entry("guard", 2, "refund")
    const worker = entry("resource", 3, "worker")
    const tracker = ledger.tracker
    tracker.opened(charge)
    tracker.opened(refund)
    tracker.opened(worker)
    tracker.committing!(charge)
    clock = 5
    tracker.releasing!(worker)
    clock = 10
    tracker.committing!(refund)
    clock = 20
    // The commit failed: its compensation runs.
    tracker.releasing!(refund)
    const report = ledger.report(100)
    clock = 30
    tracker.settled(charge) // committed
    tracker.settled(refund)
    clock = 40
    tracker.settled(worker)
    expect({ report, done, after: ledger.report(50) }).toEqual({
      report: [
        '  guard "charge" (#1) committing for 100 ms',
        '  resource "worker" (#3) releasing for 95 ms',
        '  guard "refund" (#2) compensating for 80 ms'
      ],
      done: ["compensating refund 10", "releasing worker 35"],
      after: []
    })
  })
})

// ---------------------------------------------------------------------------------------------
// As the main program of a real process.

const root = fileURLToPath(new URL("../../..", import.meta.url))
const fixture = fileURLToPath(new URL("./fixtures/shutdown-main.ts", import.meta.url))

interface Child {
  /** stdout, line by line, with the pretty logger's time and fiber id taken out. */
  readonly lines: Array<string>
  readonly stderr: Array<string>
  /** Waits for a line matching `pattern`. */
  readonly line: (pattern: RegExp) => Promise<void>
  readonly kill: (signal: NodeJS.Signals) => void
  readonly exited: Promise<number | null>
}

/** `[22:29:48.366] INFO (#2): ready` → `INFO: ready`. */
const unstamp = (line: string) => line.replace(/^\[[\d:.]+\] (\w+) \(#\d+\):/, "$1:")

const spawnFixture = (scenario: string, env: Record<string, string> = {}): Child => {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@scopeguard/source", fixture, scenario],
    {
      cwd: root,
      env: { ...process.env, ...env }
    }
  )
  const lines: Array<string> = []
  const stderr: Array<string> = []
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = []
  let buffer = ""
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk
    const parts = buffer.split("\n")
    buffer = parts.pop()!
    for (const line of parts.map(unstamp)) {
      lines.push(line)
      for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    }
  })
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => void stderr.push(chunk))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  return {
    lines,
    stderr,
    line: (pattern) =>
      new Promise<void>((resolve) => {
        if (lines.some((line) => pattern.test(line))) resolve()
        else waiters.push({ pattern, resolve })
      }),
    kill: (signal) => void child.kill(signal),
    exited
  }
}

describe("Shutdown.runMain as the main program of a process", () => {
  it.live(
    "without log: the lines go through Effect's logger; the process stays up on a Deferred until SIGTERM",
    () =>
      Effect.promise(async () => {
        const child = spawnFixture("wait")
        await child.line(/ready/)
        child.kill("SIGTERM")
        const code = await child.exited
        expect({ code, lines: child.lines.map(normal), stderr: child.stderr }).toEqual({
          code: 0,
          lines: [
            "INFO: ready",
            "INFO: shutdown: SIGTERM received; releasing everything, deadline 10s",
            "INFO: closing the database",
            'INFO: shutdown: released resource "database" (#1) in N ms',
            "INFO: shutdown: complete in N ms"
          ],
          stderr: []
        })
      }),
    60_000
  )

  it.live(
    "a port in use: the failure is logged as NodeRuntime.runMain logs it, [cause] EADDRINUSE included; exit 1",
    () =>
      Effect.promise(async () => {
        const taken: Server = createServer()
        await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve))
        const port = (taken.address() as { port: number }).port
        try {
          const child = spawnFixture("port-in-use", { PORT: String(port) })
          const code = await child.exited
          const output = child.lines.map((line) => line.trim())
          expect({
            code,
            first: output[0],
            named: output.filter((line) => /^(\[cause\]: )?\w*Error: /.test(line)),
            stderr: child.stderr
          }).toEqual({
            code: 1,
            // Effect 4's logger: the level and the error's name on the first line (its
            // ServeError has an empty message), then the cause chain.
            first: "ERROR: ServeError:",
            named: [`[cause]: Error: listen EADDRINUSE: address already in use 127.0.0.1:${port}`],
            stderr: []
          })
        } finally {
          taken.close()
        }
      }),
    60_000
  )

  it.live(
    "an invalid log or exit, or options that are not an object: reported through Effect's logger, process.exit(2)",
    () =>
      Effect.promise(async () => {
        const results = []
        for (const scenario of ["invalid-log", "invalid-exit", "invalid-options"]) {
          const child = spawnFixture(scenario)
          results.push({ code: await child.exited, lines: child.lines, stderr: child.stderr })
        }
        expect(results).toEqual([
          {
            code: 2,
            lines: [`ERROR: shutdown: Invalid option log: "console" is not a function`],
            stderr: []
          },
          {
            code: 2,
            lines: [
              "ERROR: shutdown: Invalid option exit: 42 is not a function",
              `ERROR: shutdown: Invalid option deadline: "5s" ${InvalidOptionsError.durationReason}`
            ],
            stderr: []
          },
          {
            code: 2,
            lines: ["ERROR: shutdown: Invalid option options: null is not an object"],
            stderr: []
          }
        ])
      }),
    60_000
  )
})
