/**
 * examples/app's HTTP stop, in process: the service's intake and Node server (examples/app/
 * http.ts) composed as the service composes them, with real keep-alive connections on
 * loopback. Each window is held open with a Deferred, so each test meets it every run.
 *
 * The server's keep-alive timeout is set to 10 minutes: a stop that waited for it would miss
 * the 30 s bound below by far, on any machine.
 */
import { HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Deferred, Duration, Effect, Exit, Fiber, Scope, Stream } from "effect"
import { Agent, request } from "node:http"
import { connect, type Socket } from "node:net"
import { describe, expect, it } from "vitest"
import { Resource } from "@scopeguard/core"
import { Intake, makeNodeServer, withIntake } from "../examples/app/http.js"

const keepAliveMillis = 600_000

interface Served {
  readonly scope: Scope.CloseableScope
  readonly port: number
  readonly intake: Resource.Resource<void>
  /** What the server side did, in order. */
  readonly events: Array<string>
  /** Completed when the server's stop (`close`) has been called. */
  readonly stopBegun: Deferred.Deferred<void>
  /** Resolves when `count` connections have been accepted. */
  readonly accepted: (count: number) => Effect.Effect<void>
}

/**
 * The service's HTTP layers in its order (examples/app/main.ts: the server, then the intake
 * and the handler; released in reverse: the intake closes, the handler goes, the server
 * stops), in a scope the test closes. `between` runs, if given, between the handler's removal
 * and the server's stop.
 */
const serve = <E>(
  route: (served: Served) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, Intake>,
  between?: (served: Served) => Effect.Effect<void>
) =>
  Effect.gen(function* () {
    const events: Array<string> = []
    const stopBegun = yield* Deferred.make<void>()
    const server = makeNodeServer()
    server.keepAliveTimeout = keepAliveMillis
    const close = server.close
    server.close = function (this: typeof server, callback) {
      events.push("server: stop begins")
      close.call(this, callback)
      Deferred.unsafeDone(stopBegun, Exit.void)
      return this
    }
    let connections = 0
    const connected: Array<{ count: number; done: Deferred.Deferred<void> }> = []
    server.on("connection", () => {
      connections++
      for (const c of connected) if (c.count <= connections) Deferred.unsafeDone(c.done, Exit.void)
    })
    const accepted = (count: number) =>
      Effect.suspend(() => {
        if (count <= connections) return Effect.void
        const done = Effect.runSync(Deferred.make<void>())
        connected.push({ count, done })
        return Deferred.await(done)
      })
    const scope = yield* Scope.make()
    const http = yield* Scope.extend(
      NodeHttpServer.make(() => server, { port: 0, host: "127.0.0.1" }),
      scope
    )
    const intake = yield* Scope.extend(
      Resource.make(Effect.void, () => Effect.void, { label: "http intake" }),
      scope
    )
    if (http.address._tag !== "TcpAddress") throw new Error("not a TCP address")
    const served: Served = { scope, port: http.address.port, intake, events, stopBegun, accepted }
    if (between !== undefined) yield* Scope.addFinalizer(scope, between(served))
    yield* HttpServer.serveEffect(Effect.provideService(route(served), Intake, intake)).pipe(
      Effect.provideService(HttpServer.HttpServer, http),
      Scope.extend(scope)
    )
    yield* Scope.addFinalizer(scope, Resource.close(intake))
    return served
  })

interface Response {
  readonly status: number
  readonly connection: string | undefined
  readonly body: string
}

/** A client on one keep-alive connection; `closed` resolves when the server has closed it. */
const keepAliveClient = (port: number) => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  let closed: Promise<void> | undefined
  /** `started` is called when the response's headers have arrived. */
  const get = (path: string, started?: () => void) =>
    new Promise<Response>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path, agent }, (res) => {
        started?.()
        let body = ""
        res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk))
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body })
        )
      })
      req.on("socket", (socket: Socket) => {
        closed ??= new Promise((resolve) => socket.once("close", () => resolve()))
      })
      req.on("error", reject)
      req.end()
    })
  return {
    get,
    closed: () => closed ?? Promise.reject(new Error("no connection was opened")),
    destroy: () => agent.destroy()
  }
}

/**
 * Waits for the stop (forked as a daemon: a failing test does not wait for it to be
 * interrupted), bounded far below the keep-alive timeout a stop must not wait for.
 */
const stopped = <A>(fiber: Fiber.Fiber<A>) =>
  Fiber.join(fiber).pipe(
    Effect.timeoutFail({
      duration: Duration.seconds(30),
      onTimeout: () => new Error("the server's stop did not end within 30 s")
    })
  )

