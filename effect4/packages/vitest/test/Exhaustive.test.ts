import { describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Option, Queue, Ref } from "effect"
import { InvalidOptionsError } from "@scopeguard/core"
import { Interruption, InterruptionError } from "@scopeguard/vitest"
import { timeless } from "./helpers.js"

/**
 * Two fibers bump a Ref: a read then a write (`fixed`: one atomic update). Without preemption
 * each runs to its end; one preemption between the read and the write loses an update.
 */
const makeRefRace = (fixed: boolean) => {
  const state = { value: -1 }
  const program = () =>
    Effect.gen(function* () {
      state.value = -1
      const ref = yield* Ref.make(0)
      const bump = fixed
        ? Ref.update(ref, (n) => n + 1)
        : Effect.flatMap(Ref.get(ref), (read) => Ref.set(ref, read + 1))
      const a = yield* Effect.forkChild(bump)
      const b = yield* Effect.forkChild(bump)
      yield* Fiber.join(a)
      yield* Fiber.join(b)
      state.value = yield* Ref.get(ref)
    })
  const check = () =>
    Effect.suspend(() =>
      state.value === 2 ? Effect.void : Effect.fail(`lost an update: ${state.value}`)
    )
  return { program, check, state }
}

/**
 * Two consumers of one item: each looks at the Queue's size, then takes (`fixed`: polls). When
 * both see the item, the second waits forever on an empty queue: a deadlock.
 */
const makeQueueRace = (fixed: boolean) => {
  const state = { taken: 0 }
  const program = () =>
    Effect.gen(function* () {
      state.taken = 0
      const queue = yield* Queue.unbounded<number>()
      yield* Queue.offer(queue, 1)
      const consume = fixed
        ? Effect.flatMap(Queue.poll(queue), (item) =>
            Effect.sync(() => {
              if (Option.isSome(item)) state.taken++
            })
          )
        : Effect.gen(function* () {
            if ((yield* Queue.size(queue)) > 0) {
              yield* Queue.take(queue)
              state.taken++
            }
          })
      const a = yield* Effect.forkChild(consume)
      const b = yield* Effect.forkChild(consume)
      yield* Fiber.join(a)
      yield* Fiber.join(b)
    })
  const check = () =>
    Effect.suspend(() =>
      state.taken === 1 ? Effect.void : Effect.fail(`taken ${state.taken} times`)
    )
  return { program, check }
}

/**
 * Two fibers race to complete a Deferred: each checks `isDone`, then completes it and counts
 * itself a winner (`fixed`: a winner is whoever `Deferred.succeed` says completed it).
 */
const makeDeferredRace = (fixed: boolean) => {
  const state = { winners: 0 }
  const program = () =>
    Effect.gen(function* () {
      state.winners = 0
      const done = yield* Deferred.make<string>()
      const race = (name: string) =>
        fixed
          ? Effect.flatMap(Deferred.succeed(done, name), (won) =>
              Effect.sync(() => {
                if (won) state.winners++
              })
            )
          : Effect.gen(function* () {
              if (!(yield* Deferred.isDone(done))) {
                yield* Deferred.succeed(done, name)
                state.winners++
              }
            })
      const a = yield* Effect.forkChild(race("a"))
      const b = yield* Effect.forkChild(race("b"))
      yield* Fiber.join(a)
      yield* Fiber.join(b)
    })
  const check = () =>
    Effect.suspend(() =>
      state.winners === 1 ? Effect.void : Effect.fail(`${state.winners} winners`)
    )
  return { program, check }
}

/**
 * Each fiber raises its flag, reads the other's, then lowers its own. Both see the other's
 * flag raised only if each is preempted right after raising its own (or reading): two
 * preemptions (A after raising, B after reading). One preemption never does it: whoever runs
 * second after the switch finishes before the other reads again.
 */
const makeTwoPreemptions = () => {
  const state = { a: 0, b: 0, seenA: -1, seenB: -1, outcomes: new Set<string>() }
  const fiber = (mine: "a" | "b", theirs: "a" | "b", seen: "seenA" | "seenB") =>
    Effect.gen(function* () {
      yield* Effect.sync(() => {
        state[mine] = 1
      })
      yield* Effect.sync(() => {
        state[seen] = state[theirs]
      })
      yield* Effect.sync(() => {
        state[mine] = 0
      })
    })
  const program = () =>
    Effect.gen(function* () {
      state.a = 0
      state.b = 0
      state.seenA = -1
      state.seenB = -1
      const a = yield* Effect.forkChild(fiber("a", "b", "seenB"))
      const b = yield* Effect.forkChild(fiber("b", "a", "seenA"))
      yield* Fiber.join(a)
      yield* Fiber.join(b)
    })
  const check = () =>
    Effect.suspend(() => {
      state.outcomes.add(`${state.seenA}${state.seenB}`)
      return state.seenA === 1 && state.seenB === 1
        ? Effect.fail("both saw the other's flag")
        : Effect.void
    })
  return { program, check, state }
}

