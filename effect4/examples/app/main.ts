/**
 * A small HTTP service built from scoped layers, shut down cleanly by a signal (the Effect 4
 * edition of examples/app: same behaviour, same environment, same lines).
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
 * The database is a SQLite file through Node 22's built-in `node:sqlite`, behind effect's
 * `SqlClient` (sqlite.ts, which says why: no effect 4.1 SQLite driver imports yet). Loading
 * `node:sqlite` prints an `ExperimentalWarning` on stderr, hence the flag in the Run line.
 *
 * Environment: PORT (default 0: any free port), DATA_DIR (default: a new temporary folder),
 * DRAIN_MS (default 2000), DEADLINE_MS (default 5000), STUCK_WORKER=1 (the worker's stop
 * never ends, to show the deadline's report). Loopback only.
 *
 * Run (in effect4/, Node 22):
 *   npx tsx --disable-warning=ExperimentalWarning --conditions=@scopeguard/source examples/app/main.ts
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Console, Context, Effect, Fiber, Layer, Schedule } from "effect"
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "effect/http"
import * as Reactivity from "effect/reactivity/Reactivity"
import type { SqlClient } from "effect/sql"
import { existsSync, mkdtempSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Resource } from "@scopeguard/core"
import { Shutdown } from "@scopeguard/platform"
import { Intake, makeNodeServer, withIntake } from "./http.js"
import { type JobStore, runJob } from "./jobs.js"
import * as SqliteClient from "./sqlite.js"

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

/** The database: every query holds a lease on it, so it is never closed under one. */
class Database extends Context.Service<Database, Resource.Resource<SqlClient.SqlClient>>()(
  "app/Database"
) {}

const DatabaseLive = Layer.effect(
  Database,
  Effect.gen(function* () {
    const db = yield* Resource.fromScoped(
      SqliteClient.make({ filename: join(dataDir, "app.db") }).pipe(
        Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make)
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

/** A query through a lease. */
const query = <A>(f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Database.use((db) => Resource.use(db, f))

// -- worker --------------------------------------------------------------------------------

const WorkerLive = Layer.effectDiscard(
  Effect.gen(function* () {
    const db = yield* Database
    const loop = Resource.use(db, (sql) => sql`SELECT count(*) AS n FROM jobs`).pipe(
      Effect.ignore,
      Effect.repeat(Schedule.spaced("50 millis"))
    )
    // The acquisition is uninterruptible, but in Effect 4 a forked fiber starts interruptible
    // whatever its parent is (unless asked to inherit), so the worker can be stopped.
    yield* Resource.make(
      Effect.forkDetach(loop),
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
const jobStore = Database.useSync((db): JobStore => {
  const write = (f: (sql: SqlClient.SqlClient) => Effect.Effect<unknown, unknown>) =>
    Effect.asVoid(Resource.use(db, f))
  const temp = (name: string) => join(filesDir, `.${name}.tmp`)
  const final = (name: string) => join(filesDir, `${name}.txt`)
  return {
    stageRow: (name) =>
      write((sql) => sql`INSERT INTO jobs (name, status) VALUES (${name}, 'staged')`),
    unstageRow: (name) =>
      write((sql) => sql`DELETE FROM jobs WHERE name = ${name} AND status = 'staged'`),
    writeTemp: (name) => Effect.sync(() => writeFileSync(temp(name), `job ${name}\n`)),
    removeTemp: (name) => Effect.sync(() => rmSync(temp(name), { force: true })),
    placeFile: (name) => Effect.sync(() => renameSync(temp(name), final(name))),
    unplaceFile: (name) =>
      Effect.sync(() => existsSync(final(name)) && renameSync(final(name), temp(name))),
    markCommitted: (name) =>
      write((sql) => sql`UPDATE jobs SET status = 'committed' WHERE name = ${name}`),
    log
  }
})

/** A query parameter's (first) value. */
const param = (params: HttpServerRequest.ParsedSearchParams["Service"], key: string) => {
  const value = params[key]
  return typeof value === "string" ? value : value?.[0]
}

const createJob = Effect.gen(function* () {
  const params = yield* HttpServerRequest.ParsedSearchParams
  const name = param(params, "name") ?? ""
  const work = Number(param(params, "ms") ?? "0")
  if (!/^[a-z0-9-]{1,40}$/.test(name)) return badRequest("name: 1 to 40 of a-z 0-9 -")
  if (!(work >= 0 && work <= 60_000)) return badRequest("ms: 0 to 60000")
  yield* log(`job ${name}: started`)
  yield* runJob(yield* jobStore, name, Effect.sleep(work)) // the work: in flight while it runs
  yield* log(`job ${name}: committed`)
  return yield* HttpServerResponse.json({ name, status: "committed" })
})

const listJobs = Effect.map(
  query((sql) => sql`SELECT name, status FROM jobs ORDER BY name`),
  (rows) => HttpServerResponse.jsonUnsafe(rows)
)

// The router runs each route interruptibly (Effect 4's server handles a request
// uninterruptibly until it reaches a route): a client that disconnects interrupts its job.
const Routes = HttpRouter.addAll([
  HttpRouter.route("POST", "/jobs", withIntake(createJob)),
  HttpRouter.route("GET", "/jobs", withIntake(listJobs))
])

const HttpLive = Layer.effectDiscard(
  Effect.gen(function* () {
    const intake = yield* Resource.make(Effect.void, () => Effect.void, {
      label: "http intake",
      drainTimeout: `${drainMillis} millis`
    })
    const app = yield* HttpRouter.toHttpEffect(Routes)
    yield* HttpServer.serveEffect(Effect.provideService(app, Intake, intake))
    const { address } = yield* HttpServer.HttpServer
    if (address._tag !== "UnixPathAddress") {
      yield* log(`listening on http://127.0.0.1:${address.port}`)
    }
    // Registered last, so released first: drain the requests before the server stops
    // handling them (the intake's release was registered before the server's handler).
    yield* Effect.addFinalizer(() => Resource.close(intake))
  })
)

/**
 * The Node HTTP server on loopback, adopted as a `Resource` so that its closing (it stops
 * listening) is tracked and named by the shutdown.
 */
const ServerLive = Layer.effect(
  HttpServer.HttpServer,
  Effect.flatMap(
    Resource.fromScoped(NodeHttpServer.make(makeNodeServer, { port, host: "127.0.0.1" }), {
      label: "http server"
    }),
    (server) => Effect.orDie(Resource.get(server))
  )
)

// Built in this order — database, worker, server, HTTP intake — and released in reverse.
const AppLive = HttpLive.pipe(
  Layer.provide(ServerLive),
  Layer.provide(WorkerLive),
  Layer.provideMerge(DatabaseLive)
)

Shutdown.runMain(Layer.launch(AppLive), {
  deadline: `${deadlineMillis} millis`,
  log: (line) => console.log(`[app] ${line}`)
})
