import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import {
  Context,
  Deferred,
  Effect,
  Exit,
  Fiber,
  FiberSet,
  Layer,
  Ref,
  Scheduler,
  Semaphore
} from "effect"
import { InvalidOptionsError } from "@scopeguard/core"
import { Interruption, InterruptionError } from "@scopeguard/vitest"
import { lineOf, timeless } from "./helpers.js"

/** Each fiber appends to the log at each of its steps: the log is the interleaving. */
const makeLog = () => {
  const log: Array<string> = []
  const say = (line: string) =>
    Effect.sync(() => {
      log.push(line)
    })
  return { log, say }
}

class Worker extends Context.Service<Worker, { readonly done: Deferred.Deferred<void> }>()(
  "test/Worker"
) {}

describe("the explorer's scheduler controls every fiber", () => {
  it.effect("forked, daemon, FiberSet and layer-scoped fibers all run under it: zero outside", () =>
    Effect.gen(function* () {
      const { log, say } = makeLog()
      // A layer whose scope forks a worker, which the program waits for.
      const worker = Layer.effect(
        Worker,
        Effect.gen(function* () {
          const done = yield* Deferred.make<void>()
          yield* Effect.forkScoped(
            Effect.andThen(say("layer fiber"), Deferred.succeed(done, undefined))
          )
          return { done }
        })
      )
      const program = () => {
        log.length = 0
        return Effect.scoped(
          Effect.gen(function* () {
            const child = yield* Effect.forkChild(say("child"))
            const gate = yield* Deferred.make<void>()
            yield* Effect.forkDetach(
              Effect.andThen(say("daemon"), Deferred.succeed(gate, undefined))
            )
            const set = yield* FiberSet.make()
            const member = yield* FiberSet.run(set, say("fiber set"))
            yield* Fiber.join(child)
            yield* Deferred.await(gate)
            yield* Fiber.join(member)
            const { done } = yield* Worker
            yield* Deferred.await(done)
          }).pipe(Effect.provide(worker))
        )
      }
      const report = yield* Interruption.explore(program, { mode: "yield" })
      // The counts vary with the layer's and the FiberSet's own scheduling: only the rest is pinned.
      expect(report.passes.map((p) => [p.mode, p.target, p.failures, p.reachable])).toEqual([
        ["yield", "root", 0, 0]
      ])
      expect({ ...timeless(report), steps: 0, runs: 0, unreached: [], passes: [] }).toEqual({
        mode: "yield",
        steps: 0,
        runs: 0,
        passes: [],
        failures: [],
        ranges: [],
        reachable: 0,
        failOn: "reachable",
        deterministic: true,
        unreached: [],
        isolated: true,
        target: "root",
        // Both uninterrupted runs took the same points.
        dryRunSteps: [report.steps, report.steps],
        hangs: { stuck: 0, timedOut: 0 },
        outsideControl: 0,
        fibers: 5,
        // Yield mode: one fiber ready at a time but at 6 points, which only pushed a frame.
        reduced: { points: 70, deferred: 0, continuation: 6, idle: 64, unconfirmed: 0 }
      })
      // One run: each of those fibers ran as a step of the explorer's (the order is Effect's).
      const replayed = yield* Interruption.replay(program, "")
      expect(replayed.exit).toEqual(Exit.void)
      expect([...log].sort()).toEqual(["child", "daemon", "fiber set", "layer fiber"])
    })
  )

  it.effect("a run is a function of its schedule: the same schedule, the same interleaving", () =>
    Effect.gen(function* () {
      const { log, say } = makeLog()
      const program = () => {
        log.length = 0
        const worker = (name: string) =>
          Effect.gen(function* () {
            for (let i = 0; i < 3; i++) yield* say(`${name}${i}`)
          })
        return Effect.gen(function* () {
          const a = yield* Effect.forkChild(worker("a"))
          const b = yield* Effect.forkChild(worker("b"))
          yield* Fiber.join(a)
          yield* Fiber.join(b)
        })
      }
      const plain = yield* Interruption.replay(program, "")
      const plainLog = [...log]
      expect(plainLog).toEqual(["a0", "a1", "a2", "b0", "b1", "b2"])
      // Preempt `a` at each of its points in turn: where `b` runs moves with the point.
      const logs: Array<string> = []
      for (let point = 1; point <= plain.points; point++) {
        const first = yield* Interruption.replay(program, `y${point}`)
        const once = log.join(",")
        const second = yield* Interruption.replay(program, `y${point}`)
        expect(log.join(",")).toBe(once)
        expect(second).toEqual(first)
        logs.push(once)
      }
      expect(new Set(logs).size).toBeGreaterThan(3)
      expect(logs).toContain("a0,b0,b1,b2,a1,a2")
    })
  )
})

