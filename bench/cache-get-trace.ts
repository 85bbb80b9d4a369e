/**
 * `node --import tsx bench/cache-get-trace.ts`: the schedule by which the plain reproduction of
 * the `Cache.get` finding (test/findings/cache-get.ts: budget 12 on the first caller alone,
 * another fiber yields N times and interrupts it) wedges the key, traced operation by
 * operation with a supervisor. It prints the first caller's operations from its last turn
 * before the interruption to its last: the operation count of its turn, the operation, and
 * where the interruption was sent. What it shows (packages/vitest/README.md, "The defaults"):
 * the caller is interrupted while it waits at a budget yield, and its cleanup is preempted by
 * the budget again, so the other fiber's `get` runs in between — two perturbations. (Under
 * the tracer's own operations the first N that shows it is 2; cache-get.ts, untraced, finds 3.)
 */
import { Cache, Effect, Exit, Fiber, RuntimeFlags, RuntimeFlagsPatch, Supervisor } from "effect"

const log: Array<string> = []
let first: Fiber.RuntimeFiber<number, never> | undefined

class Trace extends Supervisor.AbstractSupervisor<void> {
  value = Effect.void
  override onEffect<A, E>(fiber: Fiber.RuntimeFiber<A, E>, effect: Effect.Effect<any, any, any>) {
    if (fiber !== (first as unknown)) return
    const count = (fiber as unknown as { currentOpCount: number }).currentOpCount
    log.push(`${count} ${String((effect as { _op?: unknown })._op)}`)
  }
  override onSuspend<A, E>(fiber: Fiber.RuntimeFiber<A, E>) {
    if (fiber === (first as unknown)) log.push("(suspends)")
  }
}

const attempt = (turns: number) =>
  Effect.gen(function* () {
    const cache = yield* Cache.make({
      capacity: 10,
      timeToLive: "1 hour",
      lookup: (_: string) => Effect.as(Effect.yieldNow(), 1)
    })
    first = yield* Effect.fork(Effect.withMaxOpsBeforeYield(cache.get("a"), 12))
    for (let i = 0; i < turns; i++) yield* Effect.yieldNow()
    log.push("<- the other fiber interrupts it here")
    yield* Fiber.interrupt(first)
    const later = yield* Effect.exit(Effect.timeout(cache.get("a"), "1 second"))
    return Exit.isSuccess(later) ? "value" : "no value"
  })

for (let turns = 0; turns <= 40; turns++) {
  log.length = 0
  const later = await Effect.runPromise(
    attempt(turns).pipe(
      Effect.supervised(new Trace()),
      Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.enable(RuntimeFlags.OpSupervision))
    )
  )
  if (later === "value") continue
  const sent = log.indexOf("<- the other fiber interrupts it here")
  const from = log.lastIndexOf("(suspends)", sent - 2)
  console.log(`N = ${turns}: the later get got no value. The first caller's operations:`)
  console.log(log.slice(from + 1).join("\n"))
  process.exit(0)
}
console.log("not reproduced")
