import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { Resource, Tracking } from "@scopeguard/core"
import { LeakError } from "../Errors.js"
import type * as LeakProbe from "../LeakProbe.js"

/** @internal */
export const TypeId: LeakProbe.TypeId = Symbol.for(
  "@scopeguard/vitest/LeakProbe"
) as LeakProbe.TypeId

/** @internal */
export const tag = Context.Service<LeakProbe.LeakProbe>("@scopeguard/vitest/LeakProbe")

/** @internal */
export const makeUnsafe = (): LeakProbe.LeakProbe => {
  // Entries in the order they were opened, so reports read in program order.
  const open = new Set<Tracking.Entry>()
  return {
    [TypeId]: TypeId,
    tracker: {
      opened: (entry) => {
        open.add(entry)
      },
      settled: (entry) => {
        open.delete(entry)
      }
    },
    unsafeLive: () => Array.from(open)
  }
}

/** @internal */
export const make: Effect.Effect<LeakProbe.LeakProbe> = Effect.sync(makeUnsafe)

/** @internal */
export const layer: Layer.Layer<LeakProbe.LeakProbe> = Layer.unwrap(
  Effect.map(make, (probe) => Layer.merge(Layer.succeed(tag, probe), Tracking.layer(probe.tracker)))
)

/** @internal */
export const live: Effect.Effect<
  ReadonlyArray<Tracking.Entry>,
  never,
  LeakProbe.LeakProbe
> = tag.useSync((probe) => probe.unsafeLive())

/** @internal */
export const countByLabel: Effect.Effect<
  ReadonlyMap<string, number>,
  never,
  LeakProbe.LeakProbe
> = Effect.map(live, (entries) => {
  const counts = new Map<string, number>()
  for (const entry of entries) {
    counts.set(entry.label, (counts.get(entry.label) ?? 0) + 1)
  }
  return counts
})

/** @internal */
export const assertNone: Effect.Effect<void, LeakError, LeakProbe.LeakProbe> = Effect.flatMap(
  live,
  (entries) => (entries.length === 0 ? Effect.void : Effect.fail(new LeakError({ live: entries })))
)

/** @internal */
export const watch = <A, E, R>(
  scoped: Effect.Effect<A, E, R>,
  options?: { readonly label?: string | undefined }
): Effect.Effect<A, E, Exclude<R, Scope.Scope> | Scope.Scope> =>
  Effect.flatMap(
    Resource.fromScoped(
      scoped,
      options?.label === undefined ? undefined : { label: options.label }
    ),
    // Just acquired, in this fiber: `get` cannot find it released.
    (resource) => Effect.orDie(Resource.get(resource))
  )
