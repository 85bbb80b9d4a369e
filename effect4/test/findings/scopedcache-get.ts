/**
 * ScopedCache.get (Effect 3 finding docs/findings/scopedcache-get.md): does it leak what an interrupted lookup acquired?
 *
 * effect 4.1.0, Node 22. No test framework: run `npx tsx test/findings/scopedcache-get.ts` in effect4/.
 * It prints the first (budget, N) that shows the bug and exits 1 while the bug is present;
 * it prints "not reproduced" and exits 0 once it is fixed. How: see plain.ts (budgets 10, 12,
 * 16, 32 and the default 2048, N = 0 to 100).
 */
import { Effect, ScopedCache } from "effect"
import { handle, report, searchLeak } from "./plain.js"

const program = () =>
  Effect.scoped(
    Effect.gen(function* () {
      const cache = yield* ScopedCache.make({
        lookup: (_: string) => handle,
        capacity: 10,
        timeToLive: "1 hour"
      })
      yield* Effect.scoped(ScopedCache.get(cache, "a"))
      yield* Effect.scoped(ScopedCache.get(cache, "a"))
    })
  )

report(searchLeak(program))
