/**
 * Cache.get: when the caller running a key's lookup is interrupted, the key is wedged — a
 * later `get` of that key never returns.
 *
 * effect 3.22.4, Node 20+. No test framework: run `npx tsx test/findings/cache-get.ts`.
 * It prints what it saw and exits 1 while the bug is present, 0 once it is fixed.
 *
 * How: the first caller runs in a fiber whose scheduler ends a turn every 12 operations
 * (`Effect.withMaxOpsBeforeYield(12)`); another fiber yields N times, then interrupts it,
 * then calls `get` itself, bounded by a 1 s timeout (a hang detector, not a synchronisation:
 * the lookup takes one yield). It tries N = 0 to 40 and reports the first N that shows it.
 */
import { Cache, Effect, Exit, Fiber } from "effect"

const attempt = (turns: number) =>
  Effect.gen(function* () {
    const cache = yield* Cache.make({
      capacity: 10,
      timeToLive: "1 hour",
      lookup: (_: string) => Effect.as(Effect.yieldNow(), 1)
    })
    const first = yield* Effect.fork(Effect.withMaxOpsBeforeYield(cache.get("a"), 12))
    for (let i = 0; i < turns; i++) yield* Effect.yieldNow()
    yield* Fiber.interrupt(first)
    const later = yield* Effect.exit(Effect.timeout(cache.get("a"), "1 second"))
    return Exit.isSuccess(later) ? "value" : Exit.isInterrupted(later) ? "interrupted" : "hung"
  })

// Expected: the later caller gets the value (it runs the lookup again, or waits for it).
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
