import { it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { Guard, Resource } from "@scopeguard/core"
it.live(
  "bench",
  () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const N = 200_000
      const loop = (label: string, body: Effect.Effect<unknown, never, Scope.Scope>) =>
        Effect.gen(function* () {
          for (let r = 0; r < 3; r++) {
            const t = performance.now()
            for (let i = 0; i < N; i++) yield* Scope.provide(body, scope)
            console.log(label, (((performance.now() - t) * 1000) / N).toFixed(3), "µs")
          }
        })
      yield* loop(
        "floor",
        Effect.flatMap(Scope.Scope, (s) =>
          Effect.suspend(() => {
            const c = Scope.forkUnsafe(s)
            return Effect.andThen(Scope.addFinalizer(c, Effect.void), Scope.close(c, Exit.void))
          })
        )
      )
      yield* loop(
        "resource make+close",
        Effect.flatMap(
          Resource.make(Effect.void, () => Effect.void),
          Resource.close
        )
      )
      yield* loop("guard make+disarm", Effect.flatMap(Guard.make(Effect.void), Guard.disarm))
      yield* Scope.close(scope, Exit.void)
    }),
  120_000
)
