/**
 * The shared state of the Effect 4 survey's programs: a count of open handles that each program
 * resets when it starts, so that `check` can tell after each run whether one was left open.
 */
import { Effect, type Exit } from "effect"
import type { Interruption } from "@scopeguard/vitest"

export const world = { open: 0, acquired: 0 }

export const reset = Effect.sync(() => {
  world.open = 0
  world.acquired = 0
})

/** One handle of the world, released with its scope. */
export const handle = Effect.acquireRelease(
  Effect.sync(() => {
    world.acquired++
    return ++world.open
  }),
  () =>
    Effect.sync(() => {
      world.open--
    })
)

/** Every handle a run opened is closed when it ends. */
export const check = (_?: Exit.Exit<unknown, unknown>) =>
  world.open === 0 ? Effect.void : Effect.fail(`${world.open} handle(s) still open`)

/** One path of the survey: an upstream operator, the program that exercises it, its check. */
export interface Path {
  readonly name: string
  readonly module: string
  readonly program: Interruption.Program<unknown, unknown, never>
  readonly options: Interruption.Options<never>
}

export const path = (
  module: string,
  name: string,
  program: Interruption.Program<unknown, unknown, never>,
  options: Interruption.Options<never> = { check }
): Path => ({ name, module, program, options })

/**
 * A program whose later caller must get a value: `later` is what it got, the check wants a
 * success (for shared state a holder-targeted interruption of another caller leaves broken).
 */
export const laterCaller = () => {
  const state: { later: Exit.Exit<unknown, unknown> | undefined } = { later: undefined }
  return {
    state,
    check: () =>
      state.later === undefined || state.later._tag === "Success"
        ? Effect.void
        : Effect.fail("a later caller did not get a value")
  }
}