const distinct = (report: Interruption.Report) =>
  [...new Set(report.failures.map((f) => `${f.kind}: ${f.message}`))].sort()

/** The same, of the failures Effect's default scheduler reaches (what failOn "reachable" fails on). */
const reachable = (report: Interruption.Report) =>
  [
    ...new Set(
      report.failures
        .filter((f) => f.reach !== "internal" && (f.reach !== "budget" || (f.budget ?? 0) >= 10))
        .map((f) => `${f.kind}: ${f.message}`)
    )
  ].sort()

const options = { mode: "exhaustive", progress: false } as const

describe("exhaustive mode: every schedule within a preemption bound", () => {
  it.effect(
    "a check-then-act on a Ref is found with one preemption; the atomic update passes all",
    () =>
      Effect.gen(function* () {
        const buggy = makeRefRace(false)
        // Without preemption each fiber runs to its end: no lost update.
        expect((yield* Interruption.replay(buggy.program, "", buggy)).failure).toBeUndefined()
        const report = yield* Interruption.explore(buggy.program, {
          ...options,
          preemptions: 1,
          check: buggy.check
        })
        expect(report.mode).toBe("exhaustive")
        expect(report.deterministic).toBe(true)
        expect(report.outsideControl).toBe(0)
        expect(distinct(report)).toEqual(["check: lost an update: 1"])
        expect(report.failures.every((f) => f.preemptions === 1)).toBe(true)
        // One preemption per schedule: the schedules are the switch points of the plain run.
        expect(report.exhaustive).toEqual({
          preemptions: 1,
          schedules: report.runs + 1,
          reduced: report.steps - report.runs,
          exhausted: true,
          maxSchedules: 10_000
        })
        const fixed = makeRefRace(true)
        const passed = yield* Interruption.assertEveryStep(fixed.program, {
          ...options,
          check: fixed.check
        })
        expect(passed.failures).toEqual([])
        expect(passed.exhaustive?.exhausted).toBe(true)
        expect(passed.exhaustive?.preemptions).toBe(2)
      }),
    60_000
  )

  it.effect(
    "a Queue size-then-take race deadlocks, a Deferred isDone-then-succeed race has two winners; the fixed versions pass",
    () =>
      Effect.gen(function* () {
        const queue = makeQueueRace(false)
        const queued = yield* Interruption.explore(queue.program, {
          ...options,
          check: queue.check
        })
        expect(queued.failures.length).toBeGreaterThan(0)
        expect(new Set(queued.failures.map((f) => f.kind))).toEqual(new Set(["deadlock"]))
        expect(queued.failures[0]!.message).toMatch(
          /^deadlocked: no fiber can run and none waits on the outside world — /
        )
        const deferred = makeDeferredRace(false)
        const raced = yield* Interruption.explore(deferred.program, {
          ...options,
          check: deferred.check
        })
        expect(distinct(raced)).toEqual(["check: 2 winners"])
        for (const fixed of [makeQueueRace(true), makeDeferredRace(true)]) {
          const report = yield* Interruption.assertEveryStep(fixed.program, {
            ...options,
            check: fixed.check
          })
          expect(report.failures).toEqual([])
          expect(report.exhaustive?.exhausted).toBe(true)
        }
      }),
    60_000
  )

  it.effect(
    "a bug that needs two preemptions is not found with one, and is found with two",
    () =>
      Effect.gen(function* () {
        const { program, check, state } = makeTwoPreemptions()
        const one = yield* Interruption.explore(program, { ...options, preemptions: 1, check })
        expect(one.failures).toEqual([])
        expect(one.exhaustive?.exhausted).toBe(true)
        // Within one preemption: B reads A's raised flag only when A is preempted right after
        // raising it; A never reads B's ("01" needs B preempted too).
        expect([...state.outcomes].sort()).toEqual(["00", "10"])
        state.outcomes.clear()
        const two = yield* Interruption.explore(program, { ...options, preemptions: 2, check })
        expect(two.exhaustive?.exhausted).toBe(true)
        expect(distinct(two)).toEqual(["check: both saw the other's flag"])
        expect([...state.outcomes].sort()).toEqual(["00", "01", "10", "11"])
        // The schedules of two preemptions run after every schedule of one.
        expect(two.failures[0]!.step).toBeGreaterThan(one.runs)
        expect(two.failures.every((f) => f.preemptions === 2)).toBe(true)
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(program, { ...options, check, failOn: "any" })
        )
        expect(error).toBeInstanceOf(InterruptionError)
        expect(error.message).toContain(
          `of ${two.exhaustive?.schedules} schedules failed (at most 2 preemptions; every such schedule was run):\n  run `
        )
      }),
    60_000
  )

  it.effect(
    "every failure's schedule replays exactly, shrunk or not",
    () =>
      Effect.gen(function* () {
        for (const { program, check } of [
          makeRefRace(false),
          makeDeferredRace(false),
          makeQueueRace(false),
          makeTwoPreemptions()
        ]) {
          for (const shrink of [true, false]) {
            const report = yield* Interruption.explore(program, { ...options, shrink, check })
            expect(report.failures.length).toBeGreaterThan(0)
            for (const failure of report.failures.slice(0, 5)) {
              const replayed = yield* Interruption.replay(program, failure.schedule, { check })
              expect(replayed.schedule).toBe(failure.schedule)
              expect(replayed.failure?.kind).toBe(failure.kind)
              expect(replayed.failure?.message).toBe(failure.message)
              if (shrink && report.failures.indexOf(failure) < 3) {
                expect(failure.original).toBeDefined()
                expect(failure.preemptions).toBe(failure.schedule.split(" ").length)
              } else {
                expect(failure.original).toBeUndefined()
              }
            }
          }
        }
      }),
    60_000
  )
})

