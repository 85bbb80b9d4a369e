/**
 * Budget mode: the schedules Effect's default scheduler makes with `MaxOpsBeforeYield` set to
 * each budget, without interruption and interrupted at each turn end.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Fiber, Option, Scheduler } from "effect"
import { InvalidOptionsError } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"

/** Two fibers claim a slot by a check, then 20 operations, then the act. */
const makeClaim = () => {
  const s = { owner: 0, entered: 0 }
  const claim = (id: number) =>
    Effect.gen(function* () {
      if (s.owner !== 0) return
      for (let i = 0; i < 20; i++) yield* Effect.sync(() => {})
      s.owner = id
      s.entered++
    })
  const program = Effect.gen(function* () {
    s.owner = 0
    s.entered = 0
    const a = yield* Effect.forkChild(claim(1))
    const b = yield* Effect.forkChild(claim(2))
    yield* Fiber.join(a)
    yield* Fiber.join(b)
  })
  const check = () =>
    Effect.suspend(() =>
      s.entered <= 1 ? Effect.void : Effect.fail(`${s.entered} fibers claimed the slot`)
    )
  return { program, check, s }
}

/** A connection opened, a yield, then its close registered: a leak window across a turn end. */
const makeLeak = (fixed: boolean) => {
  const s = { open: 0 }
  const connect = Effect.sync(() => void s.open++)
  const disconnect = Effect.sync(() => void s.open--)
  const program = Effect.scoped(
    Effect.suspend(() => {
      s.open = 0
      return fixed
        ? Effect.andThen(
            Effect.acquireRelease(connect, () => disconnect),
            Effect.yieldNow
          )
        : Effect.gen(function* () {
            yield* connect
            yield* Effect.yieldNow
            yield* Effect.addFinalizer(() => disconnect)
          })
    })
  )
  const check = () =>
    Effect.suspend(() =>
      s.open === 0 ? Effect.void : Effect.fail(`${s.open} connection(s) left open`)
    )
  return { program, check }
}

