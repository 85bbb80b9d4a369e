/**
 * examples/app (the Effect 4 edition) as a real process: real HTTP requests on loopback, real
 * signals, the SQLite file read back with node:sqlite. Every wait is bounded; a child still
 * alive after a test is killed.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { request as httpRequest } from "node:http"
import { createRequire } from "node:module"
import type * as NodeSqlite from "node:sqlite"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterEach, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))

/**
 * node:sqlite, loaded without the ExperimentalWarning Node 22 prints the first time it is
 * loaded (a notice, not a failure of these tests; every other warning still prints). The
 * service itself runs with --disable-warning=ExperimentalWarning, as its Run line says.
 */
const { DatabaseSync } = ((): typeof NodeSqlite => {
  const emitWarning = process.emitWarning
  process.emitWarning = ((warning: string | Error, ...rest: Array<never>) => {
    const message = typeof warning === "string" ? warning : warning.message
    if (!message.startsWith("SQLite is an experimental feature")) {
      emitWarning.call(process, warning, ...rest)
    }
  }) as typeof process.emitWarning
  try {
    return createRequire(import.meta.url)("node:sqlite") as typeof NodeSqlite
  } finally {
    process.emitWarning = emitWarning
  }
})()

/** Rejects after `ms`: every wait of these tests is bounded. */
const within = <A>(ms: number, what: string, promise: Promise<A>): Promise<A> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)),
        ms
      )
    })
  ]).finally(() => clearTimeout(timer))
}

interface App {
  readonly child: ChildProcess
  readonly lines: Array<string>
  readonly dataDir: string
  port: number
  /** Resolves with the first line matching `pattern` (already printed or to come). */
  line(pattern: RegExp, ms?: number): Promise<string>
  /** Resolves with the exit code. */
  exited(ms: number): Promise<number | null>
}

const apps: Array<App> = []

const startApp = async (env: Record<string, string> = {}): Promise<App> => {
  const dataDir = mkdtempSync(join(tmpdir(), "scopeguard-app4-test-"))
  const child = spawn(
    process.execPath,
    [
      "--disable-warning=ExperimentalWarning",
      "--import",
      "tsx",
      "--conditions=@scopeguard/source",
      "examples/app/main.ts"
    ],
    { cwd: root, env: { ...process.env, PORT: "0", DATA_DIR: dataDir, ...env } }
  )
  const lines: Array<string> = []
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = []
  let buffer = ""
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk
    const parts = buffer.split("\n")
    buffer = parts.pop()!
    for (const line of parts) {
      lines.push(line)
      for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(line)
      }
    }
  })
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => lines.push(`stderr: ${chunk}`))
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const app: App = {
    child,
    lines,
    dataDir,
    port: 0,
    line: (pattern, ms = 20_000) =>
      within(
        ms,
        `a line matching ${pattern} (got: ${lines.join(" | ")})`,
        new Promise<string>((resolve) => {
          const seen = lines.find((l) => pattern.test(l))
          if (seen !== undefined) resolve(seen)
          else waiters.push({ pattern, resolve })
        })
      ),
    exited: (ms) => within(ms, "the process to exit", exit)
  }
  apps.push(app)
  const listening = await app.line(/listening on http:\/\/127\.0\.0\.1:(\d+)/)
  app.port = Number(/:(\d+)$/.exec(listening)![1])
  return app
}

afterEach(() => {
  for (const app of apps.splice(0)) {
    if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill("SIGKILL")
    rmSync(app.dataDir, { recursive: true, force: true })
  }
})

interface Sent {
  readonly response: Promise<{ status: number; body: string }>
  /** The response's `connection` header. */
  readonly connection: Promise<string | undefined>
  readonly abort: () => void
}

const send = (app: App, method: string, path: string): Sent => {
  let abort = () => {}
  let connection: (value: string | undefined) => void = () => {}
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: app.port, method, path }, (res) => {
      connection(res.headers.connection)
      let body = ""
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on("error", reject)
    abort = () => req.destroy()
    req.end()
  })
  return {
    response,
    connection: new Promise((resolve) => (connection = resolve)),
    abort
  }
}

const rows = (app: App) => {
  const db = new DatabaseSync(join(app.dataDir, "app.db"), { readOnly: true })
  try {
    // Plain objects: node:sqlite's rows have a null prototype.
    return db
      .prepare("SELECT name, status FROM jobs ORDER BY name")
      .all()
      .map((row) => ({ ...row }))
  } finally {
    db.close()
  }
}

const files = (app: App) => readdirSync(join(app.dataDir, "files")).sort()

