/**
 * Stream.switchMap (Effect 3's Stream.flatMap(f, { switch: true }), docs/findings/stream-flatmap-switch.md): does it drop the finalizer of an inner stream it switches away from?
 *
 * effect 4.1.0, Node 22. No test framework: run `npx tsx test/findings/stream-flatmap-switch.ts` in effect4/.
 * It prints the first (budget, N) that shows the bug and exits 1 while the bug is present;
 * it prints "not reproduced" and exits 0 once it is fixed. How: see plain.ts (budgets 10, 12,
 * 16, 32 and the default 2048, N = 0 to 100).
 */
import { Stream } from "effect"
import { handle, report, searchLeak } from "./plain.js"

const program = () =>
  Stream.runDrain(
    Stream.switchMap(Stream.make(1, 2), () => Stream.scoped(Stream.fromEffect(handle)))
  )

report(searchLeak(program))
