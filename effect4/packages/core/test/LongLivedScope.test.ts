import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { Guard, Resource } from "@scopeguard/core"
import { finalizerCount } from "./util.js"

const N = 100_000

describe("a long-lived scope does not grow", () => {
  it.effect(
    `${N} resources closed, ${N} detached and ${N} guards disarmed leave only what was there`,
    () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        yield* Effect.addFinalizer(() => Effect.void).pipe(Scope.provide(scope))
        const before = finalizerCount(scope)
        let released = 0
        let cleaned = 0
        const release = Effect.sync(() => {
          released++
        })
        const cleanup = Effect.sync(() => {
          cleaned++
        })
        yield* Effect.gen(function* () {
          for (let i = 0; i < N; i++) {
            const closed = yield* Resource.make(Effect.succeed(i), () => release)
            yield* Resource.close(closed)
            const detached = yield* Resource.make(Effect.succeed(i), () => release)
            yield* Resource.detach(detached)
            const guard = yield* Guard.make(cleanup)
            yield* Guard.disarm(guard)
          }
        }).pipe(Scope.provide(scope))
        expect(finalizerCount(scope)).toBe(before)
        yield* Scope.close(scope, Exit.void)
        expect({ released, cleaned }).toEqual({ released: N, cleaned: 0 })
      }),
    60_000
  )
})
