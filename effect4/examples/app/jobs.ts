/**
 * The job of examples/app, written against the storage it needs rather than SQLite and the
 * file system: the service runs it on both, and `test/app-jobs.test.ts` interrupts it at every
 * step on a model of them whose every write is applied, then acknowledged one hop later — as
 * a database write or a rename is.
 *
 * A job stages a row and a temporary file, works, puts the file in place, then marks the row
 * committed. Each step is armed with its compensation in one step (`Guard.step`); the last
 * write decides with `Guard.commit` in its restore form: it is a write acknowledged later, so
 * an interruption that arrives while it is on the wire waits for its outcome instead of
 * rolling back a job that was committed.
 */
import { Effect } from "effect"
import { Guard } from "@scopeguard/core"

/** Where a job's row and file live. Every write may be applied before it is acknowledged. */
export interface JobStore {
  /** Inserts the row with status `staged`. */
  readonly stageRow: (name: string) => Effect.Effect<void, unknown>
  /** Deletes the row if it is still `staged`. */
  readonly unstageRow: (name: string) => Effect.Effect<void, unknown>
  /** Writes the temporary file. */
  readonly writeTemp: (name: string) => Effect.Effect<void, unknown>
  /** Removes the temporary file if it is there. */
  readonly removeTemp: (name: string) => Effect.Effect<void>
  /** Renames the temporary file to its final name. */
  readonly placeFile: (name: string) => Effect.Effect<void, unknown>
  /** Renames the final file back to the temporary one. */
  readonly unplaceFile: (name: string) => Effect.Effect<void>
  /** Marks the row `committed`: the job's last write. */
  readonly markCommitted: (name: string) => Effect.Effect<void, unknown>
  /** Says what a compensation did. */
  readonly log: (line: string) => Effect.Effect<void>
}

/**
 * Runs one job: all of it happens, or none of it (whatever interrupts it, wherever). The
 * guards live in the job's own scope (`Effect.scoped`, the transform after the body).
 * Untraced: no span or stack frame of its own, so a job that fails fails with its store's
 * error, cause and all (test/app-jobs.test.ts compares the `Exit`).
 */
export const runJob = Effect.fnUntraced(function* (
  store: JobStore,
  name: string,
  work: Effect.Effect<void>
) {
  const row = yield* Guard.step(store.stageRow(name), () =>
    store
      .unstageRow(name)
      .pipe(Effect.andThen(store.log(`job ${name}: row rolled back`)), Effect.orDie)
  )
  const file = yield* Guard.step(store.writeTemp(name), () =>
    Effect.andThen(store.removeTemp(name), store.log(`job ${name}: temporary file removed`))
  )
  yield* work // in flight while it runs: an interruption here rolls everything back
  const placed = yield* Guard.step(store.placeFile(name), () => store.unplaceFile(name))
  // The last write decides. Once started it is not interrupted; if it fails, the file goes
  // back, is removed, and the row is deleted, newest first.
  yield* Guard.commit([row, file, placed], () => store.markCommitted(name))
}, Effect.scoped)