describe("budget mode", () => {
  it.effect(
    "a race that needs the interleaving of a small budget: found with 12, not with 2048",
    () =>
      Effect.gen(function* () {
        const { program, check } = makeClaim()
        // Without a budget the first fiber's 20 operations run in one turn: no race.
        const plain = yield* Interruption.replay(program, "", { check })
        expect(plain.failure).toBeUndefined()
        const report = yield* Interruption.explore(program, {
          mode: "budget",
          budgets: [12, 2048],
          check,
          progress: false
        })
        // Budget 12: the first fiber yields 12 operations into its claim, the second checks the
        // slot, still free: both claim it — in the run without interruption, and in every run
        // interrupted at a turn end after both had checked.
        const atZero = report.failures.filter((f) => f.step === 0)
        expect(atZero).toEqual([
          {
            mode: "budget",
            target: "root",
            step: 0,
            schedule: "b12",
            reach: "budget",
            budget: 12,
            kind: "check",
            message: "2 fibers claimed the slot",
            preemptions: 0
          }
        ])
        expect(report.failures.every((f) => f.budget === 12)).toBe(true)
        expect(report.budgets!.map((b) => b.budget)).toEqual([12, 2048])
        expect(report.runs).toBe(report.budgets!.reduce((n, b) => n + b.points, 0))
        expect(report.reachable).toBe(report.failures.length)
        // The same run again, exactly.
        const replayed = yield* Interruption.replay(program, "b12", { check })
        expect(replayed.failure).toEqual({
          mode: "budget",
          target: "root",
          step: 0,
          schedule: "b12",
          reach: "budget",
          budget: 12,
          kind: "check",
          message: "2 fibers claimed the slot"
        })
      })
  )

  it.effect(
    "an interruption at a turn end: the window across a yieldNow leaks, the fixed program passes",
    () =>
      Effect.gen(function* () {
        const broken = makeLeak(false)
        const report = yield* Interruption.explore(broken.program, {
          mode: "budget",
          budget: 2048,
          check: broken.check,
          progress: false
        })
        // One fiber: its turns end at the yieldNow and at its end. Interrupted at the first, the
        // connection is open and its close not yet registered.
        expect(report.budgets).toEqual([
          { budget: 2048, steps: report.budgets![0]!.steps, points: 2 }
        ])
        expect(report.failures).toEqual([
          {
            mode: "budget",
            target: "root",
            step: 1,
            schedule: "b2048 e1",
            reach: "budget",
            budget: 2048,
            fiber: "fiber 1 (the root)",
            kind: "check",
            message: "1 connection(s) left open",
            preemptions: 1
          }
        ])
        const replay = yield* Interruption.runAt(broken.program, 1, {
          mode: "budget",
          budget: 2048,
          check: broken.check
        })
        expect([replay.reached, replay.schedule, replay.failures]).toEqual([
          true,
          "b2048 e1",
          report.failures.map(({ preemptions: _, ...failure }) => failure)
        ])
        expect(
          Option.isSome(replay.exit) && Exit.hasInterrupts(replay.exit.value as Exit.Exit<unknown>)
        ).toBe(true)
        expect(yield* Effect.exit(broken.check())).toEqual(Exit.fail("1 connection(s) left open"))
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(broken.program, {
            mode: "budget",
            budget: 2048,
            check: broken.check,
            progress: false
          })
        )
        expect(error.message).toBe(
          '1 of 4 budget points failed (budgets 2048: 2 turn ends, and each budget\'s own run; point 0 is the run without interruption):\n  budget 2048, turn end 1 (check, fiber 1 (the root), near packages/vitest/test/Budget.test.ts:50:13): 1 connection(s) left open [replay: "b2048 e1"]'
        )
        const fixed = makeLeak(true)
        const passes = yield* Interruption.assertEveryStep(fixed.program, {
          mode: "budget",
          check: fixed.check,
          progress: false
        })
        expect(passes.failures).toEqual([])
        expect(passes.budgets!.map((b) => b.budget)).toEqual([
          10, 11, 12, 13, 14, 15, 16, 32, 64, 2048
        ])
      })
  )

  it.effect("the holder: the fiber whose turn ended is interrupted, the root goes on", () =>
    Effect.gen(function* () {
      const broken = makeLeak(false)
      const program = Effect.gen(function* () {
        const child = yield* Effect.forkChild(broken.program)
        yield* Effect.exit(Fiber.join(child))
      })
      const report = yield* Interruption.explore(program, {
        mode: "budget",
        budget: 2048,
        target: "holder",
        check: broken.check,
        progress: false
      })
      expect(report.failures.map((f) => [f.schedule, f.message])).toEqual([
        ["b2048 eh2", "1 connection(s) left open"]
      ])
    })
  )

  it.effect(
    "the budget is the runtime's own rule: a run with budget 12 is Effect's run with MaxOpsBeforeYield 12",
    () =>
      Effect.gen(function* () {
        // The same race under Effect's default scheduler, MaxOpsBeforeYield 12, no explorer.
        const { program, s } = makeClaim()
        yield* Effect.provideService(program, Scheduler.MaxOpsBeforeYield, 12)
        expect(s.entered).toBe(2)
        yield* Effect.provideService(program, Scheduler.MaxOpsBeforeYield, 2048)
        expect(s.entered).toBe(1)
        expect(Context.get(Context.empty(), Scheduler.MaxOpsBeforeYield)).toBe(2048)
      })
  )

  it.effect("bad budgets die with an InvalidOptionsError when the effect runs", () =>
    Effect.gen(function* () {
      for (const [options, option] of [
        [{ mode: "budget", budgets: [] }, "budgets"],
        [{ mode: "budget", budgets: [9] }, "budgets"],
        [{ mode: "budget", budgets: [12.5] }, "budgets"],
        [{ mode: "budget", budget: 3 }, "budget"],
        [{ mode: "budget", budget: 12, budgets: [12] }, "budget"]
      ] as const) {
        const exit = yield* Effect.exit(Interruption.explore(Effect.void, options as never))
        expect(Exit.isFailure(exit) && (exit.cause.reasons[0] as any)?.defect).toBeInstanceOf(
          InvalidOptionsError
        )
        expect(Exit.isFailure(exit) && (exit.cause.reasons[0] as any)?.defect?.option).toBe(option)
      }
      const noBudget = yield* Effect.exit(Interruption.runAt(Effect.void, 1, { mode: "budget" }))
      expect(Exit.isFailure(noBudget) && (noBudget.cause.reasons[0] as any)?.defect?.option).toBe(
        "budget"
      )
    })
  )
})
