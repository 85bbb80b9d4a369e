/**
 * The explorer's rules (packages/vitest/README.md, "Rules"): what its options accept, how
 * its real-time bounds are set, what a check may do, when a dying program fails, and how a
 * fiber left running is named.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option } from "effect"
import { InvalidOptionsError, Resource } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"

/** A program that waits `millis` of real time: a run that takes longer than 1 ms. */
const takesMillis = (millis: number) =>
  Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, millis)))

describe("hangTimeout is a real timer without Node's 1 ms clamp", () => {
  it.effect(
    '"30 days" and Infinity do not turn every run into a hang',
    () =>
      Effect.gen(function* () {
        // setTimeout clamps a delay above 2^31-1 ms to 1 ms: a run that takes 20 ms would hang.
        const results: Array<unknown> = []
        for (const hangTimeout of ["30 days", Infinity, 2 ** 31] as const) {
          const replay = yield* Interruption.runAt(takesMillis(20), 0, {
            mode: "interrupt",
            hangTimeout
          })
          const report = yield* Interruption.explore(takesMillis(20), {
            mode: "interrupt",
            hangTimeout
          })
          results.push([hangTimeout, replay.failures, report.failures])
        }
        expect(results).toEqual([
          ["30 days", [], []],
          [Infinity, [], []],
          [2 ** 31, [], []]
        ])
      }),
    120_000
  )
})

describe("a check is user code: bounded, and a throw is a failure", () => {
  it.live(
    "a check that never returns fails its step after hangTimeout, interruptible or not",
    () =>
      Effect.gen(function* () {
        const checks = [() => Effect.never, () => Effect.uninterruptible(Effect.never)]
        const failures: Array<unknown> = []
        for (const check of checks) {
          failures.push(
            (yield* Interruption.runAt(Effect.void, 0, {
              mode: "interrupt",
              check,
              hangTimeout: 200
            })).failures
          )
        }
        const expected = [
          {
            mode: "interrupt",
            target: "root",
            step: 0,
            kind: "check",
            message: "the check did not return within 200ms",
            schedule: "",
            reach: "uninterrupted"
          }
        ]
        expect(failures).toEqual([expected, expected])
        // assertEveryStep too: every point's check fails, and the exploration ends.
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(Effect.void, {
            mode: "interrupt",
            check: () => Effect.never,
            hangTimeout: 200
          })
        )
        expect(error.report.failures.map((f) => [f.kind, f.message])).toEqual(
          Array.from({ length: error.report.steps + 1 }, () => [
            "check",
            "the check did not return within 200ms"
          ])
        )
      }),
    120_000
  )

  it.effect(
    "a check that throws, returns no Effect or dies fails its step",
    () =>
      Effect.gen(function* () {
        const checks: ReadonlyArray<
          (exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void, unknown>
        > = [
          () => {
            throw new Error("boom")
          },
          (() => 42) as unknown as () => Effect.Effect<void>,
          () => Effect.die(new Error("broken invariant")),
          () => Effect.fail("1 handle(s) left open")
        ]
        const messages: Array<unknown> = []
        for (const check of checks) {
          const replay = yield* Interruption.runAt(Effect.void, 0, { mode: "interrupt", check })
          messages.push(replay.failures.map((f) => [f.kind, f.message]))
        }
        expect(messages).toEqual([
          [["check", "the check threw: boom"]],
          [["check", "the check returned 42, not an Effect"]],
          [["check", "the check died: broken invariant"]],
          [["check", "1 handle(s) left open"]]
        ])
      }),
    120_000
  )
})

