/**
 * The plain harness of the Effect 4 reproductions (no explorer, no test framework): the
 * program runs in a fiber of its own whose scheduler ends a turn every `budget` operations
 * (`Scheduler.MaxOpsBeforeYield`, the runtime's own preemption; 2048 is the default); another
 * fiber yields N times and then interrupts it, so that the interruption lands at a turn end the
 * runtime itself makes. `search` tries every budget and N = 0 to 100 and returns the first
 * (budget, N) that shows the bug, or "not reproduced".
 */
import { Effect, Fiber, Option, Scheduler } from "effect"

/** Handles opened and not yet closed, and handles acquired, since the last `reset`. */
export const world = { open: 0, acquired: 0 }

/** A resource: opened, then closed by its scope's finalizer. */
export const handle = Effect.acquireRelease(
  Effect.sync(() => {
    world.acquired++
    return ++world.open
  }),
  () =>
    Effect.sync(() => {
      world.open--
    })
)

/** The budgets tried: 10 and up (the smallest a program may set), then the default. */
export const budgets = [10, 12, 16, 32, 2048] as const

/** Runs `program` with `budget`, interrupts it after `turns` yields, and reports what it left. */
export const interruptAfter = (
  program: Effect.Effect<unknown, unknown>,
  budget: number,
  turns: number
) =>
  Effect.gen(function* () {
    world.open = 0
    world.acquired = 0
    const fiber = yield* Effect.forkDetach(
      Effect.provideService(program, Scheduler.MaxOpsBeforeYield, budget)
    )
    for (let i = 0; i < turns; i++) yield* Effect.yieldNow
    // Interrupt without waiting (the caller's own wait below is bounded).
    yield* Effect.forkDetach(Fiber.interrupt(fiber))
    // A hang detector, not a synchronisation: a program that finishes does so within a few turns.
    const exit = yield* Effect.timeoutOption(Effect.exit(Fiber.join(fiber)), "1 second")
    const openAtExit = world.open
    const acquiredAtExit = world.acquired
    for (let i = 0; i < 50; i++) yield* Effect.yieldNow
    return {
      finished: Option.isSome(exit),
      openAtExit,
      openLater: world.open,
      acquiredAfterExit: world.acquired - acquiredAtExit
    }
  })

export type Seen = Effect.Success<ReturnType<typeof interruptAfter>>

/** Expected: it finishes, every handle it opened is closed, nothing is acquired after it ended. */
export const clean = (seen: Seen) =>
  seen.finished && seen.openAtExit === 0 && seen.openLater === 0 && seen.acquiredAfterExit === 0

/** The first (budget, N) whose run is not clean, or "not reproduced". */
export const search = <A>(
  attempt: (budget: number, turns: number) => Effect.Effect<A | undefined, unknown>,
  maxTurns = 100
) =>
  Effect.gen(function* () {
    for (const budget of budgets) {
      for (let turns = 0; turns <= maxTurns; turns++) {
        const seen = yield* attempt(budget, turns)
        if (seen !== undefined) return { budget, turns, ...seen }
      }
    }
    return "not reproduced" as const
  })

/** `search` over `interruptAfter(program)`: the first unclean run. */
export const searchLeak = (program: () => Effect.Effect<unknown, unknown>) =>
  search((budget, turns) =>
    Effect.map(interruptAfter(program(), budget, turns), (seen) => (clean(seen) ? undefined : seen))
  )

/** Prints what `main` saw as one JSON line; exits 1 if it reproduced the bug, 0 if not. */
export const report = (main: Effect.Effect<unknown, unknown>) =>
  void Effect.runPromise(main).then((seen) => {
    console.log(JSON.stringify(seen))
    process.exit(seen === "not reproduced" ? 0 : 1)
  })
