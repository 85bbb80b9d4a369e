import { describe, expect, it } from "@effect/vitest"
import {
  Cause,
  Context,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  ManagedRuntime,
  Scope
} from "effect"
import { TestClock } from "effect/testing"
import {
  DisposeError,
  NotDisposableError,
  ReleaseTimeoutError,
  Resource,
  Using,
  UsingError
} from "@scopeguard/core"
import { makeLog } from "./util.js"

/** Lets every pending promise callback and scheduled fiber run once more. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A promise that the test resolves by hand: the async cleanup it gates cannot finish early. */
const gate = () => {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { open, opened }
}

describe("Using.resource", () => {
  it.effect("adopts an AsyncDisposable: the scope awaits its async dispose", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const disposable = {
        async [Symbol.asyncDispose]() {
          log.events.push("dispose start")
          await Promise.resolve()
          log.events.push("dispose end")
        }
      }
      const r = yield* Effect.scoped(
        Using.resource(Effect.succeed(disposable), { label: "socket" })
      )
      yield* log.add("scope closed")
      expect(log.events).toEqual(["dispose start", "dispose end", "scope closed"])
      expect(yield* Resource.state(r)).toEqual({ _tag: "Released", exit: Exit.void, by: "scope" })
    })
  )

  it.effect("adopts a Disposable; prefers [Symbol.asyncDispose] when both exist", () =>
    Effect.gen(function* () {
      const log = makeLog()
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Using.resource(
            Effect.succeed({ [Symbol.dispose]: () => void log.events.push("sync dispose") })
          )
          yield* Using.resource(
            Effect.succeed({
              [Symbol.dispose]: () => void log.events.push("wrong one"),
              [Symbol.asyncDispose]: async () => void log.events.push("async dispose")
            })
          )
        })
      )
      expect(log.events).toEqual(["async dispose", "sync dispose"])
    })
  )

  it.effect("an explicit close disposes once; the scope does not dispose again", () =>
    Effect.gen(function* () {
      let disposed = 0
      const r = yield* Using.resource(Effect.succeed({ [Symbol.dispose]: () => void disposed++ }))
      yield* Resource.close(r)
      yield* Resource.close(r)
      expect(disposed).toBe(1)
    }).pipe(Effect.scoped)
  )

  it.effect("a throwing or rejecting dispose is a DisposeError defect naming the label", () =>
    Effect.gen(function* () {
      const boom = new Error("already closed")
      const throwing = yield* Effect.exit(
        Effect.scoped(
          Using.resource(
            Effect.succeed({
              [Symbol.dispose]: () => {
                throw boom
              }
            }),
            { label: "file" }
          )
        )
      )
      expect(throwing).toEqual(Exit.die(new DisposeError({ label: "file", cause: boom })))
      const rejecting = yield* Effect.exit(
        Effect.scoped(
          Using.resource(Effect.succeed({ [Symbol.asyncDispose]: () => Promise.reject(boom) }), {
            label: "stream"
          })
        )
      )
      expect(rejecting).toEqual(Exit.die(new DisposeError({ label: "stream", cause: boom })))
      expect(new DisposeError({ label: "stream", cause: boom }).message).toBe(
        'Disposing "stream" failed: already closed'
      )
    })
  )

  it.effect("takes Resource.make's options: a dispose that never settles times out", () =>
    Effect.gen(function* () {
      const r = yield* Using.resource(
        Effect.succeed({ [Symbol.asyncDispose]: () => new Promise<void>(() => {}) }),
        { label: "hung", releaseTimeout: "1 second" }
      )
      const closing = yield* Effect.forkChild(Effect.exit(Resource.close(r)))
      yield* TestClock.adjust("1 second")
      const timeout = new ReleaseTimeoutError({ label: "hung", timeout: Duration.seconds(1) })
      expect(yield* Fiber.join(closing)).toEqual(Exit.die(timeout))
      expect(yield* Resource.state(r)).toEqual({
        _tag: "Released",
        exit: Exit.die(timeout),
        by: "close"
      })
    }).pipe(Effect.scoped)
  )

  it.effect("a value that is not disposable fails with NotDisposableError and is handed back", () =>
    Effect.gen(function* () {
      const value = { name: "plain" }
      const scope = yield* Scope.make()
      const exit = yield* Effect.exit(
        Using.resource(Effect.succeed(value as unknown as Disposable), { label: "plain" }).pipe(
          Scope.provide(scope)
        )
      )
      expect(exit).toEqual(Exit.fail(new NotDisposableError({ label: "plain", value })))
      expect(new NotDisposableError({ label: "plain", value }).message).toBe(
        '"plain" has neither [Symbol.asyncDispose] nor [Symbol.dispose]; nothing was registered'
      )
    })
  )
})