/** Two fibers take a permit each and bump a shared counter: the check-then-act race. */
const makeRace = (fixed: boolean) => {
  const state = { value: 0 }
  const program = () =>
    Effect.gen(function* () {
      state.value = 0
      const lock = yield* Semaphore.make(1)
      const ref = yield* Ref.make(0)
      const started = yield* Deferred.make<void>()
      const bump = Effect.gen(function* () {
        const read = yield* Ref.get(ref)
        yield* Deferred.succeed(started, undefined)
        yield* Ref.set(ref, read + 1)
      })
      const guarded = fixed ? lock.withPermits(1)(bump) : bump
      const a = yield* Effect.forkChild(guarded)
      const b = yield* Effect.forkChild(guarded)
      yield* Fiber.join(a)
      yield* Fiber.join(b)
      state.value = yield* Ref.get(ref)
    })
  const check = () =>
    Effect.suspend(() =>
      state.value === 2 ? Effect.void : Effect.fail(`lost an update: ${state.value}`)
    )
  return { program, check }
}

describe("PCT mode: seeded random schedules with priority change points", () => {
  it.effect(
    "finds a Semaphore/Deferred/Ref race with a given seed, shrinks it, and replay reproduces it",
    () =>
      Effect.gen(function* () {
        const { program, check } = makeRace(false)
        // Without preemption the race never shows: each fiber runs to its end.
        expect((yield* Interruption.replay(program, "", { check })).failure).toBeUndefined()
        const report = yield* Interruption.explore(program, {
          mode: "pct",
          seed: 7,
          runs: 50,
          depth: 2,
          check,
          progress: false
        })
        expect(report.failures.length).toBeGreaterThan(0)
        expect(report.outsideControl).toBe(0)
        expect(report.pct?.seed).toBe(7)
        expect(report.pct?.depth).toBe(2)
        expect(report.pct?.perRun).toBe(1 / (report.fibers * report.steps))
        const failure = report.failures[0]!
        expect(failure.kind).toBe("check")
        expect(failure.message).toBe("lost an update: 1")
        // Shrunk: no more preemptions than the schedule found, and at least the one it needs.
        expect(failure.original).toBeDefined()
        expect(failure.schedule.split(" ").length).toBeLessThanOrEqual(
          failure.original!.split(" ").length
        )
        expect(failure.preemptions).toBeGreaterThanOrEqual(1)
        // Replayed: the same failure, exactly, every time.
        for (const schedule of [failure.schedule, failure.original!]) {
          const replayed = yield* Interruption.replay(program, schedule, { check })
          expect(replayed.failure?.message).toBe("lost an update: 1")
          expect(replayed.schedule).toBe(schedule)
        }
        const again = yield* Interruption.explore(program, {
          mode: "pct",
          seed: 7,
          runs: 50,
          check,
          progress: false
        })
        expect(timeless(again)).toEqual(timeless(report))
        // The race's preemptions fall a few operations into a turn (no budget of 10 or more
        // makes them): only failOn "any" fails on them.
        expect(report.reachable).toBe(
          report.failures.filter((f) => f.reach !== "budget" || f.budget! >= 10).length
        )
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(program, {
            mode: "pct",
            seed: 7,
            runs: 50,
            check,
            failOn: "any",
            progress: false
          })
        )
        expect(error).toBeInstanceOf(InterruptionError)
        const at = (anchor: string) => lineOf(import.meta.url, anchor)
        // Each failure names the user's line its first preemption fell at (a fiber's read, its
        // signal, its write; the root's forks).
        expect(error.message).toBe(
          [
            "5 of 50 PCT schedules failed (seed 7, depth 2: each run finds a depth-2 bug with probability ≥ 0.0088, all runs ≥ 0.36):",
            `  run 10 (check, near ${at("yield* Deferred.succeed(started, undefined)")}): lost an update: 1 [replay: "y22", shrunk from 3 decisions]`,
            `  run 21 (check, near ${at("const a = yield* Effect.forkChild(guarded)")}): lost an update: 1 [replay: "y15 y19 s4:1", shrunk from 3 decisions]`,
            `  run 23 (check, near ${at("yield* Ref.set(ref, read + 1)")}): lost an update: 1 [replay: "y23", shrunk from 3 decisions]`,
            `  run 30 (check, near ${at("const a = yield* Effect.forkChild(guarded)")}): lost an update: 1 [replay: "y15 y19 y23 s4:1 s5:1"]`,
            `  run 49 (check, near ${at("const b = yield* Effect.forkChild(guarded)")}): lost an update: 1 [replay: "y17 s2:1 y21 s3:1 s5:1"]`
          ].join("\n")
        )
        expect(error.message).toContain(`[replay: "${failure.schedule}"`)
      }),
    60_000
  )

  it.effect(
    "the fixed version (the Semaphore held across the read and the write) passes every schedule",
    () =>
      Effect.gen(function* () {
        const { program, check } = makeRace(true)
        const report = yield* Interruption.assertEveryStep(program, {
          mode: "pct",
          seed: 7,
          runs: 50,
          check,
          progress: false
        })
        expect(report.failures).toEqual([])
        expect(report.outsideControl).toBe(0)
        const interrupted = yield* Interruption.assertEveryStep(program, {
          check: () => Effect.void
        })
        expect(interrupted.failures).toEqual([])
      }),
    60_000
  )

  it.effect("interrupt mode with the holder as target interrupts the fiber at the point", () =>
    Effect.gen(function* () {
      const { program } = makeRace(true)
      const report = yield* Interruption.explore(program, { target: "holder" })
      expect(report.failures).toEqual([])
      expect(report.runs + report.reduced!.points).toBe(report.steps)
      const full = yield* Interruption.explore(program, { target: "holder", reduce: false })
      expect(full.failures).toEqual([])
      expect(full.runs).toBe(full.steps)
    })
  )

  it.effect("a bad schedule or PCT option dies with InvalidOptionsError when the effect runs", () =>
    Effect.gen(function* () {
      for (const [build, option] of [
        [() => Interruption.replay(Effect.void, "x1"), "schedule"],
        [() => Interruption.replay(Effect.void, 3 as never), "schedule"],
        [() => Interruption.explore(Effect.void, { mode: "pct", runs: 0 }), "runs"],
        [() => Interruption.explore(Effect.void, { mode: "pct", depth: 1.5 }), "depth"],
        [() => Interruption.explore(Effect.void, { seed: "1" as never }), "seed"],
        [() => Interruption.explore(Effect.void, { target: "all" as never }), "target"],
        [() => Interruption.runAt(Effect.void, 1, { mode: "pct" }), "mode"]
      ] as const) {
        expect(build).not.toThrow()
        const exit = yield* Effect.exit(build() as Effect.Effect<unknown>)
        expect(Exit.isFailure(exit) && (exit.cause.reasons[0] as any)?.defect?.option).toBe(option)
      }
    })
  )

  it.effect("a schedule replay cannot follow, or a mode it rules out, dies with its reason", () =>
    Effect.gen(function* () {
      const reasons: Array<[string, unknown, unknown]> = []
      for (const [schedule, options] of [
        // A budget's run takes only turn ends: before, "b12 i3" ran "b12" and dropped i3.
        ["b12 i3", {}],
        ["b12 y3 e1", {}],
        ["b12 b10", {}],
        ["i99999999999999999999", {}],
        ["i3", { mode: "yield" }],
        ["b12 e1", { mode: "interrupt" }],
        ["y3 y9", { mode: "yield" }]
      ] as const) {
        const exit = yield* Effect.exit(
          Interruption.replay(Effect.void, schedule, options as Interruption.Options)
        )
        const defect = Exit.isFailure(exit) ? (exit.cause.reasons[0] as any)?.defect : undefined
        expect(defect).toBeInstanceOf(InvalidOptionsError)
        reasons.push([schedule, defect.option, defect.reason])
      }
      const budget = "a budget mode schedule is bN, then at most one eN or ehN (a turn end)"
      expect(reasons).toEqual([
        ["b12 i3", "schedule", `has "i3" with a budget: ${budget}`],
        ["b12 y3 e1", "schedule", `has "y3" with a budget: ${budget}`],
        ["b12 b10", "schedule", `has two budgets: ${budget}`],
        ["i99999999999999999999", "schedule", "has a number too large to be a point"],
        ["i3", "mode", 'is not a mode that makes the schedule "i3" (interrupt)'],
        ["b12 e1", "mode", 'is not a mode that makes the schedule "b12 e1" (budget)'],
        ["y3 y9", "mode", 'is not a mode that makes the schedule "y3 y9" (exhaustive, pct)']
      ])
    })
  )

  it.effect(
    "in every mode, a failure replayed with its schedule, mode and target comes back the same",
    () =>
      Effect.gen(function* () {
        // Every run fails its check; a child gives the holder passes a fiber of their own.
        const program = Effect.gen(function* () {
          const child = yield* Effect.forkChild(Effect.andThen(Effect.yieldNow, Effect.yieldNow))
          yield* Effect.yieldNow
          yield* Fiber.join(child)
        })
        const check = () => Effect.fail("always")
        // A replayed run is run 0, and carries no preemption count.
        const same = (f: Interruption.Failure) => ({
          kind: f.kind,
          message: f.message,
          mode: f.mode,
          target: f.target,
          reach: f.reach,
          budget: f.budget,
          fiber: f.fiber,
          schedule: f.schedule
        })
        const passes: Array<string> = []
        for (const options of [
          { mode: "interrupt", target: "root" },
          { mode: "interrupt", target: "holder" },
          { mode: "yield", target: "root" },
          { mode: "yield", target: "holder" },
          { mode: "budget", target: "root", budgets: [10, 12] },
          { mode: "budget", target: "holder", budgets: [10, 12] },
          { mode: "pct", target: "root", runs: 5, shrink: false },
          { mode: "exhaustive", target: "root", preemptions: 2, shrink: false }
        ] as const) {
          const { failures } = yield* Interruption.explore(program, { ...options, check })
          expect(failures.length).toBeGreaterThan(1)
          for (const f of [failures[0]!, failures[failures.length >> 1]!, failures.at(-1)!]) {
            const replayed = yield* Interruption.replay(program, f.schedule, {
              mode: f.mode,
              target: f.target,
              check
            })
            expect(replayed.failures.map(same)).toEqual([same(f)])
          }
          passes.push(`${options.mode}/${options.target}`)
        }
        expect(passes).toHaveLength(8)
      }),
    120_000
  )

  it.effect(
    "replay names a failure's pass as the schedule says it, and as the options say where it cannot",
    () =>
      Effect.gen(function* () {
        const check = () => Effect.fail("always")
        const passOf = (failure: Interruption.Failure | undefined) =>
          failure === undefined ? undefined : [failure.mode, failure.target, failure.schedule]
        const program = Effect.andThen(Effect.yieldNow, Effect.yieldNow)
        const found: Array<unknown> = []
        for (const [schedule, options] of [
          ["", {}],
          ["i1", {}],
          ["h1", {}],
          ["y1", {}],
          ["y1", { mode: "pct" }],
          ["y1", { mode: "exhaustive", target: "holder" }],
          ["y1 y2", {}],
          ["b12", { target: "holder" }],
          ["b12 eh1", {}]
        ] as const) {
          const replayed = yield* Interruption.replay(program, schedule, { ...options, check })
          found.push(passOf(replayed.failure))
        }
        expect(found).toEqual([
          ["interrupt", "root", ""],
          ["interrupt", "root", "i1"],
          ["interrupt", "holder", "h1"],
          ["yield", "root", "y1"],
          ["pct", "root", "y1"],
          ["exhaustive", "holder", "y1"],
          ["exhaustive", "root", "y1 y2"],
          ["budget", "holder", "b12"],
          ["budget", "holder", "b12 eh1"]
        ])
        // runAt past the end: the point asked for, in the replay and in its failures alike.
        const past = yield* Interruption.runAt(program, 9_999, {
          mode: "interrupt",
          target: "holder",
          check
        })
        expect([past.reached, past.schedule, past.failures.map(passOf)]).toEqual([
          false,
          "h9999",
          [["interrupt", "holder", "h9999"]]
        ])
      })
  )
})

