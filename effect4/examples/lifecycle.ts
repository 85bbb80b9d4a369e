/**
 * The life of a Resource on every exit: success, failure, defect, interruption, and a release
 * that outlives its `releaseTimeout` — the Effect 4 edition.
 *
 * Shows: acquire, use and release in order, the `Exit` the release received, who released it
 * (the scope, or an explicit `close`), and the release's own outcome from `Resource.state`.
 *
 * Run: (cd effect4 && npx tsx --conditions=@scopeguard/source examples/lifecycle.ts)
 * Prints:
 *   success: acquire conn-1
 *   success: use conn-1
 *   success: release conn-1 (scope exit: Success)
 *   success: Released by scope, release Success; program Success
 *   failure: acquire conn-2
 *   failure: use conn-2
 *   failure: release conn-2 (scope exit: Failure "query failed")
 *   failure: Released by scope, release Success; program Failure "query failed"
 *   defect: acquire conn-3
 *   defect: use conn-3
 *   defect: release conn-3 (scope exit: Die "driver bug")
 *   defect: Released by scope, release Success; program Die "driver bug"
 *   interruption: acquire conn-4
 *   interruption: use conn-4
 *   interruption: release conn-4 (scope exit: Interrupt)
 *   interruption: Released by scope, release Success; program Interrupt
 *   release timeout: acquire conn-5
 *   release timeout: use conn-5
 *   release timeout: release conn-5 started, never ends
 *   release timeout: Released by close, release Die ReleaseTimeoutError; program Die ReleaseTimeoutError
 */
import { Cause, Console, Deferred, Effect, Exit, Fiber, Option } from "effect"
import { Resource } from "@scopeguard/core"

/** `Success`, `Failure "…"`, `Die "…"`, `Die ReleaseTimeoutError` or `Interrupt`. */
const describe = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return "Success"
  if (Cause.hasInterruptsOnly(exit.cause)) return "Interrupt"
  const failure = Cause.findErrorOption(exit.cause)
  if (Option.isSome(failure)) return `Failure ${JSON.stringify(failure.value)}`
  const defect = Cause.squash(exit.cause)
  const tagged = (defect as { _tag?: string })._tag
  return `Die ${tagged ?? JSON.stringify(defect)}`
}

let next = 0

/** Acquires a connection, uses it with `body`, and reports how it ended. */
const scenario = Effect.fn("scenario")(function* (
  name: string,
  body: Effect.Effect<void, string>,
  options: { readonly stuckRelease?: boolean; readonly interrupt?: boolean } = {}
) {
  const log = (line: string) => Console.log(`${name}: ${line}`)
  const made = yield* Deferred.make<Resource.Resource<string>>()
  const used = yield* Deferred.make<void>()
  const program = Effect.scoped(
    Effect.gen(function* () {
      const conn = yield* Resource.make(
        Effect.suspend(() => {
          const label = `conn-${++next}`
          return Effect.as(log(`acquire ${label}`), label)
        }),
        (label, exit) =>
          options.stuckRelease === true
            ? Effect.andThen(log(`release ${label} started, never ends`), Effect.never)
            : log(`release ${label} (scope exit: ${describe(exit)})`),
        options.stuckRelease === true ? { releaseTimeout: "100 millis" } : {}
      )
      yield* Deferred.succeed(made, conn)
      yield* Resource.use(conn, (label) => log(`use ${label}`))
      yield* Deferred.succeed(used, undefined)
      if (options.stuckRelease === true) yield* Resource.close(conn)
      yield* body
    })
  )
  const exit = yield* options.interrupt === true
    ? Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(program)
        yield* Deferred.await(used)
        // Returns once the fiber has closed its scope: the release has run.
        yield* Fiber.interrupt(fiber)
        return yield* Fiber.await(fiber)
      })
    : Effect.exit(program)
  const state = yield* Resource.state(yield* Deferred.await(made))
  if (state._tag === "Released") {
    yield* log(
      `Released by ${state.by}, release ${describe(state.exit)}; program ${describe(exit)}`
    )
  }
})

const program = Effect.gen(function* () {
  yield* scenario("success", Effect.void)
  yield* scenario("failure", Effect.fail("query failed"))
  yield* scenario("defect", Effect.die("driver bug"))
  yield* scenario("interruption", Effect.never, { interrupt: true })
  yield* scenario("release timeout", Effect.void, { stuckRelease: true })
})

Effect.runPromise(program)
