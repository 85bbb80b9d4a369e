/**
 * `Interruption.layer`: a `ManagedRuntime` the program does not fork from — built once, for
 * every run — runs its fibers under the explorer while a run is in progress, and its
 * resources are counted by the run's leak probe; without the layer the same runtime runs
 * unseen, on Effect's default scheduler.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import { Resource } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"

/** A connection opened in one step and its close registered in the next: a leak window. */
const state = { open: 0 }
const work = Effect.scoped(
  Effect.gen(function* () {
    yield* Effect.sync(() => void state.open++)
    yield* Effect.addFinalizer(() => Effect.sync(() => void state.open--))
  })
)
const check = () =>
  Effect.suspend(() =>
    state.open === 0 ? Effect.void : Effect.fail(`${state.open} connection(s) left open`)
  )

/** The program hands `work` to the runtime and waits for it: the runtime's fiber does it all. */
const programOn = (runtime: ManagedRuntime.ManagedRuntime<never, never>) =>
  Effect.suspend(() => {
    state.open = 0
    return Effect.callback<void>((resume) => {
      const fiber = runtime.runFork(work)
      fiber.addObserver(() => resume(Effect.void))
    })
  })

describe("Interruption.layer", () => {
  it.effect("a ManagedRuntime built once, with the layer: its fibers are the run's", () =>
    Effect.gen(function* () {
      const runtime = ManagedRuntime.make(Interruption.layer)
      const report = yield* Interruption.explore(() => programOn(runtime), {
        target: "holder",
        check,
        progress: false
      })
      // The runtime's fiber (2) holds the points between the open and the close's
      // registration: interrupted there, the connection leaks. Nothing ran outside.
      expect(report.outsideControl).toBe(0)
      expect(report.deterministic).toBe(true)
      expect(report.fibers).toBe(2)
      expect(report.steps).toBe(33)
      expect(
        report.failures.map((f) => [f.schedule, f.kind, f.message, f.reach, f.budget])
      ).toEqual(
        [16, 17, 18, 19, 20].map((point) => [
          `h${point}`,
          "check",
          "1 connection(s) left open",
          "budget",
          point - 10
        ])
      )
      // A failure's schedule replays it: the same leak, the runtime's fiber interrupted.
      const replayed = yield* Interruption.replay(
        () => programOn(runtime),
        report.failures[0]!.schedule,
        {
          check
        }
      )
      expect(replayed.failure?.message).toBe("1 connection(s) left open")
      yield* Effect.promise(() => runtime.dispose())
    })
  )

  it.effect("the same runtime without the layer runs unseen: the window is not found", () =>
    Effect.gen(function* () {
      const runtime = ManagedRuntime.make(Layer.empty)
      const report = yield* Interruption.explore(() => programOn(runtime), {
        target: "holder",
        check,
        progress: false
      })
      // Its fiber ran on Effect's default scheduler: never a point, never interrupted, the
      // window not found. Nor can the report count it: Effect 4 has no supervisor, and the
      // run's resumption from that fiber looks like any callback's (a timer's, a socket's).
      expect({
        fibers: report.fibers,
        failures: report.failures,
        outsideControl: report.outsideControl
      }).toEqual({ fibers: 1, failures: [], outsideControl: 0 })
      yield* Effect.promise(() => runtime.dispose())
    })
  )

  it.effect("the run's leak probe counts what the runtime's fibers make", () =>
    Effect.gen(function* () {
      const runtime = ManagedRuntime.make(Interruption.layer)
      // A resource made in a scope nobody closes, in the runtime: a leak of the run.
      const leaky = Effect.callback<void>((resume) => {
        const fiber = runtime.runFork(
          Effect.gen(function* () {
            const scope = yield* Scope.make()
            yield* Resource.make(Effect.succeed("db"), () => Effect.void, { label: "db" }).pipe(
              Scope.provide(scope)
            )
          })
        )
        fiber.addObserver(() => resume(Effect.void))
      })
      const replayed = yield* Interruption.replay(leaky, "")
      expect(replayed.exit).toEqual(Exit.void)
      expect(replayed.failure?.kind).toBe("leak")
      expect(replayed.failure?.message).toMatch(
        /^leaked 1 resource and 0 armed guards: resource "db" \(#\d+\)$/
      )
      yield* Effect.promise(() => runtime.dispose())
    })
  )

  it.effect("outside an exploration the layer changes nothing: Effect's own scheduler", () =>
    Effect.gen(function* () {
      const runtime = ManagedRuntime.make(Interruption.layer)
      state.open = 0
      yield* Effect.promise(() => runtime.runPromise(work))
      expect(state.open).toBe(0)
      const value = yield* Effect.promise(() =>
        runtime.runPromise(Effect.andThen(Effect.yieldNow, Effect.succeed(42)))
      )
      expect(value).toBe(42)
      yield* Effect.promise(() => runtime.dispose())
    })
  )
})
