/**
 * Atomic file writes: write to a temporary file next to the target, and only when the scope
 * closes successfully sync it and rename it over the target. On failure, defect or
 * interruption the temporary file is removed. Readers never see a half-written file.
 *
 * ```ts
 * import { NodeServices } from "@effect/platform-node"
 * import { Effect } from "effect"
 * import { AtomicFile } from "@scopeguard/platform"
 *
 * const save = (json: string) =>
 *   Effect.scoped(
 *     Effect.gen(function* () {
 *       const file = yield* AtomicFile.make("settings.json")
 *       yield* file.write(json)
 *     }) // success: renamed over settings.json; failure: the old file is untouched
 *   ).pipe(Effect.provide(NodeServices.layer))
 * ```
 *
 * Commit and rollback are one `Guard`, so exactly one of them happens, even when an explicit
 * `commit` races the scope's close. Every write holds a lease on the temporary file: a commit
 * or rollback waits for the writes in flight before closing it, and a write that comes later
 * fails with `AtomicFileError`. The replacement keeps the target's permission bits (and is
 * private to its owner while it is written); a symbolic link is written through — its target
 * is replaced and the link stays. So is a dangling link (its target is created) and a chain of
 * links; a relative link is resolved from the link's own directory, as the kernel does.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "effect/FileSystem"
import type * as Path from "effect/Path"
import type { PlatformError } from "effect/PlatformError"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { AtomicFileError } from "./Errors.js"
import * as internal from "./internal/atomicFile.js"

/**
 * A temporary file that becomes `path` when its scope closes successfully.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AtomicFile } from "@scopeguard/platform"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const file = yield* AtomicFile.make("report.csv")
 *     yield* file.write("a,b\n")
 *     yield* file.write(new Uint8Array([49, 44, 50, 10]))
 *     return file.tempPath // .report.csv.<random>.tmp, in the same directory
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface AtomicFile {
  readonly path: string
  readonly tempPath: string
  /** Appends to the temporary file; fails with `AtomicFileError` once committed or discarded. */
  readonly write: (
    data: Uint8Array | string
  ) => Effect.Effect<void, AtomicFileError | PlatformError>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Shown in logs and leak reports. Default: `atomic file <path>`. */
  readonly label?: string | undefined
}

/**
 * Creates the temporary file (exclusively) next to `path`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AtomicFile } from "@scopeguard/platform"
 *
 * const program = Effect.scoped(
 *   Effect.flatMap(AtomicFile.make("out.txt", { label: "output" }), (file) => file.write("hi"))
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  path: string,
  options?: Options
) => Effect.Effect<AtomicFile, PlatformError, FileSystem.FileSystem | Path.Path | Scope.Scope> =
  internal.make

/**
 * Commits now (sync, close, rename) instead of when the scope closes. `true` if this call
 * committed; a failed commit dies with an `AtomicFileError` and leaves the temporary file.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AtomicFile } from "@scopeguard/platform"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const file = yield* AtomicFile.make("out.txt")
 *     yield* file.write("done")
 *     yield* AtomicFile.commit(file) // visible now; a later failure of the scope keeps it
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category destructors
 */
export const commit: (self: AtomicFile) => Effect.Effect<boolean> = internal.commit

/**
 * Removes the temporary file now; the target is left as it was. `true` if this call did it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AtomicFile } from "@scopeguard/platform"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const file = yield* AtomicFile.make("out.txt")
 *     yield* AtomicFile.discard(file) // changed our mind: nothing happens to out.txt
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category destructors
 */
export const discard: (self: AtomicFile) => Effect.Effect<boolean> = internal.discard
