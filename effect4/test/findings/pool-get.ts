/**
 * Pool.get (Effect 3 finding docs/findings/pool-get.md): does it hang when interrupted during the pool's startup?
 *
 * effect 4.1.0, Node 22. No test framework: run `npx tsx test/findings/pool-get.ts` in effect4/.
 * It prints the first (budget, N) that shows the bug and exits 1 while the bug is present;
 * it prints "not reproduced" and exits 0 once it is fixed. How: see plain.ts (budgets 10, 12,
 * 16, 32 and the default 2048, N = 0 to 100).
 */
import { Effect, Pool } from "effect"
import { handle, report, searchLeak } from "./plain.js"

const program = () =>
  Effect.scoped(
    Effect.gen(function* () {
      const pool = yield* Pool.make({ acquire: handle, size: 2 })
      yield* Effect.scoped(Pool.get(pool))
    })
  )

report(searchLeak(program))
