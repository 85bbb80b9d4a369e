import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Exit, Fiber, FiberSet, Layer, Ref, Semaphore } from "effect"
import { Interruption, InterruptionError } from "@scopeguard/vitest"

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
      expect({ ...report, steps: 0, runs: 0, unreached: [] }).toEqual({
        mode: "yield",
        steps: 0,
        runs: 0,
        failures: [],
        deterministic: true,
        unreached: [],
        outsideControl: 0,
        fibers: 5
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
        expect(again).toEqual(report)
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(program, {
            mode: "pct",
            seed: 7,
            runs: 50,
            check,
            progress: false
          })
        )
        expect(error).toBeInstanceOf(InterruptionError)
        expect(error.message).toContain(
          `PCT schedules failed (seed 7, depth 2: each run finds a depth-2 bug with probability ≥ `
        )
        expect(error.message).toContain(
          `(check): lost an update: 1 [replay: "${failure.schedule}", shrunk from `
        )
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
      expect(report.runs).toBe(report.steps)
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
        const report = yield* Interruption.explore(program, { progress: false })
        expect(report).toEqual({
          mode: "interrupt",
          steps: 1360,
          runs: 1360,
          failures: [],
          deterministic: true,
          unreached: [],
          outsideControl: 0,
          fibers: 3
        })
      }),
    60_000
  )
})
