import { expect } from "@effect/vitest"
import { Deferred, Effect, type Exit, Fiber, Logger, References, type Scope } from "effect"

/** An append-only event log: the witness that cleanup ran, once, in order. */
export const makeLog = () => {
  const events: Array<string> = []
  return {
    events,
    add: (event: string) =>
      Effect.sync(() => {
        events.push(event)
      }),
    acquire: (name: string) =>
      Effect.sync(() => {
        events.push(`acquire ${name}`)
        return name
      })
  }
}

/**
 * How many finalizers a scope holds. Effect exposes no count, so this reads the scope's
 * `state` (public in Effect 4, but its layout is not a contract: an `Open` scope keeps a
 * single finalizer in a field of its own); it is the only way to prove that removed entries
 * are really gone.
 */
export const finalizerCount = (scope: Scope.Scope): number => {
  const state = scope.state as {
    readonly _tag: string
    readonly finalizer?: unknown
    readonly finalizers?: Map<unknown, unknown>
  }
  if (state._tag !== "Open") return 0
  return state.finalizer !== undefined ? 1 : (state.finalizers?.size ?? 0)
}

/**
 * A cleanup that logs "release start", waits until the test opens its gate, then logs
 * "release end": it lets a test act while a release is running, without sleeping.
 */
export const makeBlockedCleanup = (log: ReturnType<typeof makeLog>) =>
  Effect.gen(function* () {
    const started = yield* Deferred.make<void>()
    const gate = yield* Deferred.make<void>()
    return {
      cleanup: Effect.gen(function* () {
        yield* log.add("release start")
        yield* Deferred.succeed(started, undefined)
        yield* Deferred.await(gate)
        yield* log.add("release end")
      }),
      /** Waits until the cleanup has started. */
      started: Deferred.await(started),
      /** Lets the cleanup finish. */
      open: Deferred.succeed(gate, undefined)
    }
  })

/**
 * Lets every ready fiber run, then asserts that `fiber` is still waiting: the witness that it
 * is blocked on something (a release in progress), not merely not scheduled yet.
 */
export const expectStillWaiting = (fiber: Fiber.Fiber<unknown, unknown>) =>
  Effect.gen(function* () {
    for (let i = 0; i < 5; i++) yield* Effect.yieldNow
    expect(fiber.pollUnsafe()).toBeUndefined()
  })

/** Runs `effect` with a logger that records `LEVEL message {annotations}` lines, at every level. */
export const captureLogs = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const lines: Array<string> = []
    const logger = Logger.make(({ logLevel, message, fiber }) => {
      const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
      const annotations = fiber.getRef(References.CurrentLogAnnotations)
      lines.push(`${logLevel.toUpperCase()} ${text} ${JSON.stringify(annotations)}`)
    })
    yield* effect.pipe(
      Effect.provide(Logger.layer([logger])),
      Effect.provideService(References.MinimumLogLevel, "All")
    )
    return lines
  })

/** Interrupts `fiber` and yields its exit (Effect 4's `Fiber.interrupt` yields nothing). */
export const interrupted = <A, E>(fiber: Fiber.Fiber<A, E>): Effect.Effect<Exit.Exit<A, E>> =>
  Effect.andThen(Fiber.interrupt(fiber), Fiber.await(fiber))
