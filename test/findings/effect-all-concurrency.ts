/**
 * Effect.all with concurrency never finishes when interrupted while it starts its workers.
 *
 * effect 3.22.4, Node 20+. No test framework: run `npx tsx test/findings/effect-all-concurrency.ts`.
 * It prints what it saw and exits 1 while the bug is present, 0 once it is fixed.
 *
 * How: the program runs in a fiber whose scheduler ends a turn every 32 operations
 * (`Effect.withMaxOpsBeforeYield(32)`); another fiber yields N times and
 * then interrupts it, so the interruption lands at a turn end the runtime itself makes. It
 * tries N = 0 to 100 and reports the first N that shows the bug.
 */
import { Effect, Fiber, Option } from "effect"

let open = 0
let acquired = 0
/** A resource: opened, then closed by its scope's finalizer. */
const handle = Effect.acquireRelease(
  Effect.sync(() => {
    acquired++
    return ++open
  }),
  () =>
    Effect.sync(() => {
      open--
    })
)

const program = Effect.zipRight(
  Effect.all([handle, handle], { concurrency: "unbounded" }),
  Effect.void
).pipe(Effect.scoped)

const interruptAfter = (turns: number) =>
  Effect.gen(function* () {
    open = 0
    acquired = 0
    const fiber = yield* Effect.forkDaemon(Effect.withMaxOpsBeforeYield(program, 32))
    for (let i = 0; i < turns; i++) yield* Effect.yieldNow()
    yield* Fiber.interruptFork(fiber)
    // A hang detector, not a synchronisation: a program that finishes does so within a few turns.
    const exit = yield* Effect.timeout(Fiber.await(fiber), "1 second").pipe(Effect.option)
    const openAtExit = open
    const acquiredAtExit = acquired
    for (let i = 0; i < 50; i++) yield* Effect.yieldNow()
    return {
      finished: Option.isSome(exit),
      openAtExit,
      openLater: open,
      acquiredAfterExit: acquired - acquiredAtExit
    }
  })

type Seen = Effect.Effect.Success<ReturnType<typeof interruptAfter>>
// Expected: it finishes, every handle it opened is closed, nothing is acquired after it ended
const fixed = (seen: Seen) =>
  seen.finished && seen.openAtExit === 0 && seen.openLater === 0 && seen.acquiredAfterExit === 0

const main = Effect.gen(function* () {
  for (let turns = 0; turns <= 100; turns++) {
    const seen = yield* interruptAfter(turns)
    if (!fixed(seen)) return { turns, ...seen }
  }
  return "not reproduced"
})

void Effect.runPromise(main).then((seen) => {
  console.log(JSON.stringify(seen))
  process.exit(seen === "not reproduced" ? 0 : 1)
})