describe("examples/app: the HTTP server's stop", () => {
  it("a response whose handler saw the intake open just before the stop: its connection closes once written, the stop does not wait for the keep-alive", async () => {
    const { received, events } = await Effect.runPromise(
      Effect.gen(function* () {
        const ready = yield* Deferred.make<void>()
        // The window: the intake was open when the response left the handler (so no
        // `connection: close`), and the stop begins before the response is written.
        const route = (served: Served) =>
          withIntake(HttpServerResponse.text("done")).pipe(
            Effect.tap(() =>
              Effect.gen(function* () {
                const state = yield* Resource.state(served.intake)
                served.events.push(`handler: response ready, intake ${state._tag}`)
                yield* Deferred.succeed(ready, undefined)
                yield* Deferred.await(served.stopBegun)
                served.events.push("handler: response goes out")
              })
            )
          )
        const served = yield* serve(route)
        const client = keepAliveClient(served.port)
        const response = client.get("/")
        yield* Deferred.await(ready)
        const stop = yield* Effect.forkDaemon(
          Effect.tap(Scope.close(served.scope, Exit.void), () =>
            Effect.sync(() => served.events.push("server: stopped"))
          )
        )
        const received = yield* Effect.promise(() => response)
        yield* stopped(stop)
        yield* Effect.promise(() => client.closed())
        client.destroy()
        return { received, events: served.events }
      })
    )
    // Told to close: the response's headers were not yet written when the stop began.
    expect(received).toEqual({ status: 200, connection: "close", body: "done" })
    expect(events).toEqual([
      "handler: response ready, intake Acquired",
      "server: stop begins",
      "handler: response goes out",
      "server: stopped"
    ])
  }, 60_000)

  it("connections with nothing in flight close at once: one between two requests, one that never sent any", async () => {
    const events = await Effect.runPromise(
      Effect.gen(function* () {
        const served = yield* serve(() => withIntake(HttpServerResponse.text("done")))
        const client = keepAliveClient(served.port)
        expect(yield* Effect.promise(() => client.get("/"))).toEqual({
          status: 200,
          connection: "keep-alive",
          body: "done"
        })
        const silent = connect(served.port, "127.0.0.1")
        const silentClosed = new Promise<void>((resolve) => silent.once("close", () => resolve()))
        silent.on("error", () => {})
        yield* served.accepted(2)
        const stop = yield* Effect.forkDaemon(
          Effect.tap(Scope.close(served.scope, Exit.void), () =>
            Effect.sync(() => served.events.push("server: stopped"))
          )
        )
        yield* stopped(stop)
        yield* Effect.promise(() => Promise.all([client.closed(), silentClosed]))
        client.destroy()
        return served.events
      })
    )
    expect(events).toEqual(["server: stop begins", "server: stopped"])
  }, 60_000)

  it("a request on a kept-alive connection after the handler's removal and before the stop: answered 503, the stop does not wait for it", async () => {
    const { late, events } = await Effect.runPromise(
      Effect.gen(function* () {
        const box: { client?: ReturnType<typeof keepAliveClient>; late?: Response } = {}
        // Widens the service's window between the handler's removal and the server's stop: a
        // request arrives in it, on a connection kept alive since its previous response.
        const between = () =>
          Effect.promise(async () => {
            box.late = await box.client!.get("/")
          })
        const served = yield* serve(() => withIntake(HttpServerResponse.text("done")), between)
        const client = (box.client = keepAliveClient(served.port))
        expect(yield* Effect.promise(() => client.get("/"))).toEqual({
          status: 200,
          connection: "keep-alive",
          body: "done"
        })
        const stop = yield* Effect.forkDaemon(
          Effect.tap(Scope.close(served.scope, Exit.void), () =>
            Effect.sync(() => served.events.push("server: stopped"))
          )
        )
        yield* stopped(stop)
        yield* Effect.promise(() => client.closed())
        client.destroy()
        return { late: box.late, events: served.events }
      })
    )
    expect(late).toEqual({ status: 503, connection: "close", body: "not serving" })
    expect(events).toEqual(["server: stop begins", "server: stopped"])
  }, 60_000)

  it("a response already being written when the stop begins: its connection closes once the last byte is written", async () => {
    const { received, events } = await Effect.runPromise(
      Effect.gen(function* () {
        const started = yield* Deferred.make<void>()
        // Its headers (keep-alive) and first chunk go out before the stop; the rest after.
        const body = (served: Served) =>
          Stream.concat(
            Stream.make("first, "),
            Stream.fromEffect(
              Effect.as(
                Effect.zipRight(
                  Deferred.await(served.stopBegun),
                  Effect.sync(() => served.events.push("handler: the rest goes out"))
                ),
                "then the rest"
              )
            )
          ).pipe(Stream.encodeText)
        const served = yield* serve((served) =>
          withIntake(Effect.sync(() => HttpServerResponse.stream(body(served))))
        )
        const client = keepAliveClient(served.port)
        const response = client.get("/", () => Deferred.unsafeDone(started, Exit.void))
        yield* Deferred.await(started)
        const stop = yield* Effect.forkDaemon(
          Effect.tap(Scope.close(served.scope, Exit.void), () =>
            Effect.sync(() => served.events.push("server: stopped"))
          )
        )
        const received = yield* Effect.promise(() => response)
        yield* stopped(stop)
        yield* Effect.promise(() => client.closed())
        client.destroy()
        return { received, events: served.events }
      })
    )
    // Its headers said keep-alive: the server closes the connection after it all the same.
    expect(received).toEqual({
      status: 200,
      connection: "keep-alive",
      body: "first, then the rest"
    })
    expect(events).toEqual(["server: stop begins", "handler: the rest goes out", "server: stopped"])
  }, 60_000)
})