describe("a program that dies fails, with or without a check", () => {
  it.effect(
    "a program function that throws when called fails every run",
    () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(
            (): Effect.Effect<void> => {
              throw new Error("no program")
            },
            { mode: "interrupt" }
          )
        )
        // Step 0, and every point after the call: the interrupted runs before it end interrupted.
        expect(error.report.failures[0]).toEqual({
          mode: "interrupt",
          target: "root",
          step: 0,
          kind: "defect",
          message: "the run died: no program",
          schedule: "",
          reach: "uninterrupted"
        })
        expect(
          error.report.failures.every(
            (f) => f.kind === "defect" && f.message === "the run died: no program"
          )
        ).toBe(true)
        // A function that returns something else than an Effect dies the same way.
        const replay = yield* Interruption.runAt(
          (() => 42) as unknown as () => Effect.Effect<void>,
          0,
          { mode: "interrupt" }
        )
        expect(replay.failures.map((f) => [f.kind, f.message])).toEqual([
          ["defect", "the run died: the program function returned 42, not an Effect"]
        ])
      }),
    120_000
  )

  it.effect(
    "an uninterrupted run that dies fails; a typed failure does not",
    () =>
      Effect.gen(function* () {
        const died = yield* Interruption.runAt(Effect.die(new Error("bug")), 0, {
          mode: "interrupt"
        })
        expect(died.failures).toEqual([
          {
            mode: "interrupt",
            target: "root",
            step: 0,
            kind: "defect",
            message: "the run died: bug",
            schedule: "",
            reach: "uninterrupted"
          }
        ])
        const failed = yield* Interruption.runAt(Effect.fail("not found"), 0, { mode: "interrupt" })
        expect(failed.failures).toEqual([])
      }),
    120_000
  )

  it.effect(
    "an interrupted run whose cleanup dies fails at that step; defects: false leaves it to the check",
    () =>
      Effect.gen(function* () {
        // Interrupted during its work, the cleanup dies: a bug only the interrupted runs show.
        const program = Effect.uninterruptibleMask((restore) =>
          restore(Effect.yieldNow()).pipe(
            Effect.onInterrupt(() => Effect.die(new Error("cleanup broke")))
          )
        )
        // reduce: false: the check below sees every run's exit.
        const report = yield* Interruption.explore(program, { mode: "interrupt", reduce: false })
        expect(report.failures.length).toBeGreaterThan(0)
        expect(
          report.failures
            .map((f) => [f.kind, f.message, f.step > 0])
            .every(
              ([kind, message, interrupted]) =>
                kind === "defect" && message === "the run died: cleanup broke" && interrupted
            )
        ).toBe(true)
        // Turned off, only the check judges the exit: it sees the defect and may accept it.
        let died = 0
        const off = yield* Interruption.explore(program, {
          mode: "interrupt",
          reduce: false,
          defects: false,
          check: (exit) =>
            Effect.sync(() => {
              if (Exit.isFailure(exit) && Cause.isDie(exit.cause)) died++
            })
        })
        expect(off.failures).toEqual([])
        expect(died).toBe(report.failures.length)
      }),
    120_000
  )
})

