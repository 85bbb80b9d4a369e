/**
 * The HTTP side of examples/app (the Effect 4 edition): the intake every request holds a lease
 * on, and the Node server the service listens with.
 */
import { Context, Effect, Predicate } from "effect"
import { HttpServerResponse } from "effect/http"
import { createServer, type Server, ServerResponse } from "node:http"
import type { Socket } from "node:net"
import { Resource } from "@scopeguard/core"

/** The HTTP intake: every request holds a lease on it, so closing it drains them. */
export class Intake extends Context.Service<Intake, Resource.Resource<void>>()("app/Intake") {}

/**
 * Every request holds a lease on the intake: closing it drains the requests in flight.
 *
 * Once the intake is closing, every response also says `connection: close`, so that its
 * client does not send another request on a connection about to close. That is a courtesy to
 * the clients, not what lets the server stop: a response whose handler saw the intake open
 * just before the close began goes out without it. The server's stop (`makeNodeServer`)
 * closes every connection once its responses are written.
 */
export const withIntake = <E, R>(
  handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
) =>
  Intake.use((intake) =>
    Resource.use(intake, () => handler).pipe(
      Effect.catch((error) =>
        Effect.succeed(
          Predicate.isTagged(error, "ResourceReleasedError")
            ? HttpServerResponse.text("shutting down", { status: 503 })
            : HttpServerResponse.text(String(error), { status: 500 })
        )
      ),
      Effect.flatMap((response) =>
        Effect.map(Resource.state(intake), (state) =>
          state._tag === "Acquired"
            ? response
            : HttpServerResponse.setHeader(response, "connection", "close")
        )
      )
    )
  )

/**
 * The Node HTTP server the service listens with: its stop ends as soon as the responses in
 * flight are written, whatever the clients' keep-alive.
 *
 * Node's `server.close()` stops accepting connections and waits until every open one has
 * ended. It closes at once only the keep-alive connections idle at that moment, not one that
 * has not sent a request yet, and not one whose response is still on its way out: that one
 * stays open after its response, for the client's next request, and the stop waits for the
 * keep-alive timeout (5 s). The intake's `connection: close` cannot cover it: a response
 * whose handler saw the intake open just before the shutdown began is written after the stop
 * began, without it.
 *
 * So this server counts, for each open connection, the responses it has not finished: a
 * response counts from the moment Node creates it (for every request, whichever event
 * announces it) until it closes (written, or its connection lost). Its `close` closes the
 * connections with none at once, tells the responses whose headers are not yet written to
 * close their connection, and closes each other connection as soon as its last response is
 * written.
 *
 * Effect's server calls `close` before it removes its handler, and removes it once the stop
 * has ended (or its graceful-shutdown bound, 20 s, has passed): no request arrives with no
 * handler to answer it while the stop waits.
 */
export const makeNodeServer = (): Server => {
  /** Every open connection, with how many of its responses are not finished. */
  const connections = new Map<Socket, number>()
  /** The responses not finished, to tell those not yet started to close their connection. */
  const responses = new Set<ServerResponse>()
  let stopping = false

  class CountedResponse extends ServerResponse {
    constructor(...args: ConstructorParameters<typeof ServerResponse>) {
      super(...args)
      const socket = args[0].socket
      const pending = connections.get(socket)
      if (pending !== undefined) connections.set(socket, pending + 1)
      responses.add(this)
      // `close` comes after Node's own handling of the response's end (which frees the
      // connection, or hands it to the next pipelined response, counted already), or when the
      // connection is lost.
      this.once("close", () => {
        responses.delete(this)
        const left = connections.get(socket)
        if (left === undefined) return // the connection is gone already
        connections.set(socket, left - 1)
        if (stopping && left - 1 === 0) socket.destroy()
      })
    }
  }

  const server = createServer({ ServerResponse: CountedResponse })
  server.on("connection", (socket: Socket) => {
    connections.set(socket, 0)
    socket.once("close", () => connections.delete(socket))
  })
  const close = server.close
  server.close = function (this: Server, callback?: (error?: Error) => void) {
    // The race: when the stop begins, a response may be anywhere between its handler and
    // its last byte (its handler may have seen the intake open a moment ago), and a
    // connection may be between two requests or before its first. All of it is settled here,
    // in this one synchronous call, before Node runs another I/O callback: Node's `close`
    // stops accepting (so no connection arrives after the sweep below); every connection with
    // no response in flight is destroyed now; every other one is destroyed by its last
    // response's `close` (which reads `stopping`); the responses not yet started are told to
    // say `connection: close`. No connection is left waiting for a keep-alive timeout.
    stopping = true
    close.call(this, callback)
    for (const response of responses) {
      if (!response.headersSent) response.shouldKeepAlive = false
    }
    for (const [socket, pending] of connections) {
      if (pending === 0) socket.destroy()
    }
    return this
  }
  return server
}
