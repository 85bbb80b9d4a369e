/**
 * Real child processes (node), on the live clock: real processes and real signals are the
 * point. Each child prints "ready" once its signal handlers are installed; the tests wait for
 * that line, never for time.
 */
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Option, Stream } from "effect"
import { ChildProcess as Command, type ChildProcessSpawner } from "effect/process"
import { Resource } from "@scopeguard/core"
import { ChildProcess, ProcessStopError } from "@scopeguard/platform"

const node = (script: string) => Command.make(process.execPath, ["-e", script])

/** Exits on SIGTERM (the default). */
const polite = node(`console.log("ready"); setInterval(() => {}, 1000)`)
/** Ignores SIGTERM: only SIGKILL stops it. */
const stubborn = node(
  `process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)`
)
/** Exits by itself right after saying ready. */
const brief = node(`console.log("ready")`)

const awaitReady = (child: ChildProcessSpawner.ChildProcessHandle) =>
  child.stdout.pipe(Stream.decodeText(), Stream.splitLines, Stream.runHead)

const startReady = (command: Command.Command, options?: ChildProcess.Options) =>
  Effect.gen(function* () {
    const resource = yield* ChildProcess.start(command, options)
    const child = yield* Resource.get(resource)
    expect(yield* awaitReady(child)).toEqual(Option.some("ready"))
    return { resource, child }
  })

describe("ChildProcess", () => {
  it.live(
    "a process that exits on SIGTERM is terminated when its scope closes",
    () =>
      Effect.gen(function* () {
        const { resource, child } = yield* Effect.scoped(startReady(polite))
        expect(yield* Resource.awaitRelease(resource)).toEqual(Exit.succeed("terminated"))
        expect(yield* child.isRunning).toBe(false)
      }).pipe(Effect.provide(NodeServices.layer)),
    60_000
  )

  it.live(
    "a process that ignores SIGTERM is killed after the grace period",
    () =>
      Effect.gen(function* () {
        const { resource, child } = yield* Effect.scoped(
          startReady(stubborn, { gracePeriod: "100 millis", label: "stubborn" })
        )
        expect(yield* Resource.awaitRelease(resource)).toEqual(Exit.succeed("killed"))
        expect(yield* child.isRunning).toBe(false)
        expect(yield* Resource.state(resource)).toEqual({
          _tag: "Released",
          exit: Exit.succeed("killed"),
          by: "scope"
        })
      }).pipe(Effect.provide(NodeServices.layer)),
    60_000
  )

  it.live(
    "a process that already exited is reported as exited",
    () =>
      Effect.gen(function* () {
        const { resource, child } = yield* Effect.scoped(
          Effect.tap(startReady(brief), ({ child }) => child.exitCode)
        )
        expect(yield* Resource.awaitRelease(resource)).toEqual(Exit.succeed("exited"))
        expect(yield* child.isRunning).toBe(false)
      }).pipe(Effect.provide(NodeServices.layer)),
    60_000
  )

  it.live(
    "Resource.close stops it early, once; the scope does not stop it again",
    () =>
      Effect.gen(function* () {
        const stopped = yield* Effect.scoped(
          Effect.gen(function* () {
            const { resource, child } = yield* startReady(polite)
            yield* Resource.close(resource)
            expect(yield* child.isRunning).toBe(false)
            return yield* Resource.state(resource)
          })
        )
        expect(stopped).toEqual({ _tag: "Released", exit: Exit.succeed("terminated"), by: "close" })
      }).pipe(Effect.provide(NodeServices.layer)),
    60_000
  )

  it.live(
    "an interrupted fiber stops its process",
    () =>
      Effect.gen(function* () {
        const started = yield* Deferred.make<ChildProcessSpawner.ChildProcessHandle>()
        const fiber = yield* Effect.forkChild(
          Effect.scoped(
            Effect.gen(function* () {
              const { child } = yield* startReady(stubborn, { gracePeriod: "50 millis" })
              yield* Deferred.succeed(started, child)
              return yield* Effect.never
            })
          )
        )
        const child = yield* Deferred.await(started)
        yield* Fiber.interrupt(fiber)
        expect(Exit.hasInterrupts(yield* Fiber.await(fiber))).toBe(true)
        expect(yield* child.isRunning).toBe(false)
      }).pipe(Effect.provide(NodeServices.layer)),
    60_000
  )

  it("ProcessStopError says what was tried", () => {
    const error = new ProcessStopError({
      label: "worker",
      pid: 42,
      gracePeriod: Duration.seconds(5),
      killTimeout: Duration.millis(500)
    })
    expect(error.message).toBe(
      "worker (pid 42) is still running 5s after SIGTERM and 500ms after SIGKILL; it was abandoned"
    )
  })
})
