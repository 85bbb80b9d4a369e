/**
 * SqlClient.withTransaction (Effect 3 finding docs/findings/sql-transaction-wait.md): can it be
 * interrupted while it waits for its connection?
 *
 * effect 4.1.0 (effect/sql, no driver: examples/app/sqlite.ts, the example's client over Node
 * 22's node:sqlite with effect's own SQLite acquirers), Node 22. No test framework: run
 * `npx tsx test/findings/sql-transaction-wait.ts` in effect4/. It prints what it saw and exits
 * 1 while the bug is present, 0 once it is fixed.
 *
 * How: one fiber holds a transaction open; a second one queues behind it (a plain query, then
 * a transaction); the main fiber yields 10 times, then interrupts the queued one, bounded by a
 * 1 s timeout (a hang detector); the holder is released afterwards.
 */
import { Deferred, Effect, Fiber, Layer, Option } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import type { SqlClient } from "effect/sql"
import { make } from "../../examples/app/sqlite.js"

/** Whether interrupting `waiting`, queued behind a transaction, returns while that one runs. */
const interruptWhileQueued = <A, E>(
  sql: SqlClient.SqlClient,
  waiting: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>
) =>
  Effect.gen(function* () {
    const holding = yield* Deferred.make<void>()
    const release = yield* Deferred.make<void>()
    const holder = yield* Effect.forkChild(
      sql.withTransaction(
        Effect.andThen(Deferred.succeed(holding, undefined), Deferred.await(release))
      )
    )
    yield* Deferred.await(holding)
    const queued = yield* Effect.forkChild(waiting(sql))
    // Let it reach the wait for the connection.
    for (let i = 0; i < 10; i++) yield* Effect.yieldNow
    // Not vacuous: it is still waiting (the connection is held).
    if (queued.pollUnsafe() !== undefined) return "did not wait"
    const interrupted = yield* Effect.timeoutOption(Fiber.interrupt(queued), "1 second")
    yield* Deferred.succeed(release, undefined)
    yield* Fiber.join(holder)
    yield* Effect.exit(Fiber.join(queued))
    return Option.isSome(interrupted) ? "returned" : "blocked until the connection was free"
  })

const main = Effect.gen(function* () {
  const sql = yield* make({ filename: ":memory:" })
  const seen = {
    query: yield* interruptWhileQueued(sql, (sql) => sql`SELECT 1`),
    transaction: yield* interruptWhileQueued(sql, (sql) => sql.withTransaction(sql`SELECT 1`))
  }
  return seen.query === "returned" && seen.transaction === "returned" ? "not reproduced" : seen
}).pipe(Effect.scoped, Effect.provide(Layer.fresh(Reactivity.layer)))

// Expected: both "returned".
void Effect.runPromise(main).then((seen) => {
  console.log(JSON.stringify(seen))
  process.exit(seen === "not reproduced" ? 0 : 1)
})