describe("Using.run", () => {
  it("resolves to the value; dispose closes the scope after every async finalizer", async () => {
    const log: Array<string> = []
    const cleanup = gate()
    const handle = await Using.run(
      Effect.gen(function* () {
        yield* Effect.addFinalizer(() =>
          Effect.promise(async () => {
            log.push("finalizer start")
            await cleanup.opened
            log.push("finalizer end")
          })
        )
        return "value"
      })
    )
    expect(handle.value).toBe("value")
    let disposed = false
    const disposing = handle[Symbol.asyncDispose]().then(() => {
      disposed = true
    })
    await settle()
    expect(log).toEqual(["finalizer start"])
    expect(disposed).toBe(false)
    cleanup.open()
    await disposing
    expect(log).toEqual(["finalizer start", "finalizer end"])
  })

  it("await using: the block ends only after the async release has finished", async () => {
    const log: Array<string> = []
    const release = gate()
    const use = async () => {
      await using handle = await Using.run(
        Effect.flatMap(
          Resource.make(Effect.succeed("conn"), () =>
            Effect.promise(async () => {
              log.push("release start")
              await release.opened
              log.push("release end")
            })
          ),
          Resource.get
        )
      )
      log.push(`use ${handle.value}`)
    }
    const done = use().then(() => log.push("block exited"))
    await settle()
    expect(log).toEqual(["use conn", "release start"])
    release.open()
    await done
    expect(log).toEqual(["use conn", "release start", "release end", "block exited"])
  })

  it("disposing twice closes once; both resolve", async () => {
    let finalized = 0
    const handle = await Using.run(Effect.addFinalizer(() => Effect.sync(() => finalized++)))
    await Promise.all([handle[Symbol.asyncDispose](), handle[Symbol.asyncDispose]()])
    await handle[Symbol.asyncDispose]()
    expect(finalized).toBe(1)
  })

  it("a failing finalizer makes dispose reject with a UsingError carrying the Cause", async () => {
    const handle = await Using.run(Effect.addFinalizer(() => Effect.die("broken")))
    const error = await handle[Symbol.asyncDispose]().then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(UsingError)
    expect(error).toBeInstanceOf(Error)
    const usingError = error as UsingError
    expect(usingError.phase).toBe("dispose")
    expect(usingError.cause).toEqual(Cause.die("broken"))
  })

  it("when the effect fails, run rejects after closing the scope: nothing stays open", async () => {
    const log: Array<string> = []
    const error = await Using.run(
      Effect.gen(function* () {
        yield* Effect.addFinalizer((exit) => Effect.sync(() => log.push(`finalizer ${exit._tag}`)))
        return yield* Effect.fail("no connection")
      })
    ).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(log).toEqual(["finalizer Failure"])
    expect(error).toBeInstanceOf(UsingError)
    expect((error as UsingError).phase).toBe("run")
    expect((error as UsingError).cause).toEqual(Cause.fail("no connection"))
  })

  it("when the effect is interrupted, run rejects after closing the scope", async () => {
    const log: Array<string> = []
    const error = await Using.run(
      Effect.gen(function* () {
        yield* Effect.addFinalizer((exit) =>
          Effect.sync(() => log.push(`finalizer ${Exit.hasInterrupts(exit)}`))
        )
        return yield* Effect.interrupt
      })
    ).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(log).toEqual(["finalizer true"])
    expect(Cause.hasInterruptsOnly((error as UsingError).cause)).toBe(true)
  })

  it("aborting the signal interrupts the effect; its scope is closed before run rejects", async () => {
    const log: Array<string> = []
    const controller = new AbortController()
    const started = gate()
    const running = Using.run(
      Effect.gen(function* () {
        yield* Effect.addFinalizer(() =>
          Effect.promise(async () => {
            await Promise.resolve()
            log.push("async finalizer done")
          })
        )
        yield* Effect.sync(() => started.open())
        return yield* Effect.never
      }),
      { signal: controller.signal }
    )
    await started.opened
    controller.abort()
    const error = await running.then(
      () => undefined,
      (e: unknown) => e
    )
    expect(log).toEqual(["async finalizer done"])
    expect((error as UsingError).phase).toBe("run")
    expect(Cause.hasInterruptsOnly((error as UsingError).cause)).toBe(true)
  })

  class Database extends Context.Service<Database, { readonly name: string }>()("Database") {}

  it("runs with the services of a runtime", async () => {
    const runtime = ManagedRuntime.make(Layer.succeed(Database, { name: "from runtime" }))
    await using handle = await Using.run(
      Effect.map(Database, (db) => db.name),
      { runtime }
    )
    expect(handle.value).toBe("from runtime")
    await runtime.dispose()
  })

  it("builds a layer into the scope and releases it on dispose, after the effect's finalizers", async () => {
    const log: Array<string> = []
    const layer = Layer.effect(
      Database,
      Effect.acquireRelease(
        Effect.sync(() => {
          log.push("layer acquired")
          return { name: "from layer" }
        }),
        () => Effect.sync(() => log.push("layer released"))
      )
    )
    {
      await using handle = await Using.run(
        Effect.gen(function* () {
          const db = yield* Database
          yield* Effect.addFinalizer(() => Effect.sync(() => log.push("effect finalizer")))
          return db.name
        }),
        { layer }
      )
      log.push(`use ${handle.value}`)
    }
    expect(log).toEqual(["layer acquired", "use from layer", "effect finalizer", "layer released"])
  })

  it("a layer that fails to build makes run reject", async () => {
    const layer = Layer.effect(Database, Effect.fail("no database"))
    const error = await Using.run(Database, { layer }).then(
      () => undefined,
      (e: unknown) => e
    )
    expect((error as UsingError).cause).toEqual(Cause.fail("no database"))
  })

  it.effect("from inside Effect: a handle's scope is a real scope", () =>
    Effect.gen(function* () {
      const handle = yield* Effect.promise(() => Using.run(Effect.succeed(1)))
      const finalized = yield* Deferred.make<void>()
      yield* Scope.addFinalizer(handle.scope, Deferred.succeed(finalized, undefined))
      yield* Effect.promise(() => handle[Symbol.asyncDispose]())
      expect(yield* Deferred.isDone(finalized)).toBe(true)
    })
  )
})
