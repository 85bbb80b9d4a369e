/**
 * Effect.all with concurrency (Effect 3 finding docs/findings/effect-all-concurrency.md): does it hang when interrupted while starting its workers?
 *
 * effect 4.1.0, Node 22. No test framework: run `npx tsx test/findings/effect-all-concurrency.ts` in effect4/.
 * It prints the first (budget, N) that shows the bug and exits 1 while the bug is present;
 * it prints "not reproduced" and exits 0 once it is fixed. How: see plain.ts (budgets 10, 12,
 * 16, 32 and the default 2048, N = 0 to 100).
 */
import { Effect } from "effect"
import { handle, report, searchLeak } from "./plain.js"

const program = () =>
  Effect.scoped(Effect.asVoid(Effect.all([handle, handle], { concurrency: "unbounded" })))

report(searchLeak(program))