describe("cost (a count: the time is measured by the bench, not asserted)", () => {
  it.effect(
    "two fibers of 333 yields each: every one of the program's 1,360 points explored",
    () =>
      Effect.gen(function* () {
        const work = Effect.gen(function* () {
          for (let i = 0; i < 333; i++) yield* Effect.yieldNow
        })
        const program = Effect.gen(function* () {
          const a = yield* Effect.forkChild(work)
          const b = yield* Effect.forkChild(work)
          yield* Fiber.join(a)
          yield* Fiber.join(b)
        })
        const report = yield* Interruption.explore(program, { mode: "interrupt", progress: false })
        expect(timeless(report)).toEqual({
          mode: "interrupt",
          steps: 1360,
          // Plain interruptible code, two fibers always ready: 6 points covered, at the forks.
          runs: 1354,
          failures: [],
          ranges: [],
          reachable: 0,
          failOn: "reachable",
          deterministic: true,
          unreached: [],
          isolated: true,
          target: "root",
          dryRunSteps: [1360, 1360],
          hangs: { stuck: 0, timedOut: 0 },
          outsideControl: 0,
          fibers: 3,
          reduced: { points: 6, deferred: 4, continuation: 2, idle: 0, unconfirmed: 0 },
          passes: [
            {
              mode: "interrupt",
              target: "root",
              points: 1360,
              runs: 1354,
              failures: 0,
              reachable: 0
            }
          ]
        })
      }),
    60_000
  )
})

