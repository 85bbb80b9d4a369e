/**
 * Three small exercises: a cleanup witness, a guard with a counter, and a resource with an
 * async close that warns when nobody closed it — the Effect 4 edition.
 *
 * Shows: `Resource.awaitRelease` witnessing that cleanup ran (once); a guard's counter moving
 * only when the guard is not disarmed; and `warnIfNotClosed` naming a resource whose scope had
 * to release it, after its async close has finished.
 *
 * Run: (cd effect4 && npx tsx --conditions=@scopeguard/source examples/seed-exercises.ts)
 * Prints:
 *   witness: cleanup ran once, exit Success, by scope
 *   counter: disarmed guard ran 0 times
 *   counter: armed guard ran 1 time
 *   warning: WARN Resource "socket" was not closed: its scope released it. Call Resource.close when you are done with it.
 *   async close: flushed, then closed socket
 *   async close: flushed, then closed socket
 *   closed explicitly: no warning
 */
import { Console, Effect, Logger, References } from "effect"
import { Guard, Resource } from "@scopeguard/core"

const witness = Effect.gen(function* () {
  let runs = 0
  const r = yield* Effect.scoped(Resource.make(Effect.void, () => Effect.sync(() => runs++)))
  const exit = yield* Resource.awaitRelease(r)
  const state = yield* Resource.state(r)
  const by = state._tag === "Released" ? state.by : "nobody"
  yield* Console.log(
    `witness: cleanup ran ${runs === 1 ? "once" : `${runs} times`}, exit ${exit._tag}, by ${by}`
  )
})

const counter = Effect.gen(function* () {
  let disarmedRuns = 0
  let armedRuns = 0
  yield* Effect.scoped(
    Effect.gen(function* () {
      const g = yield* Guard.make(Effect.sync(() => disarmedRuns++))
      yield* Guard.disarm(g)
      yield* Guard.make(Effect.sync(() => armedRuns++))
    })
  )
  yield* Console.log(`counter: disarmed guard ran ${disarmedRuns} times`)
  yield* Console.log(`counter: armed guard ran ${armedRuns} time${armedRuns === 1 ? "" : "s"}`)
})

/** A socket whose close is async: it flushes first. */
const openSocket = Resource.make(
  Effect.succeed("socket"),
  (name) =>
    Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10))).pipe(
      Effect.andThen(Console.log(`async close: flushed, then closed ${name}`))
    ),
  { label: "socket", warnIfNotClosed: true }
)

/** Effect 4's log levels are "Warn", "Info", …; a message is the array of what was logged. */
const warningLogger = Logger.make(({ logLevel, message }) => {
  const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
  console.log(`warning: ${logLevel.toUpperCase()} ${text}`)
})

const warnings = Effect.gen(function* () {
  yield* Effect.scoped(openSocket) // nobody calls close: the scope does, and warns
  yield* Effect.scoped(Effect.flatMap(openSocket, Resource.close)).pipe(
    Effect.andThen(Console.log("closed explicitly: no warning"))
  )
}).pipe(
  Effect.provide(Logger.layer([warningLogger])),
  Effect.provideService(References.MinimumLogLevel, "Warn")
)

Effect.runPromise(Effect.all([witness, counter, warnings], { discard: true }))
