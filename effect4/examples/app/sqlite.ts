/**
 * The example's SQLite driver: effect's `SqlClient` (effect/sql) over Node 22's built-in
 * `node:sqlite`, one `DatabaseSync` connection shared through a semaphore.
 *
 * Why this and not a published driver:
 *
 * - `@effect/sql-sqlite-node`'s v4 builds are betas that fail to import under effect 4.1;
 * - PostgreSQL would need a server installed from Debian and started by every test run;
 * - `node:sqlite` needs nothing installed, and effect 4.1's sql module already supplies the
 *   SQLite pieces: the compiler (`Statement.makeCompilerSqlite`), the single-connection
 *   acquirers with the failed-COMMIT cleanup (`SqlClient.makeSqliteAcquirers`) and the error
 *   classifier (`SqlError.classifySqliteError`). What is left is the small `Connection` over
 *   `DatabaseSync` below.
 *
 * It is this example's adapter, not a library: replace it by the upstream driver once one
 * imports under effect 4.1 (`SqliteClient.make({ filename })` has the same shape).
 *
 * `node:sqlite` is experimental in Node 22: loading it prints `ExperimentalWarning: SQLite is
 * an experimental feature` on stderr. It is a notice, not an error; the service is run with
 * `--disable-warning=ExperimentalWarning` (see main.ts's Run line and test/app.test.ts).
 */
import { Effect, Semaphore, Stream } from "effect"
import type { Scope } from "effect"
import type * as Reactivity from "effect/reactivity/Reactivity"
import { SqlClient, SqlError, Statement } from "effect/sql"
import type { SqlConnection } from "effect/sql"
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite"

/**
 * Where the database is and how it is opened.
 *
 * @example
 * ```ts
 * import type { SqliteClientConfig } from "./sqlite.js"
 *
 * const config: SqliteClientConfig = { filename: "/tmp/app.db" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface SqliteClientConfig {
  /** The database file (created if missing), or `":memory:"`. */
  readonly filename: string
  /** Open it read-only. Default `false`. */
  readonly readonly?: boolean | undefined
  /** Keep SQLite's rollback journal instead of switching to WAL. Default `false` (WAL). */
  readonly disableWAL?: boolean | undefined
}

/** Statements prepared by `execute` are kept, up to this many (the oldest goes first). */
const PREPARE_CACHE_SIZE = 200

/**
 * `node:sqlite` reports SQLite's extended result code as `errcode` (its `code` is Node's
 * `ERR_SQLITE_ERROR`); effect's classifier reads a numeric code from `errno`. So it is shown an
 * error with `errno` set whose `cause` is node:sqlite's own.
 */
const sqlError = (cause: unknown, message: string, operation: string): SqlError.SqlError => {
  const errcode =
    cause instanceof Error && "errcode" in cause && typeof cause.errcode === "number"
      ? cause.errcode
      : undefined
  const classified =
    errcode === undefined
      ? cause
      : Object.assign(new Error((cause as Error).message, { cause }), { errno: errcode })
  return new SqlError.SqlError({
    reason: SqlError.classifySqliteError(classified, { message, operation })
  })
}

/** What node:sqlite binds: it refuses booleans and `undefined`. */
const bind = (params: ReadonlyArray<unknown>): Array<SQLInputValue> =>
  params.map((p) =>
    p === undefined ? null : typeof p === "boolean" ? (p ? 1 : 0) : (p as SQLInputValue)
  )

