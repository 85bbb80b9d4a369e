import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { InvalidOptionsError, Resource, Tracking } from "@scopeguard/core"
import { LeakError } from "../Errors.js"
import type * as LeakProbe from "../LeakProbe.js"

/** @internal */
export const TypeId: LeakProbe.TypeId = Symbol.for(
  "@scopeguard/vitest/LeakProbe"
) as LeakProbe.TypeId

/** @internal */
export const tag = Context.GenericTag<LeakProbe.LeakProbe>("@scopeguard/vitest/LeakProbe")

/** @internal */
export const unsafeMake = (): LeakProbe.LeakProbe => {
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
export const make: Effect.Effect<LeakProbe.LeakProbe> = Effect.sync(unsafeMake)

/** @internal */
export const layer: Layer.Layer<LeakProbe.LeakProbe> = Layer.unwrapEffect(
  Effect.map(make, (probe) => Layer.merge(Layer.succeed(tag, probe), Tracking.layer(probe.tracker)))
)

/** @internal */
export const live: Effect.Effect<
  ReadonlyArray<Tracking.Entry>,
  never,
  LeakProbe.LeakProbe
> = Effect.map(tag, (probe) => probe.unsafeLive())

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

/**
 * Adopts a scoped effect as a `Resource` the probe lists. The resource (its value: the scope
 * the effect's finalizers go to) is registered first, uninterruptibly; the effect then runs
 * into that scope as interruptibly as the caller is, exactly as under `Effect.scoped`. Run
 * inside the uninterruptible acquisition instead, every fiber it forks (`forkScoped`) would
 * inherit the mask and could never be interrupted: the scope's close would wait for it
 * forever. Whatever the effect opened before it failed or was interrupted is closed with its
 * exit, and the resource is settled (no longer listed).
 *
 * @internal
 */
export const watch = <A, E, R>(
  scoped: Effect.Effect<A, E, R>,
  options?: { readonly label?: string | undefined }
): Effect.Effect<A, E, Exclude<R, Scope.Scope> | Scope.Scope> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.suspend(() => {
      if (options !== undefined && (typeof options !== "object" || options === null)) {
        throw new InvalidOptionsError({
          option: "options",
          value: options,
          reason: "is not an object"
        })
      }
      // `Resource.make` checks the label (a string, or undefined for the default).
      const label = options?.label
      return Effect.flatMap(
        Resource.make(
          Scope.make(),
          (inner, exit) => Scope.close(inner, exit),
          label === undefined ? undefined : { label }
        ),
        (resource) =>
          Effect.flatMap(
            // Just acquired, in this fiber: `get` cannot find it released.
            Effect.orDie(Resource.get(resource)),
            (inner) =>
              Effect.onExit(
                restore(Scope.extend(scoped, inner)) as Effect.Effect<
                  A,
                  E,
                  Exclude<R, Scope.Scope>
                >,
                (exit) =>
                  Exit.isSuccess(exit)
                    ? Effect.void
                    : // What it opened is closed with its own exit; the resource then has
                      // nothing left to release, and is settled.
                      Effect.zipRight(Scope.close(inner, exit), Resource.close(resource))
              )
          )
      )
    })
  )
