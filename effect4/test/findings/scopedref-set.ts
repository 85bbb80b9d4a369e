/**
 * ScopedRef.set (Effect 3 finding docs/findings/scopedref-set.md): does it leak the new value when interrupted right after acquiring it?
 *
 * effect 4.1.0, Node 22. No test framework: run `npx tsx test/findings/scopedref-set.ts` in effect4/.
 * It prints the first (budget, N) that shows the bug and exits 1 while the bug is present;
 * it prints "not reproduced" and exits 0 once it is fixed. How: see plain.ts (budgets 10, 12,
 * 16, 32 and the default 2048, N = 0 to 100).
 */
import { Effect, ScopedRef } from "effect"
import { handle, report, searchLeak } from "./plain.js"

const program = () =>
  Effect.scoped(
    Effect.gen(function* () {
      const ref = yield* ScopedRef.fromAcquire(handle)
      yield* ScopedRef.set(ref, handle)
    })
  )

report(searchLeak(program))
