/**
 * SqlClient.withTransaction cannot be interrupted while it waits for the connection: a
 * timeout or an interruption of a transaction queued behind another one takes effect only
 * once the other one has finished.
 *
 * @effect/sql 0.52.1, @effect/sql-sqlite-node 0.53.0, effect 3.22.4, Node 20+.
 * Run `npx tsx test/findings/sql-transaction-wait.ts`: it prints what it saw and exits 1
 * while the bug is present, 0 once it is fixed.
 *
 * How: transaction A holds the (single) connection until it is told to finish; transaction B
 * is started and queues for the connection; B is interrupted. With a 1 s bound (a hang
 * detector, not a synchronisation), does the interruption return while A still holds the
 * connection? A plain query queued the same way (`sql\`SELECT 1\``) is the control.
 */
import { SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Deferred, Effect, Fiber, Option } from "effect"

/** Whether interrupting `waiting`, queued behind a transaction, returns while that one runs. */
const interruptWhileQueued = <A, E>(waiting: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const holding = yield* Deferred.make<void>()
    const release = yield* Deferred.make<void>()
    const holder = yield* Effect.fork(
      sql.withTransaction(
        Effect.zipRight(Deferred.succeed(holding, undefined), Deferred.await(release))
      )
    )
    yield* Deferred.await(holding)
    const queued = yield* Effect.fork(waiting(sql))
    // Let it reach the wait for the connection.
    for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
    const interrupted = yield* Effect.timeout(Fiber.interrupt(queued), "1 second").pipe(
      Effect.option
    )
    yield* Deferred.succeed(release, undefined)
    yield* Fiber.join(holder)
    yield* Fiber.await(queued)
    return Option.isSome(interrupted) ? "returned" : "blocked until the connection was free"
  })

const main = Effect.gen(function* () {
  return {
    query: yield* interruptWhileQueued((sql) => sql`SELECT 1`),
    transaction: yield* interruptWhileQueued((sql) => sql.withTransaction(sql`SELECT 1`))
  }
}).pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" })))

// Expected: both "returned". Actual: the transaction's interruption blocks.
void Effect.runPromise(main).then((seen) => {
  console.log(JSON.stringify(seen))
  process.exit(seen.transaction === "returned" ? 0 : 1)
})
