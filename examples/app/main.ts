/**
 * A small HTTP service built from scoped layers, shut down cleanly by a signal.
 *
 * Layers, in the order they are built: the database (SQLite, a `Resource` whose uses hold
 * leases), the background worker (a `Resource` owning its fiber), the HTTP server, and the
 * HTTP intake (a `Resource` every request holds a lease on). `Shutdown.runMain` releases them
 * in reverse order on SIGTERM or SIGINT:
 *
 *   1. the intake closes: new requests get 503, in-flight requests finish (up to DRAIN_MS,
 *      then they are interrupted and roll back);
 *   2. the server stops listening and closes each connection once its responses are written
 *      (http.ts: whatever their keep-alive);
 *   3. the worker stops;
 *   4. the database closes, once the last query has returned its lease.
 *
 * Each of them is a scopeguard `Resource`, so `Shutdown.runMain` prints a line when it is released
 * (`shutdown: released resource "worker" (#3) in 1 ms`). If the whole shutdown takes longer than
 * DEADLINE_MS, it prints what is still releasing, committing or compensating and exits with 124.
 *
 * POST /jobs?name=<name>&ms=<work>: stages a database row and a temporary file, works for
 * `ms` milliseconds, renames the file into place and marks the row committed, each step armed
 * with its compensation by `Guard.step` and the last write decided by `Guard.commit` in its
 * restore form (jobs.ts; explored at every step by test/app-jobs.test.ts). A request that
 * fails, or whose client disconnects, rolls all of it back. GET /jobs lists the rows.
 *
 * Environment: PORT (default 0: any free port), DATA_DIR (default: a new temporary folder),
 * DRAIN_MS (default 2000), DEADLINE_MS (default 5000), STUCK_WORKER=1 (the worker's stop
 * never ends, to show the deadline's report). Loopback only.
 *
 * Run: npx tsx --conditions=@scopeguard/source examples/app/main.ts
 */
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeContext, NodeHttpServer } from "@effect/platform-node"
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Console, Context, Effect, Fiber, Layer, Schedule } from "effect"
import { existsSync, mkdtempSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Resource } from "@scopeguard/core"
import { Shutdown } from "@scopeguard/platform"
import { Intake, makeNodeServer, withIntake } from "./http.js"
import { type JobStore, runJob } from "./jobs.js"

const env = (name: string, fallback: number) => {
  const value = process.env[name]
  return value === undefined || value === "" ? fallback : Number(value)
}
const port = env("PORT", 0)
const drainMillis = env("DRAIN_MS", 2000)
const deadlineMillis = env("DEADLINE_MS", 5000)
const stuckWorker = process.env["STUCK_WORKER"] === "1"
const dataDir = process.env["DATA_DIR"] ?? mkdtempSync(join(tmpdir(), "scopeguard-app-"))
const filesDir = join(dataDir, "files")
mkdirSync(filesDir, { recursive: true })

const log = (line: string) => Console.log(`[app] ${line}`)

// -- database ------------------------------------------------------------------------------

class Database extends Context.Tag("app/Database")<
  Database,
  Resource.Resource<SqliteClient.SqliteClient>
>() {}

const DatabaseLive = Layer.scoped(
  Database,
  Effect.gen(function* () {
    const db = yield* Resource.fromScoped(
      SqliteClient.make({ filename: join(dataDir, "app.db") }).pipe(
        Effect.provide(Reactivity.layer)
      ),
      { label: "database", drainTimeout: "1 second" }
    )
    yield* Resource.use(
      db,
      (sql) => sql`CREATE TABLE IF NOT EXISTS jobs (name TEXT PRIMARY KEY, status TEXT NOT NULL)`
    )
    yield* log("database open")
    return db
  }).pipe(Effect.orDie)
)

/** A query through a lease: the database is never closed under it. */
const query = <A>(f: (sql: SqliteClient.SqliteClient) => Effect.Effect<A, unknown>) =>
  Effect.flatMap(Database, (db) => Resource.use(db, f))

// -- worker --------------------------------------------------------------------------------

const WorkerLive = Layer.scopedDiscard(
  Effect.gen(function* () {
    const db = yield* Database
    const loop = Resource.use(db, (sql) => sql`SELECT count(*) AS n FROM jobs`).pipe(
      Effect.ignore,
      Effect.repeat(Schedule.spaced("50 millis"))
    )
    // `interruptible`: an acquisition is uninterruptible, and a fiber forked in it inherits
    // that; without it the worker could never be stopped.
    yield* Resource.make(
      Effect.forkDaemon(Effect.interruptible(loop)),
      (fiber) =>
        stuckWorker
          ? // A stop that cannot be interrupted and never ends: the deadline's report names it.
            Effect.uninterruptible(Effect.never)
          : Fiber.interrupt(fiber),
      { label: "worker" }
    )
    yield* log("worker started")
  })
)