describe("a fiber left running is named", () => {
  it.effect(
    "by its explorer name, its id, who forked it and in which span",
    () =>
      Effect.gen(function* () {
        const program = Effect.asVoid(
          Effect.forkDaemon(Effect.never.pipe(Effect.withSpan("workerLoop"))).pipe(
            Effect.withSpan("startWorker")
          )
        )
        const replay = yield* Interruption.runAt(program, 0, { mode: "interrupt" })
        expect(replay.failures).toHaveLength(1)
        expect(replay.failures[0]!.kind).toBe("fibers")
        expect(replay.failures[0]!.message).toMatch(
          /^1 fiber of the run still running after it ended: fiber 1 \(#\d+, forked by root in startWorker at packages\/vitest\/test\/rules\.test\.ts:\d+:\d+, now in workerLoop at packages\/vitest\/test\/rules\.test\.ts:\d+:\d+\)$/
        )
        // Without spans: who forked it. Consecutive steps with the same fibers and reach form
        // one range, whatever their runtime ids (each run's fiber has an id of its own; with
        // reduce: false each point has a run of its own).
        const report = yield* Interruption.explore(Effect.asVoid(Effect.forkDaemon(Effect.never)), {
          mode: "interrupt",
          reduce: false
        })
        const messages = new Set(report.failures.map((f) => f.message))
        expect(messages.size).toBe(report.failures.length)
        for (const message of messages) {
          expect(message).toMatch(
            /^1 fiber of the run still running after it ended: fiber 1 \(#\d+, forked by root\)$/
          )
        }
        // A range starts wherever the previous step did not fail, or failed with another reach.
        const starts = report.failures.filter((f, i) => {
          const before = report.failures[i - 1]
          return before === undefined || before.step !== f.step - 1 || before.reach !== f.reach
        })
        expect(report.ranges.map((r) => r.from)).toEqual(starts.map((f) => f.step))
        expect(report.ranges.length).toBeLessThan(report.failures.length)
      }),
    120_000
  )

  it.effect(
    "Resource.make with a releaseTimeout leaves no fiber running, under it.effect with isolate: false",
    () =>
      Effect.gen(function* () {
        // The release races the cleanup against a timer fiber sleeping on the TestClock; the
        // loser must be gone when the close returns.
        const program = Effect.scoped(
          Resource.make(Effect.void, () => Effect.void, { releaseTimeout: "1 second" })
        )
        const uninterrupted = yield* Interruption.runAt(program, 0, {
          mode: "interrupt",
          isolate: false
        })
        // Every point Effect's scheduler reaches, on the test's own TestClock.
        const reachable = yield* Interruption.explore(program, { isolate: false, mode: "budget" })
        // Every step, each run on test services of its own: at a few points only the explorer
        // preempts (the timer fiber 1 to 6 operations into its turn, inside TestClock.sleep's
        // bookkeeping), interrupting the timer loses a permit of the TestClock's semaphore
        // (Effect-TS/effect#6910) and that run's clock hangs. Shared (interrupt mode with
        // isolate: false) it would wedge the test's own TestClock, and its teardown with it.
        const every = yield* Interruption.explore(program, { mode: "interrupt" })
        expect({
          uninterrupted: uninterrupted.failures,
          reachable: reachable.failures,
          every: [...new Set(every.failures.map((f) => `${f.kind} (${f.reach})`))]
        }).toEqual({
          uninterrupted: [],
          reachable: [],
          every: every.failures.length === 0 ? [] : ["hang (explorer-only)"]
        })
      }),
    120_000
  )
})

describe("every option is checked when the effect runs", () => {
  const durationReason = InvalidOptionsError.durationReason
  const boolean = "is not a boolean"
  const sampleReason = "is not { runs: a positive integer, seed?: an integer }"
  // [option, a wrong value, the reason]
  const table: ReadonlyArray<readonly [string, unknown, string]> = [
    ["mode", "sometimes", 'is not "all", "interrupt", "yield" or "budget"'],
    ["mode", null, 'is not "all", "interrupt", "yield" or "budget"'],
    ["mode", 1, 'is not "all", "interrupt", "yield" or "budget"'],
    ["target", "child", 'is not "root" or "holder"'],
    ["target", null, 'is not "root" or "holder"'],
    ["budgets", [], "is not a non-empty array of integers of at least 10"],
    ["budgets", [9], "is not a non-empty array of integers of at least 10"],
    ["budgets", [10.5], "is not a non-empty array of integers of at least 10"],
    ["budgets", ["10"], "is not a non-empty array of integers of at least 10"],
    ["budgets", 10, "is not a non-empty array of integers of at least 10"],
    ["budgets", null, "is not a non-empty array of integers of at least 10"],
    ["budget", 9, "is not an integer of at least 10 (smaller budgets livelock the runtime)"],
    ["budget", NaN, "is not an integer of at least 10 (smaller budgets livelock the runtime)"],
    ["budget", "10", "is not an integer of at least 10 (smaller budgets livelock the runtime)"],
    ["budget", null, "is not an integer of at least 10 (smaller budgets livelock the runtime)"],
    ["failOn", "all", 'is not "any" or "reachable"'],
    ["failOn", null, 'is not "any" or "reachable"'],
    ["check", "yes", "is not a function"],
    ["check", null, "is not a function"],
    ["hangTimeout", "1s", durationReason],
    ["hangTimeout", -1, durationReason],
    ["hangTimeout", NaN, durationReason],
    ["hangTimeout", [NaN, 0], durationReason],
    ["hangTimeout", null, durationReason],
    ["hangTimeout", true, durationReason],
    ["leaks", 0, boolean],
    ["leaks", "no", boolean],
    ["leaks", null, boolean],
    ["fibers", "no", boolean],
    ["fibers", 1, boolean],
    ["fibers", null, boolean],
    ["isolate", "yes", boolean],
    ["isolate", 0, boolean],
    ["isolate", null, boolean],
    ["defects", "yes", boolean],
    ["defects", null, boolean],
    ["reduce", "no", boolean],
    ["reduce", 0, boolean],
    ["reduce", null, boolean],
    ["sample", null, sampleReason],
    ["sample", 5, sampleReason],
    ["sample", {}, sampleReason],
    ["sample", { runs: 0 }, sampleReason],
    ["sample", { runs: 1.5 }, sampleReason],
    ["sample", { runs: "5" }, sampleReason],
    ["sample", { runs: 5, seed: 1.5 }, sampleReason],
    ["sample", { runs: 5, seed: "1" }, sampleReason],
    ["sample", { runs: 5, seed: null }, sampleReason]
  ]

  const entryPoints: Record<
    string,
    (program: unknown, options: unknown) => Effect.Effect<unknown, unknown>
  > = {
    explore: (program: unknown, options: unknown) =>
      Interruption.explore(program as Effect.Effect<void>, options as Interruption.Options),
    assertEveryStep: (program: unknown, options: unknown) =>
      Interruption.assertEveryStep(program as Effect.Effect<void>, options as Interruption.Options),
    runAt: (program: unknown, options: unknown) =>
      Interruption.runAt(program as Effect.Effect<void>, 1, options as Interruption.Options)
  }

  it.effect(
    "a wrong value of any option dies with InvalidOptionsError naming it",
    () =>
      Effect.gen(function* () {
        const seen: Array<unknown> = []
        const expected: Array<unknown> = []
        for (const [option, value, reason] of table) {
          for (const [name, run] of Object.entries(entryPoints)) {
            const build = () => run(Effect.void, { [option]: value })
            expect(build).not.toThrow()
            seen.push([name, option, yield* Effect.exit(build())])
            expected.push([
              name,
              option,
              Exit.die(new InvalidOptionsError({ option, value, reason }))
            ])
          }
        }
        expect(seen).toEqual(expected)
      }),
    60_000
  )

  it.effect(
    "the options object itself, the program and the step are checked too",
    () =>
      Effect.gen(function* () {
        const seen: Array<unknown> = []
        const expected: Array<unknown> = []
        for (const [name, run] of Object.entries(entryPoints)) {
          for (const options of [null, 5, "fast"]) {
            seen.push([name, yield* Effect.exit(run(Effect.void, options))])
            expected.push([
              name,
              Exit.die(
                new InvalidOptionsError({
                  option: "options",
                  value: options,
                  reason: "is not an object"
                })
              )
            ])
          }
          for (const program of [null, 5, "program"]) {
            seen.push([name, yield* Effect.exit(run(program, {}))])
            expected.push([
              name,
              Exit.die(
                new InvalidOptionsError({
                  option: "program",
                  value: program,
                  reason: "is not an Effect or a function that returns one"
                })
              )
            ])
          }
        }
        for (const step of [-1, 1.5, NaN, "1", null]) {
          seen.push([
            "runAt",
            yield* Effect.exit(
              Interruption.runAt(Effect.void, step as number, { mode: "interrupt" })
            )
          ])
          expected.push([
            "runAt",
            Exit.die(
              new InvalidOptionsError({
                option: "step",
                value: step,
                reason: "is not a non-negative integer"
              })
            )
          ])
        }
        expect(seen).toEqual(expected)
      }),
    120_000
  )

  it.effect(
    "valid options are accepted, undefined as the default",
    () =>
      Effect.gen(function* () {
        const report = yield* Interruption.explore(Effect.void, {
          mode: undefined,
          target: "root",
          failOn: "reachable",
          leaks: false,
          fibers: true,
          isolate: false,
          defects: true,
          hangTimeout: "1 second",
          sample: { runs: 1, seed: undefined },
          check: undefined
        })
        expect([report.mode, report.target, report.isolated, report.sampled]).toEqual([
          "interrupt",
          "root",
          false,
          { runs: 1, seed: 1 }
        ])
        // reduce: the default (undefined) reduces, false runs every point.
        const reduced = yield* Interruption.explore(Effect.void, {
          mode: "interrupt",
          reduce: undefined
        })
        const full = yield* Interruption.explore(Effect.void, { mode: "interrupt", reduce: false })
        expect([reduced.reduced !== undefined, full.reduced]).toEqual([true, undefined])
        const replay = yield* Interruption.runAt(Effect.void, 0, { mode: "budget", budget: 10 })
        expect(Option.isSome(replay.exit)).toBe(true)
      }),
    120_000
  )
})