describe("a deadlock is declared only when nothing the run made can still wake it", () => {
  /** A file request through Node's callback API: the run waits on the outside world. */
  const stat = Effect.callback<void>((resume) => {
    fs.stat(".", () => resume(Effect.void))
  })

  // The explorer is often started from a callback: the test's previous real wait (a timer, a
  // file request) resumes it. That callback's own timer or request is still listed among the
  // process's active resources while it runs; counting them against a baseline taken then hid
  // the run's first timer or request, and a run waiting on it was reported deadlocked (seen:
  // "deadlocked: … fiber 1 (the root) suspended" in both tests before the controller watched
  // the resources the run creates).
  it.live(
    "a run started from a timer's callback, waiting on a real timer of its own, is not deadlocked",
    () =>
      Effect.gen(function* () {
        // The test fiber resumes here inside the timer's callback, and the replay starts there.
        yield* Effect.sleep("1 millis")
        const replayed = yield* Interruption.replay(Effect.sleep("5 millis"), "")
        expect(replayed).toEqual({
          exit: Exit.void,
          failure: undefined,
          failures: [],
          points: replayed.points,
          schedule: ""
        })
      }),
    60_000
  )

  it.live(
    "a run started from a file request's callback, waiting on a file request of its own, is not deadlocked",
    () =>
      Effect.gen(function* () {
        yield* stat
        const replayed = yield* Interruption.replay(stat, "")
        expect(replayed).toEqual({
          exit: Exit.void,
          failure: undefined,
          failures: [],
          points: replayed.points,
          schedule: ""
        })
      }),
    60_000
  )

  /** What both regressions below report: the root deadlocked, at once (not at the bound). */
  const rootDeadlocked = {
    mode: "interrupt",
    target: "root",
    step: 0,
    kind: "deadlock",
    message:
      "deadlocked: no fiber can run and none waits on the outside world — fiber 1 (the root) suspended",
    schedule: "",
    reach: "uninterrupted"
  }

  it.effect(
    "a wait on the outside world that ends without waking a fiber leaves a deadlock, told then, not at hangTimeout",
    () =>
      Effect.gen(function* () {
        // Regression: the explorer looked at the outside world once, and a run that had a
        // file request of the module loader's pending when it went idle (or any plain timer)
        // was a hang after the whole bound instead of a deadlock.
        const program = Effect.gen(function* () {
          yield* Effect.sync(() => setTimeout(() => {}, 30))
          yield* Deferred.await(yield* Deferred.make<void>())
        })
        const replayed = yield* Interruption.replay(program, "", { hangTimeout: "30 seconds" })
        expect(replayed.failure).toEqual(rootDeadlocked)
      }),
    60_000
  )

  // A FileHandle (fs.promises.open) and a Dir (fs.opendir) are async resources of their own
  // that Node destroys only when the object is garbage-collected, long after it was closed.
  // They wait on nothing (their reads, writes and close are requests of their own), but the
  // controller counted them as pending: a run that had opened and closed a file before it
  // deadlocked waited the whole bound and was a hang (seen: "did not finish within 2s, waiting on the outside world", at
  // one point of the survey's Pool.get path, when tsx wrote its cache during the run).
  it.live(
    "a file and a directory opened and closed by the run do not hide its deadlock",
    () =>
      Effect.gen(function* () {
        const program = Effect.gen(function* () {
          yield* Effect.promise(async () => {
            const file = await fs.promises.open(".", "r")
            await file.close()
            const dir = await fs.promises.opendir(".")
            await dir.close()
          })
          yield* Deferred.await(yield* Deferred.make<void>())
        })
        const replayed = yield* Interruption.replay(program, "", { hangTimeout: "30 seconds" })
        expect(replayed.failure).toEqual(rootDeadlocked)
      }),
    60_000
  )

  // A forked fiber interrupted before its start ran: effect 4.1 loses the interruption if the
  // fiber yields at the first operation of the interruption's run (the start then runs the
  // fiber from its beginning; see the reproduction below). Effect's own scheduler never yields
  // there; the controller yielded every fiber resumed in another's step, and reported a
  // deadlock that no program can have under Effect's scheduler (seen: step 0, "deadlocked: …
  // fiber 1 (the root) suspended; fiber 2 (a child of fiber 1) suspended", in both modes).
  const interruptedBeforeStart = Effect.gen(function* () {
    const never = yield* Deferred.make<void>()
    const child = yield* Effect.forkChild(Deferred.await(never))
    yield* Fiber.interrupt(child)
  })

  for (const mode of ["interrupt", "yield"] as const) {
    it.effect(`a fiber interrupted before it started ends at once (${mode} mode)`, () =>
      Effect.gen(function* () {
        const report = yield* Interruption.explore(interruptedBeforeStart, { mode })
        expect({ failures: report.failures, deterministic: report.deterministic }).toEqual({
          failures: [],
          deterministic: true
        })
        expect(report.steps).toBeGreaterThan(3)
      })
    )
  }

  /**
   * A scheduler whose tasks run when flushed. `firstOp`: every run of a fiber (a start, a
   * resumption) yields once at its first operation, then goes on when run again; otherwise
   * Effect's own rule (a budget of 2048 operations).
   */
  class Manual implements Scheduler.Scheduler {
    readonly executionMode = "async" as const
    readonly tasks: Array<() => void> = []
    private readonly yielded = new Set<Fiber.Fiber<unknown, unknown>>()
    constructor(readonly firstOp: boolean) {}
    shouldYield(fiber: Fiber.Fiber<unknown, unknown>): boolean {
      if (!this.firstOp) return fiber.currentOpCount >= 2048
      if (fiber.currentOpCount !== 1) return false
      if (this.yielded.delete(fiber)) return false
      this.yielded.add(fiber)
      return true
    }
    makeDispatcher(): Scheduler.SchedulerDispatcher {
      return {
        scheduleTask: (task) => {
          this.tasks.push(task)
        },
        flush: () => this.flush()
      }
    }
    flush(): void {
      while (this.tasks.length > 0) this.tasks.shift()!()
    }
  }

  it("effect 4.1 (upstream, a plain reproduction): yielding at the first operation loses the interruption of a fiber not yet started", () => {
    // When Effect fixes it, the second outcome becomes the first: update the controller's
    // comment then (the controller may then yield there like anywhere else).
    const outcome = (firstOp: boolean) => {
      const scheduler = new Manual(firstOp)
      let child: Fiber.Fiber<void> | undefined
      const parent = Effect.runForkWith(Context.make(Scheduler.Scheduler, scheduler))(
        Effect.gen(function* () {
          const never = yield* Deferred.make<void>()
          child = yield* Effect.forkChild(Deferred.await(never))
          yield* Fiber.interrupt(child)
        })
      )
      scheduler.flush()
      return {
        child: child?.pollUnsafe()?._tag ?? "still running",
        parent: parent.pollUnsafe()?._tag ?? "still waiting",
        queued: scheduler.tasks.length
      }
    }
    expect([outcome(false), outcome(true)]).toEqual([
      { child: "Failure", parent: "Success", queued: 0 },
      { child: "still running", parent: "still waiting", queued: 0 }
    ])
  })
})

describe("the event loop", () => {
  it.live(
    "an exploration longer than a second lets it turn: a timer set before it fires during it",
    () =>
      Effect.gen(function* () {
        // As the Effect 3 edition's (which needed a breath between runs: under vitest 3 a
        // worker kept from Node's poll phase for 60 s fails the run): this explorer already
        // lets the event loop turn between runs, and this keeps it so.
        let fired = false
        let seenDuring = false
        setTimeout(() => {
          fired = true
        }, 0)
        const program = Effect.gen(function* () {
          for (let i = 0; i < 1000; i++) yield* Effect.yieldNow
        })
        const report = yield* Interruption.explore(program, {
          mode: "interrupt",
          progress: false,
          reduce: false,
          check: () =>
            Effect.sync(() => {
              if (fired) seenDuring = true
            })
        })
        // Every point run (reduce: false): 2,015 of them, past the 1 s between breaths.
        expect([report.steps, report.runs]).toEqual([2015, 2015])
        expect(seenDuring).toBe(true)
      }),
    120_000
  )
})