// -- HTTP ----------------------------------------------------------------------------------

const badRequest = (message: string) => HttpServerResponse.text(message, { status: 400 })

/** The job's storage: the jobs table and the files folder (see jobs.ts). */
const jobStore = Effect.map(Database, (db): JobStore => {
  const query = (f: (sql: SqliteClient.SqliteClient) => Effect.Effect<unknown, unknown>) =>
    Effect.asVoid(Resource.use(db, f))
  const temp = (name: string) => join(filesDir, `.${name}.tmp`)
  const final = (name: string) => join(filesDir, `${name}.txt`)
  return {
    stageRow: (name) =>
      query((sql) => sql`INSERT INTO jobs (name, status) VALUES (${name}, 'staged')`),
    unstageRow: (name) =>
      query((sql) => sql`DELETE FROM jobs WHERE name = ${name} AND status = 'staged'`),
    writeTemp: (name) => Effect.sync(() => writeFileSync(temp(name), `job ${name}\n`)),
    removeTemp: (name) => Effect.sync(() => rmSync(temp(name), { force: true })),
    placeFile: (name) => Effect.sync(() => renameSync(temp(name), final(name))),
    unplaceFile: (name) =>
      Effect.sync(() => existsSync(final(name)) && renameSync(final(name), temp(name))),
    markCommitted: (name) =>
      query((sql) => sql`UPDATE jobs SET status = 'committed' WHERE name = ${name}`),
    log
  }
})

const createJob = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  const url = new URL(request.url, "http://localhost")
  const name = url.searchParams.get("name") ?? ""
  const work = Number(url.searchParams.get("ms") ?? "0")
  if (!/^[a-z0-9-]{1,40}$/.test(name)) return yield* badRequest("name: 1 to 40 of a-z 0-9 -")
  if (!(work >= 0 && work <= 60_000)) return yield* badRequest("ms: 0 to 60000")
  yield* log(`job ${name}: started`)
  yield* runJob(yield* jobStore, name, Effect.sleep(work)) // the work: in flight while it runs
  yield* log(`job ${name}: committed`)
  return yield* HttpServerResponse.json({ name, status: "committed" })
})

const listJobs = Effect.map(
  query((sql) => sql`SELECT name, status FROM jobs ORDER BY name`),
  (rows) => HttpServerResponse.unsafeJson(rows)
)

const router = HttpRouter.empty.pipe(
  HttpRouter.post("/jobs", withIntake(createJob)),
  HttpRouter.get("/jobs", withIntake(listJobs))
)

const HttpLive = Layer.scopedDiscard(
  Effect.gen(function* () {
    const intake = yield* Resource.make(Effect.void, () => Effect.void, {
      label: "http intake",
      drainTimeout: `${drainMillis} millis`
    })
    yield* HttpServer.serveEffect(router.pipe(Effect.provideService(Intake, intake)))
    const address = (yield* HttpServer.HttpServer).address
    if (address._tag === "TcpAddress") yield* log(`listening on http://127.0.0.1:${address.port}`)
    // Registered last, so released first: drain the requests before the server stops
    // handling them (the intake's release was registered before the server's handler).
    yield* Effect.addFinalizer(() => Resource.close(intake))
  })
)

/**
 * The Node HTTP server on loopback, adopted as a `Resource` so that its closing (it stops
 * listening) is tracked and named by the shutdown.
 */
const ServerLive = Layer.mergeAll(
  Layer.scoped(
    HttpServer.HttpServer,
    Effect.flatMap(
      Resource.fromScoped(NodeHttpServer.make(makeNodeServer, { port, host: "127.0.0.1" }), {
        label: "http server"
      }),
      (server) => Effect.orDie(Resource.get(server))
    )
  ),
  NodeHttpServer.layerContext
)

// Built in this order — database, worker, server, HTTP intake — and released in reverse.
const AppLive = HttpLive.pipe(
  Layer.provide(ServerLive),
  Layer.provide(WorkerLive),
  Layer.provideMerge(DatabaseLive),
  Layer.provide(NodeContext.layer)
)

Shutdown.runMain(Layer.launch(AppLive), {
  deadline: `${deadlineMillis} millis`,
  log: (line) => console.log(`[app] ${line}`)
})
