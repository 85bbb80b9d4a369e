/**
 * FiberSet.run (Effect 3 finding docs/findings/fiberset-run.md): does a fiber forked but not yet added run on after the set closed?
 *
 * effect 4.1.0, Node 22. No test framework: run `npx tsx test/findings/fiberset-run.ts` in effect4/.
 * It prints the first (budget, N) that shows the bug and exits 1 while the bug is present;
 * it prints "not reproduced" and exits 0 once it is fixed. How: see plain.ts (budgets 10, 12,
 * 16, 32 and the default 2048, N = 0 to 100).
 */
import { Effect, FiberSet } from "effect"
import { handle, report, searchLeak } from "./plain.js"

const program = () =>
  Effect.scoped(
    Effect.gen(function* () {
      const set = yield* FiberSet.make()
      yield* FiberSet.run(set, Effect.scoped(Effect.andThen(handle, Effect.never)))
      yield* Effect.yieldNow
    })
  )

report(searchLeak(program))
