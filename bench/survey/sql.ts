/**
 * The survey's paths in `@effect/sql`, on `@effect/sql-sqlite-node` (one in-memory database,
 * one connection behind a semaphore). The client is built once (`setup`), outside the runs;
 * each run resets the table it writes.
 */
import { SqlClient, SqlResolver } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import type { SqlError } from "@effect/sql/SqlError"
import type { Context } from "effect"
import { Deferred, Effect, Exit, Fiber, Layer, Schema, Scope } from "effect"
import { path, type Path } from "./world.js"

let context: Context.Context<SqlClient.SqlClient> | undefined
let scope: Scope.CloseableScope | undefined

/** Nothing to build once: every run has a client of its own (see `withSql`). */
export const setup = Effect.void

/**
 * A run on a client of its own: a run that wedges its connection cannot wedge the next one.
 * Called once per run (a program function), it builds a fresh in-memory database and closes
 * the previous run's, whose check has run by then.
 */
const withSql =
  <A, E>(f: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
  (): Effect.Effect<A, E | SqlError> => {
    if (scope !== undefined) Effect.runSync(Scope.close(scope, Exit.void))
    scope = Effect.runSync(Scope.make())
    context = Effect.runSync(
      Layer.buildWithScope(SqliteClient.layer({ filename: ":memory:" }), scope)
    )
    const ctx = context
    Effect.runSync(
      Effect.provide(
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql`CREATE TABLE t (id INTEGER)`),
        ctx
      )
    )
    return Effect.provide(Effect.flatMap(SqlClient.SqlClient, f), ctx)
  }

/** The check's query, on the client of the run that just ended. */
const query = <A, E>(f: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
  Effect.suspend(() => Effect.provide(Effect.flatMap(SqlClient.SqlClient, f), context!))

/** The connection is free (a query runs within a second) and `t` holds 0 or `n` rows. */
const consistent = (n: number) => () =>
  query((sql) =>
    Effect.flatMap(
      Effect.timeout(sql<{ n: number }>`SELECT count(*) AS n FROM t`, "1 second"),
      ([row]) =>
        row!.n === 0 || row!.n === n
          ? Effect.void
          : Effect.fail(`${row!.n} of ${n} rows: a transaction half-applied`)
    )
  ).pipe(Effect.catchTag("TimeoutException", () => Effect.fail("the connection is still held")))

export const paths = (): ReadonlyArray<Path> => [
  path(
    "@effect/sql",
    "SqlClient.withTransaction, two inserts",
    withSql((sql) =>
      sql.withTransaction(
        Effect.zipRight(sql`INSERT INTO t VALUES (1)`, sql`INSERT INTO t VALUES (2)`)
      )
    ),
    { check: consistent(2) }
  ),
  path(
    "@effect/sql",
    "SqlClient.withTransaction nested (savepoint)",
    withSql((sql) =>
      sql.withTransaction(
        Effect.zipRight(
          sql`INSERT INTO t VALUES (1)`,
          sql.withTransaction(sql`INSERT INTO t VALUES (2)`)
        )
      )
    ),
    { check: consistent(2) }
  ),
  path(
    "@effect/sql",
    "SqlClient.reserve, scoped",
    withSql((sql) =>
      Effect.scoped(Effect.flatMap(sql.reserve, (conn) => conn.execute("SELECT 1", [], undefined)))
    ),
    { check: consistent(0) }
  ),
  path(
    "@effect/sql",
    "SqlClient.withTransaction waiting for the connection, with a timeout",
    withSql((sql) =>
      Effect.gen(function* () {
        const release = yield* Deferred.make<void>()
        const holding = yield* Deferred.make<void>()
        const holder = yield* Effect.fork(
          sql.withTransaction(
            Effect.zipRight(Deferred.succeed(holding, undefined), Deferred.await(release))
          )
        )
        yield* Deferred.await(holding)
        // A caller that gives up after 50 ms on a busy connection.
        yield* Effect.timeoutOption(sql.withTransaction(sql`SELECT 1`), "50 millis")
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(holder)
      })
    ),
    { check: consistent(0), hangTimeout: "500 millis" }
  ),
  path(
    "@effect/sql",
    "SqlResolver.ordered, two concurrent requests",
    withSql((sql) =>
      Effect.gen(function* () {
        const insert = yield* SqlResolver.ordered("Insert", {
          Request: Schema.Number,
          Result: Schema.Struct({ id: Schema.Number }),
          execute: (ids) =>
            sql<{ id: number }>`INSERT INTO t ${sql.insert(ids.map((id) => ({ id })))} RETURNING id`
        })
        yield* Effect.all([insert.execute(1), insert.execute(2)], {
          concurrency: 2,
          batching: true
        })
      })
    ),
    { check: consistent(2) }
  )
]
