/**
 * The job of examples/app (examples/app/jobs.ts, the Effect 4 edition), interrupted at every
 * step on a model of its storage whose every write is applied, then acknowledged one hop
 * later: all of the job happens, or none of it, and a job that returns success has happened.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { Guard } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"
import { type JobStore, runJob } from "../examples/app/jobs.js"

const makeModel = (options: { readonly commitFails?: boolean } = {}) => {
  const state = {
    row: undefined as "staged" | "committed" | undefined,
    temp: false,
    final: false
  }
  const reset = Effect.sync(() =>
    Object.assign(state, { row: undefined, temp: false, final: false })
  )
  /** A write as I/O is: applied, then acknowledged a hop later. */
  const write = (apply: () => void) => Effect.andThen(Effect.sync(apply), Effect.yieldNow)
  const store: JobStore = {
    stageRow: () => write(() => void (state.row = "staged")),
    unstageRow: () => write(() => void (state.row === "staged" && (state.row = undefined))),
    writeTemp: () => write(() => void (state.temp = true)),
    removeTemp: () => write(() => void (state.temp = false)),
    placeFile: () =>
      write(() => {
        state.temp = false
        state.final = true
      }),
    unplaceFile: () =>
      write(() => {
        if (!state.final) return
        state.final = false
        state.temp = true
      }),
    markCommitted: () =>
      options.commitFails === true
        ? Effect.andThen(Effect.yieldNow, Effect.fail("database is locked"))
        : write(() => void (state.row = "committed")),
    log: () => Effect.void
  }
  const whole = () => state.row === "committed" && state.final && !state.temp
  const nothing = () => state.row === undefined && !state.final && !state.temp
  /** All or nothing at every step; a success has happened, a failure has not. */
  const check = (exit: Exit.Exit<unknown, unknown>) =>
    Effect.suspend(() => {
      const ok = Exit.isSuccess(exit)
        ? whole()
        : Exit.hasInterrupts(exit)
          ? whole() || nothing()
          : nothing()
      return ok ? Effect.void : Effect.fail(`${exit._tag}: ${JSON.stringify(state)}`)
    })
  return { state, store, reset, check }
}

describe("examples/app: a job is all or nothing, interrupted at every step", () => {
  for (const mode of ["interrupt", "yield"] as const) {
    it.effect(
      `writes acknowledged a hop later (${mode} mode)`,
      () =>
        Effect.gen(function* () {
          const model = makeModel()
          const program = Effect.andThen(model.reset, runJob(model.store, "a", Effect.yieldNow))
          const report = yield* Interruption.assertEveryStep(program, { mode, check: model.check })
          expect(report.failures).toEqual([])
          expect(report.steps).toBeGreaterThan(50)
        }),
      60_000
    )

    it.effect(
      `a last write that fails rolls everything back (${mode} mode)`,
      () =>
        Effect.gen(function* () {
          const model = makeModel({ commitFails: true })
          const program = Effect.andThen(model.reset, runJob(model.store, "a", Effect.yieldNow))
          const report = yield* Interruption.assertEveryStep(program, { mode, check: model.check })
          expect(report.failures).toEqual([])
          expect(yield* Effect.exit(program)).toEqual(Exit.fail("database is locked"))
          expect(model.state).toEqual({ row: undefined, temp: false, final: false })
        }),
      60_000
    )
  }

  it.effect(
    "the same job with the plain form of commit rolls back a committed job (pinned)",
    () =>
      Effect.gen(function* () {
        const model = makeModel()
        const { store } = model
        const plain = Effect.scoped(
          Effect.gen(function* () {
            const row = yield* Guard.step(store.stageRow("a"), () =>
              Effect.orDie(store.unstageRow("a"))
            )
            const file = yield* Guard.step(store.writeTemp("a"), () => store.removeTemp("a"))
            const placed = yield* Guard.step(store.placeFile("a"), () => store.unplaceFile("a"))
            yield* Guard.commit([row, file, placed], store.markCommitted("a"))
          })
        )
        const report = yield* Interruption.explore(Effect.andThen(model.reset, plain), {
          check: model.check
        })
        const messages = report.failures.map((f) => f.message)
        expect(messages.length).toBeGreaterThan(0)
        // Committed, then its file taken back and removed: a committed row without its file.
        expect(
          messages.every((m) => m === 'Failure: {"row":"committed","temp":false,"final":false}')
        ).toBe(true)
      }),
    60_000
  )
})