const makeConnection = (db: DatabaseSync): SqlConnection.Connection => {
  const cache = new Map<string, StatementSync>()
  const prepared = (sql: string): StatementSync => {
    const hit = cache.get(sql)
    if (hit !== undefined) return hit
    const statement = db.prepare(sql)
    if (cache.size >= PREPARE_CACHE_SIZE) cache.delete(cache.keys().next().value!)
    cache.set(sql, statement)
    return statement
  }

  /** Runs a statement synchronously; `SqlClient.SafeIntegers` reads integers as bigints. */
  const run = <A>(
    sql: string,
    cached: boolean,
    operation: string,
    f: (statement: StatementSync) => A
  ): Effect.Effect<A, SqlError.SqlError> =>
    Effect.withFiber((fiber) => {
      try {
        const statement = cached ? prepared(sql) : db.prepare(sql)
        statement.setReadBigInts(fiber.getRef(SqlClient.SafeIntegers))
        return Effect.succeed(f(statement))
      } catch (cause) {
        return Effect.fail(sqlError(cause, "Failed to execute statement", operation))
      }
    })

  const rows = (sql: string, params: ReadonlyArray<unknown>, cached: boolean) =>
    run(sql, cached, "execute", (s) => s.all(...bind(params)) as ReadonlyArray<any>)

  const values = (sql: string, params: ReadonlyArray<unknown>, cached: boolean) =>
    run(sql, cached, "executeValues", (s) => {
      s.setReturnArrays(true)
      try {
        return s.all(...bind(params)) as unknown as ReadonlyArray<ReadonlyArray<unknown>>
      } finally {
        s.setReturnArrays(false)
      }
    })

  return {
    execute: (sql, params, transformRows) => {
      const effect = rows(sql, params, true)
      return transformRows ? Effect.map(effect, transformRows) : effect
    },
    // A statement that returns no rows answers with `{ changes, lastInsertRowid }`.
    executeRaw: (sql, params) =>
      run(sql, true, "executeRaw", (s) =>
        s.columns().length > 0 ? s.all(...bind(params)) : s.run(...bind(params))
      ),
    // The rows are read in one go, then streamed.
    executeStream: (sql, params, transformRows) =>
      Stream.fromArrayEffect(
        transformRows ? Effect.map(rows(sql, params, true), transformRows) : rows(sql, params, true)
      ),
    executeValues: (sql, params) => values(sql, params, true),
    executeValuesUnprepared: (sql, params) => values(sql, params, false),
    executeUnprepared: (sql, params, transformRows) => {
      const effect = rows(sql, params, false)
      return transformRows ? Effect.map(effect, transformRows) : effect
    }
  }
}

/**
 * Opens the database and builds a `SqlClient` on it; the database is closed when the scope
 * closes. One connection, shared through a semaphore (`SqlClient.makeSqliteAcquirers`): a
 * transaction holds it until it ends.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Reactivity from "effect/reactivity/Reactivity"
 * import * as SqliteClient from "./sqlite.js"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const sql = yield* SqliteClient.make({ filename: ":memory:" })
 *     return yield* sql`SELECT 1 AS one`
 *   })
 * ).pipe(Effect.provide(Reactivity.layer))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: SqliteClientConfig
): Effect.Effect<SqlClient.SqlClient, SqlError.SqlError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function* () {
    const db = yield* Effect.acquireRelease(
      Effect.try({
        try: () => new DatabaseSync(options.filename, { readOnly: options.readonly ?? false }),
        catch: (cause) => sqlError(cause, `Failed to open ${options.filename}`, "open")
      }),
      (db) => Effect.sync(() => db.close())
    )
    if (options.disableWAL !== true && options.readonly !== true) {
      yield* Effect.try({
        try: () => db.exec("PRAGMA journal_mode = WAL"),
        catch: (cause) => sqlError(cause, "Failed to switch to WAL", "open")
      })
    }
    const acquirers = SqlClient.makeSqliteAcquirers({
      connection: Effect.succeed(makeConnection(db)),
      semaphore: yield* Semaphore.make(1),
      isTransaction: () => db.isTransaction
    })
    return yield* SqlClient.make({
      ...acquirers,
      compiler: Statement.makeCompilerSqlite(),
      driver: "node-sqlite",
      spanAttributes: [["db.system.name", "sqlite"]]
    })
  })