const shutdownLines = (app: App) =>
  app.lines
    .filter((l) => l.startsWith("[app] shutdown:"))
    .map((l) => l.replace(/\(#\d+\)/, "(#N)").replace(/\d+ ms/, "N ms"))

describe("examples/app: a layered service shut down by a signal", () => {
  it("SIGTERM: in-flight requests finish, a late one gets 503, layers close in reverse order, exit 0", async () => {
    const app = await startApp({ DRAIN_MS: "5000", DEADLINE_MS: "10000" })
    expect(app.lines.slice(0, 3)).toEqual([
      "[app] database open",
      "[app] worker started",
      `[app] listening on http://127.0.0.1:${app.port}`
    ])
    const inFlight = [
      send(app, "POST", "/jobs?name=a&ms=300"),
      send(app, "POST", "/jobs?name=b&ms=500"),
      send(app, "POST", "/jobs?name=c&ms=700")
    ]
    for (const name of ["a", "b", "c"]) await app.line(new RegExp(`job ${name}: started`))
    app.child.kill("SIGTERM")
    await app.line(/shutdown: SIGTERM received/)
    const lateRequest = send(app, "POST", "/jobs?name=late&ms=0")
    const late = await within(5000, "the late request", lateRequest.response)
    expect(late).toEqual({ status: 503, body: "shutting down" })
    // While the intake drains, responses say `connection: close`, so that clients do not reuse a
    // connection about to close (the server's stop closes each connection once its responses
    // are written, whatever they said: test/app-http.test.ts).
    expect(await lateRequest.connection).toBe("close")
    const responses = await within(
      10_000,
      "the in-flight responses",
      Promise.all(inFlight.map((s) => s.response))
    )
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200])
    expect(await app.exited(15_000)).toBe(0)
    expect(shutdownLines(app)).toEqual([
      "[app] shutdown: SIGTERM received; releasing everything, deadline 10s",
      '[app] shutdown: released resource "http intake" (#N) in N ms',
      '[app] shutdown: released resource "http server" (#N) in N ms',
      '[app] shutdown: released resource "worker" (#N) in N ms',
      '[app] shutdown: released resource "database" (#N) in N ms',
      "[app] shutdown: complete in N ms"
    ])
    // Nothing on stderr: no error, and no ExperimentalWarning from node:sqlite.
    expect(app.lines.filter((l) => l.startsWith("stderr:"))).toEqual([])
    expect(rows(app)).toEqual([
      { name: "a", status: "committed" },
      { name: "b", status: "committed" },
      { name: "c", status: "committed" }
    ])
    expect(files(app)).toEqual(["a.txt", "b.txt", "c.txt"])
  }, 60_000)

  it("a client that disconnects mid-request gets its work rolled back", async () => {
    const app = await startApp()
    const sent = send(app, "POST", "/jobs?name=gone&ms=30000")
    sent.response.catch(() => {})
    await app.line(/job gone: started/)
    sent.abort()
    await app.line(/job gone: temporary file removed/)
    await app.line(/job gone: row rolled back/)
    expect(rows(app)).toEqual([])
    expect(files(app)).toEqual([])
    app.child.kill("SIGTERM")
    expect(await app.exited(15_000)).toBe(0)
  }, 60_000)

  it("a request longer than the drain bound is interrupted and rolled back; the rest commit", async () => {
    const app = await startApp({ DRAIN_MS: "300" })
    const slow = send(app, "POST", "/jobs?name=slow&ms=30000")
    const quick = send(app, "POST", "/jobs?name=quick&ms=100")
    await app.line(/job slow: started/)
    await app.line(/job quick: started/)
    app.child.kill("SIGTERM")
    expect(await within(10_000, "quick", quick.response)).toEqual({
      status: 200,
      body: JSON.stringify({ name: "quick", status: "committed" })
    })
    expect(await within(10_000, "slow", slow.response)).toEqual({
      status: 503,
      body: "shutting down"
    })
    expect(await app.exited(15_000)).toBe(0)
    expect(rows(app)).toEqual([{ name: "quick", status: "committed" }])
    expect(files(app)).toEqual(["quick.txt"])
    expect(existsSync(join(app.dataDir, "files", ".slow.tmp"))).toBe(false)
  }, 60_000)

  it("a worker stuck in an uninterruptible stop: the deadline fires, the report names it, exit 124", async () => {
    const app = await startApp({ STUCK_WORKER: "1", DEADLINE_MS: "1000" })
    app.child.kill("SIGTERM")
    expect(await app.exited(15_000)).toBe(124)
    const report = app.lines.slice(app.lines.findIndex((l) => l.includes("deadline of 1s passed")))
    expect(report[0]).toMatch(
      /^\[app\] shutdown: the deadline of 1s passed \d+ ms after SIGTERM; still in progress:$/
    )
    expect(report[1]).toMatch(/^ {2}resource "worker" \(#\d+\) releasing for \d+ ms$/)
    expect(report).toHaveLength(2)
  }, 60_000)
})