describe("exhaustive mode's reductions, compared with reduce: false on the same programs", () => {
  const programs = () => [
    { name: "Ref race", ...makeRefRace(false) },
    { name: "Ref update", ...makeRefRace(true) },
    { name: "Queue race", ...makeQueueRace(false) },
    { name: "Queue poll", ...makeQueueRace(true) },
    { name: "Deferred race", ...makeDeferredRace(false) },
    { name: "Deferred succeed", ...makeDeferredRace(true) },
    { name: "two preemptions", ...makeTwoPreemptions() }
  ]
  for (const preemptions of [1, 2]) {
    it.effect(
      `skipping points where nothing else can run finds the same failures and end states in fewer runs (preemptions ${preemptions})`,
      () =>
        Effect.gen(function* () {
          for (const { name, program, check: judge } of programs()) {
            // The end state of every run (its failure or "ok"), as the check sees it.
            const ends = { reduced: new Set<string>(), full: new Set<string>() }
            const explore = (reduce: boolean) =>
              Interruption.explore(program, {
                ...options,
                preemptions,
                reduce,
                shrink: false,
                check: () =>
                  judge().pipe(
                    Effect.tap(() =>
                      Effect.sync(() => (reduce ? ends.reduced : ends.full).add("ok"))
                    ),
                    Effect.tapError((message) =>
                      Effect.sync(() => (reduce ? ends.reduced : ends.full).add(String(message)))
                    )
                  )
              })
            const reduced = yield* explore(true)
            const full = yield* explore(false)
            expect([name, distinct(reduced)]).toEqual([name, distinct(full)])
            // A skipped preemption's failure is still found where the runtime reaches it.
            expect([name, reachable(reduced)]).toEqual([name, reachable(full)])
            expect([name, ends.reduced]).toEqual([name, ends.full])
            expect(reduced.exhaustive?.exhausted).toBe(true)
            expect(full.exhaustive?.exhausted).toBe(true)
            expect(full.exhaustive?.reduced).toBe(0)
            expect(reduced.exhaustive!.reduced).toBeGreaterThan(0)
            expect(reduced.runs).toBeLessThan(full.runs)
            if (preemptions === 1) {
              // Unreduced, one schedule per point of the plain run; reduced, one per point
              // where something else could run.
              expect(full.runs).toBe(full.steps)
              expect(reduced.runs + reduced.exhaustive!.reduced).toBe(reduced.steps)
            }
          }
        }),
      60_000
    )
  }

  it.effect(
    "unreduced, two preemptions: every point, then every point after it",
    () =>
      Effect.gen(function* () {
        const { program, check } = makeRefRace(true)
        const report = yield* Interruption.explore(program, {
          ...options,
          reduce: false,
          check
        })
        // Counted independently: the points each one-preemption run passes after its preemption.
        let expected = report.steps
        for (let point = 1; point <= report.steps; point++) {
          const replayed = yield* Interruption.replay(program, `y${point}`, { check })
          expected += replayed.points - point
        }
        expect(report.runs).toBe(expected)
        expect(report.exhaustive?.schedules).toBe(expected + 1)
      }),
    60_000
  )
})

