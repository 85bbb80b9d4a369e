/**
 * Hangs told at once where the runtime can tell: a run whose fibers are all suspended with
 * nothing of their own pending outside (no timer due before the bound, no I/O, no promise)
 * can never go on, and is reported without waiting for the bound (`report.hangs.stuck`). A
 * run that waits on something the runtime cannot see the end of still waits for it
 * (`report.hangs.timedOut`). Each test asserts on the report (`stuck` verdicts do not wait);
 * with `hangTimeout: "1 hour"`, a hang not told at once would also fail by the test's timeout.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import * as net from "node:net"
import { Interruption } from "@scopeguard/vitest"

/** Interrupted while it works, the program's cleanup runs `cleanup` (uninterruptibly). */
const cleanupOnInterrupt = (cleanup: Effect.Effect<unknown>) =>
  Effect.uninterruptibleMask((restore) =>
    restore(Effect.yieldNow()).pipe(Effect.onInterrupt(() => cleanup))
  )

const hangsOf = (report: Interruption.Report) => ({
  hangs: report.hangs,
  messages: [...new Set(report.failures.map((f) => `${f.kind}: ${f.message}`))]
})

describe("a hang the runtime can tell is found at once", () => {
  it.live(
    "a cleanup that waits for ever (Effect.never: its only timer fires in 24 days)",
    () =>
      Effect.gen(function* () {
        const report = yield* Interruption.explore(cleanupOnInterrupt(Effect.never), {
          mode: "interrupt",
          hangTimeout: "1 hour"
        })
        expect(report.failures.length).toBeGreaterThan(0)
        expect(hangsOf(report)).toEqual({
          hangs: { stuck: report.failures.length, timedOut: 0 },
          messages: ["hang: did not finish within 1h after its interruption"]
        })
        // The text says it too.
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(cleanupOnInterrupt(Effect.never), {
            mode: "interrupt",
            hangTimeout: "1 hour"
          })
        )
        expect(error.message.split("\n")).toContain(
          `note: ${report.failures.length} of the ${report.failures.length} hangs were told at once: no fiber of the run could run again`
        )
      }),
    60_000
  )

  it.live(
    "a cleanup that waits on a Deferred nobody completes, and one a fiber of the run keeps waiting for",
    () =>
      Effect.gen(function* () {
        const program = Effect.gen(function* () {
          const never = yield* Deferred.make<void>()
          const worker = Effect.forkDaemon(Deferred.await(never))
          yield* cleanupOnInterrupt(Effect.flatMap(worker, (fiber) => fiber.await))
        })
        const report = yield* Interruption.explore(program, {
          mode: "interrupt",
          hangTimeout: "1 hour",
          fibers: false
        })
        expect(report.failures.length).toBeGreaterThan(0)
        expect(report.hangs).toEqual({ stuck: report.failures.length, timedOut: 0 })
      }),
    60_000
  )

  it.effect(
    "under it.effect: a cleanup that sleeps on the TestClock, which nothing adjusts",
    () =>
      Effect.gen(function* () {
        // (The TestClock's own warning, a live 5 s timer, is after this bound: not waited for.)
        const report = yield* Interruption.explore(cleanupOnInterrupt(Effect.sleep("1 second")), {
          mode: "interrupt",
          hangTimeout: "4 seconds",
          fibers: false
        })
        expect(report.isolated).toBe(true)
        expect(report.failures.length).toBeGreaterThan(0)
        expect(report.hangs).toEqual({ stuck: report.failures.length, timedOut: 0 })
      }),
    60_000
  )

  it.live(
    "a live timer due before the bound is waited for: the run finishes, no hang",
    () =>
      Effect.gen(function* () {
        const report = yield* Interruption.explore(cleanupOnInterrupt(Effect.sleep("20 millis")), {
          mode: "interrupt",
          hangTimeout: "1 hour"
        })
        expect([report.failures, report.hangs]).toEqual([[], { stuck: 0, timedOut: 0 }])
      }),
    60_000
  )
})

describe("what the runtime cannot see the end of is still bounded by hangTimeout", () => {
  it.live(
    "a cleanup waiting on a socket whose reply comes after the bound",
    () =>
      Effect.gen(function* () {
        // A local server that answers each connection after 300 ms: real I/O in flight.
        const server = net.createServer((socket) => {
          const timer = setTimeout(() => socket.end("done"), 300)
          socket.on("close", () => clearTimeout(timer))
        })
        const port = yield* Effect.async<number>((resume) => {
          server.listen(0, "127.0.0.1", () => {
            resume(Effect.succeed((server.address() as net.AddressInfo).port))
          })
          return Effect.void
        })
        const request = Effect.async<void>((resume) => {
          const socket = net.connect(port, "127.0.0.1")
          socket.on("data", () => {})
          socket.on("close", () => resume(Effect.void))
          socket.on("error", () => resume(Effect.void))
        })
        const report = yield* Interruption.explore(cleanupOnInterrupt(request), {
          mode: "interrupt",
          hangTimeout: "50 millis"
        }).pipe(
          Effect.ensuring(
            Effect.async<void>((resume) => {
              server.close(() => resume(Effect.void))
            })
          )
        )
        expect(report.failures.length).toBeGreaterThan(0)
        expect(hangsOf(report)).toEqual({
          hangs: { stuck: 0, timedOut: report.failures.length },
          messages: ["hang: did not finish within 50ms after its interruption"]
        })
      }),
    60_000
  )

  it.live(
    "a cleanup waiting on a promise nothing the runtime sees will settle",
    () =>
      Effect.gen(function* () {
        let settle: () => void = () => {}
        const pending = Effect.promise(() => new Promise<void>((resolve) => (settle = resolve)))
        const report = yield* Interruption.explore(cleanupOnInterrupt(pending), {
          mode: "interrupt",
          hangTimeout: "50 millis"
        })
        settle()
        expect(report.failures.length).toBeGreaterThan(0)
        expect(report.hangs).toEqual({ stuck: 0, timedOut: report.failures.length })
      }),
    60_000
  )
})

describe("the event loop", () => {
  it.live(
    "an exploration longer than a second lets it turn: a timer set before it fires during it",
    () =>
      Effect.gen(function* () {
        // Regression: an exploration was one chain of promise reactions, keeping the process
        // from Node's poll phase and timers for as long as it lasted (under vitest 3 a worker
        // kept from it for 60 s fails the run: "Timeout calling onTaskUpdate").
        let fired = false
        let seenDuring = false
        setTimeout(() => {
          fired = true
        }, 0)
        const started = performance.now()
        const program = Effect.gen(function* () {
          for (let i = 0; i < 1000; i++) yield* Effect.yieldNow()
        })
        const report = yield* Interruption.explore(program, {
          mode: "interrupt",
          progress: false,
          reduce: false,
          check: () =>
            Effect.sync(() => {
              if (fired && performance.now() - started < 60_000) seenDuring = true
            })
        })
        // Long enough to need a breath (the bound is 1 s); the timer fired while it ran.
        // Every step run (reduce: false): 2,014 points (the two dry runs not counted).
        expect([report.steps, report.runs]).toEqual([2014, 2014])
        expect(seenDuring).toBe(true)
      }),
    120_000
  )
})
