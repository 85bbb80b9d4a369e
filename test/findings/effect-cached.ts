/**
 * Effect.cached: when its first caller is interrupted while computing the value, every later
 * caller gets that interruption instead of a value — at the runtime's default budget.
 *
 * effect 3.22.4, Node 20+. No test framework: run `npx tsx test/findings/effect-cached.ts`.
 * It prints what it saw and exits 1 while the bug is present, 0 once it is fixed.
 *
 * How: the first caller runs in a fiber of its own with the default scheduler; another fiber
 * yields N times, interrupts it, then calls the cached effect itself (bounded by a 1 s
 * timeout, a hang detector). It tries N = 0 to 40 and reports the first N that shows it.
 */
import { Effect, Exit, Fiber } from "effect"

const attempt = (turns: number) =>
  Effect.gen(function* () {
    const cached = yield* Effect.cached(Effect.as(Effect.yieldNow(), 1))
    const first = yield* Effect.fork(cached)
    for (let i = 0; i < turns; i++) yield* Effect.yieldNow()
    yield* Fiber.interrupt(first)
    const later = yield* Effect.exit(Effect.timeout(cached, "1 second"))
    return Exit.isSuccess(later) ? "value" : Exit.isInterrupted(later) ? "interrupted" : "hung"
  })

// Expected: the later caller gets the value (it is not the interrupted one).
const main = Effect.gen(function* () {
  for (let turns = 0; turns <= 40; turns++) {
    const later = yield* attempt(turns)
    if (later !== "value") return { turns, later }
  }
  return "not reproduced"
})

void Effect.runPromise(main).then((seen) => {
  console.log(JSON.stringify(seen))
  process.exit(seen === "not reproduced" ? 0 : 1)
})