describe("exhaustive mode's bounds and options", () => {
  it.effect("maxSchedules cuts the exploration short and the report says so", () =>
    Effect.gen(function* () {
      const { program, check } = makeRefRace(true)
      const report = yield* Interruption.explore(program, { ...options, maxSchedules: 5, check })
      expect(report.runs).toBe(4)
      expect(report.exhaustive).toEqual({
        preemptions: 2,
        schedules: 5,
        reduced: report.exhaustive!.reduced,
        exhausted: false,
        maxSchedules: 5
      })
      const only = yield* Interruption.explore(program, { ...options, preemptions: 0, check })
      expect(only.runs).toBe(0)
      expect(only.exhaustive).toEqual({
        preemptions: 0,
        schedules: 1,
        reduced: 0,
        exhausted: true,
        maxSchedules: 10_000
      })
      const buggy = makeRefRace(false)
      const error = yield* Effect.flip(
        Interruption.assertEveryStep(buggy.program, {
          ...options,
          maxSchedules: 20,
          failOn: "any",
          check: buggy.check
        })
      )
      expect(error.message).toContain(
        "of 20 schedules failed (at most 2 preemptions; cut short by maxSchedules 20: not every such schedule was run):"
      )
    })
  )

  it.effect(
    'failOn: "reachable" (the default) fails only on what a budget of 10 or more reaches',
    () =>
      Effect.gen(function* () {
        const { program, check } = makeRefRace(false)
        const report = yield* Interruption.explore(program, { ...options, preemptions: 1, check })
        // The lost update needs a preemption 3 operations into a fiber's turn.
        expect(report.failures.map((f) => [f.schedule, f.reach, f.budget])).toEqual([
          ["y19", "budget", 3]
        ])
        expect(report.reachable).toBe(0)
        expect(report.failOn).toBe("reachable")
        const passed = yield* Interruption.assertEveryStep(program, {
          ...options,
          preemptions: 1,
          check
        })
        expect(timeless(passed)).toEqual(timeless(report))
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(program, {
            ...options,
            preemptions: 1,
            failOn: "any",
            check
          })
        )
        expect(error.report.failOn).toBe("any")
        expect(error.message).toBe(
          '1 of 9 schedules failed (at most 1 preemptions; every such schedule was run):\n  run 6 (check): lost an update: 1 [replay: "y19", shrunk from 1 decisions]'
        )
        // A reachable failure (the uninterrupted run's) fails by default; the message lists it
        // and says how many others only a budget under 10 reaches.
        const always = yield* Effect.flip(
          Interruption.assertEveryStep(program, {
            ...options,
            preemptions: 1,
            check: () => Effect.fail("always")
          })
        )
        expect(always.report.reachable).toBe(
          always.report.failures.filter((f) => f.reach !== "budget" || f.budget! >= 10).length
        )
        expect(always.message).toContain("run 0 (check): always")
        expect(always.message).toContain(
          "failing runs Effect's default scheduler cannot reach — only a budget under 10, or at a library's internal fiber: failOn \"any\" fails on them)"
        )
        const bad = yield* Effect.exit(
          Interruption.explore(Effect.void, { failOn: "some" as never })
        )
        expect(Exit.isFailure(bad) && (Cause.squash(bad.cause) as InvalidOptionsError).option).toBe(
          "failOn"
        )
      }),
    60_000
  )

  it.effect("a bad exhaustive option dies with InvalidOptionsError when the effect runs", () =>
    Effect.gen(function* () {
      for (const [build, option] of [
        [() => Interruption.explore(Effect.void, { ...options, preemptions: -1 }), "preemptions"],
        [() => Interruption.explore(Effect.void, { ...options, preemptions: 1.5 }), "preemptions"],
        [
          () => Interruption.explore(Effect.void, { ...options, preemptions: "2" as never }),
          "preemptions"
        ],
        [() => Interruption.explore(Effect.void, { ...options, maxSchedules: 0 }), "maxSchedules"],
        [
          () => Interruption.explore(Effect.void, { ...options, maxSchedules: null as never }),
          "maxSchedules"
        ],
        [() => Interruption.explore(Effect.void, { ...options, reduce: "no" as never }), "reduce"],
        [() => Interruption.explore(Effect.void, { mode: "exhaustives" as never }), "mode"],
        [() => Interruption.runAt(Effect.void, 1, { mode: "exhaustive" }), "mode"]
      ] as const) {
        expect(build).not.toThrow()
        const exit = yield* Effect.exit(build() as Effect.Effect<unknown>)
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) {
          const defect = Cause.squash(exit.cause)
          expect(defect).toBeInstanceOf(InvalidOptionsError)
          expect((defect as InvalidOptionsError).option).toBe(option)
        }
      }
    })
  )
})
