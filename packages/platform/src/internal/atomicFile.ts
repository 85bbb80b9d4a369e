import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import type { PlatformError } from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Random from "effect/Random"
import * as Scope from "effect/Scope"
import { Guard } from "@scopeguard/core"
import { AtomicFileError } from "../Errors.js"
import type * as AtomicFile from "../AtomicFile.js"

const encoder = new TextEncoder()

/** Shared by the handle and its guard. */
interface Decision {
  /** Asked for by `discard`: the guard rolls back even if the scope succeeds. */
  discarded: boolean
  /** What the guard did, once it ran. */
  outcome: "committed" | "discarded" | undefined
}

class AtomicFileImpl implements AtomicFile.AtomicFile {
  constructor(
    readonly path: string,
    readonly tempPath: string,
    readonly file: FileSystem.File,
    readonly guard: Guard.Guard,
    readonly decision: Decision
  ) {}

  write(data: Uint8Array | string): Effect.Effect<void, AtomicFileError | PlatformError> {
    // Race: a write from another fiber while the commit runs. The check below is only a
    // clear error for the common mistake (writing after commit); a write that passes it while
    // the commit is closing the file fails with the file system's error instead. Either way
    // the caller learns the write did not make it: nothing is lost silently.
    return Effect.flatMap(Guard.state(this.guard), (state) =>
      state._tag === "Armed"
        ? this.file.writeAll(typeof data === "string" ? encoder.encode(data) : data)
        : Effect.fail<AtomicFileError | PlatformError>(
            new AtomicFileError({
              path: this.path,
              tempPath: this.tempPath,
              reason:
                this.decision.outcome === "committed" ? "already committed" : "already discarded"
            })
          )
    )
  }
}

/** @internal */
export const make = (
  path: string,
  options?: AtomicFile.Options
): Effect.Effect<
  AtomicFile.AtomicFile,
  PlatformError,
  FileSystem.FileSystem | Path.Path | Scope.Scope
> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const paths = yield* Path.Path
    const suffix = (yield* Random.nextIntBetween(0, 2 ** 31)).toString(36)
    const tempPath = paths.join(paths.dirname(path), `.${paths.basename(path)}.${suffix}.tmp`)
    const label = options?.label ?? `atomic file ${path}`
    const fail = (reason: string) => (cause: unknown) =>
      new AtomicFileError({ path, tempPath, reason, cause })
    // Opening the temporary file and arming its guard happen as one step: an interruption
    // in between would leave a temporary file nobody removes.
    return yield* Effect.uninterruptible(
      Effect.gen(function* () {
        const handleScope = yield* Scope.make()
        const file = yield* Effect.onError(
          Scope.extend(fs.open(tempPath, { flag: "wx" }), handleScope),
          (cause) => Scope.close(handleScope, Exit.failCause(cause))
        )
        const decision: Decision = { discarded: false, outcome: undefined }
        const commit = Effect.gen(function* () {
          yield* Effect.mapError(file.sync, fail("sync failed"))
          yield* Scope.close(handleScope, Exit.void)
          // A failed rename leaves the temporary file in place: nothing written is lost.
          yield* Effect.mapError(fs.rename(tempPath, path), fail("rename failed"))
        })
        const rollback = Effect.gen(function* () {
          yield* Scope.close(handleScope, Exit.void)
          yield* Effect.mapError(fs.remove(tempPath), fail("could not remove the temporary file"))
        })
        // One guard for both outcomes, so that exactly one of them ever happens, even when
        // an explicit commit races the scope's close.
        const guard = yield* Guard.make(
          (exit) =>
            Effect.suspend(() => {
              const commits = Exit.isSuccess(exit) && !decision.discarded
              decision.outcome = commits ? "committed" : "discarded"
              return Effect.orDie(commits ? commit : rollback)
            }),
          { label }
        )
        return new AtomicFileImpl(path, tempPath, file, guard, decision)
      })
    )
  })

/** @internal */
export const commit = (self: AtomicFile.AtomicFile): Effect.Effect<boolean> =>
  Guard.runNow((self as AtomicFileImpl).guard)

/** @internal */
export const discard = (self: AtomicFile.AtomicFile): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    const impl = self as AtomicFileImpl
    impl.decision.discarded = true
    return Guard.runNow(impl.guard)
  })
