/**
 * RcMap.get (an Effect 4 lead, docs/findings/README.md "Unconfirmed on Effect 4"): after the
 * first caller of a key is interrupted in its lookup, does a later caller of the key fail?
 *
 * effect 4.1.0, Node 22. No test framework: run `npx tsx test/findings/rcmap-get.ts` in effect4/.
 * It prints the first (budget, N) that shows the bug and exits 1 while the bug is present;
 * it prints "not reproduced" and exits 0 once it is fixed. How: see plain.ts (budgets 10, 12,
 * 16, 32 and the default 2048, N = 0 to 100) — the first caller runs with the budget, in a
 * fiber of its own, and is interrupted after N yields of the program's.
 */
import { Effect, Exit, Fiber, RcMap, Scheduler } from "effect"
import { report, search } from "./plain.js"

const attempt = (budget: number, turns: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const map = yield* RcMap.make({ lookup: (_: string) => Effect.as(Effect.yieldNow, 1) })
      const first = yield* Effect.forkChild(
        Effect.provideService(
          Effect.scoped(RcMap.get(map, "a")),
          Scheduler.MaxOpsBeforeYield,
          budget
        )
      )
      for (let i = 0; i < turns; i++) yield* Effect.yieldNow
      yield* Fiber.interrupt(first)
      // A hang detector, not a synchronisation: a lookup that works ends within a few turns.
      const later = yield* Effect.exit(
        Effect.timeout(Effect.scoped(RcMap.get(map, "a")), "1 second")
      )
      // Expected: the later caller gets the value (it runs the lookup again, or waits for it).
      return Exit.isSuccess(later)
        ? undefined
        : { later: Exit.hasInterrupts(later) ? "interrupted" : "failed or hung" }
    })
  )

report(search(attempt))
