/**
 * Effect.cached (Effect 3 finding docs/findings/effect-cached.md): when its first caller is interrupted while computing the value, does a later caller get that interruption?
 *
 * effect 4.1.0, Node 22. No test framework: run `npx tsx test/findings/effect-cached.ts` in effect4/.
 * It prints the first (budget, N) that shows the bug and exits 1 while the bug is present;
 * it prints "not reproduced" and exits 0 once it is fixed. How: see plain.ts (budgets 10, 12,
 * 16, 32 and the default 2048, N = 0 to 100).
 */
import { Effect, Exit, Fiber, Scheduler } from "effect"
import { report, search } from "./plain.js"

const attempt = (budget: number, turns: number) =>
  Effect.gen(function* () {
    const cached = yield* Effect.cached(Effect.as(Effect.yieldNow, 1))
    const first = yield* Effect.forkChild(
      Effect.provideService(cached, Scheduler.MaxOpsBeforeYield, budget)
    )
    for (let i = 0; i < turns; i++) yield* Effect.yieldNow
    yield* Fiber.interrupt(first)
    const later = yield* Effect.exit(Effect.timeout(cached, "1 second"))
    // Expected: the later caller gets the value (it is not the interrupted one).
    return Exit.isSuccess(later)
      ? undefined
      : { later: Exit.hasInterrupts(later) ? "interrupted" : "hung" }
  })

report(search(attempt, 40))
