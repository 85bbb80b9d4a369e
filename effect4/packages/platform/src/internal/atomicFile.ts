import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Path from "effect/Path"
import { PlatformError, SystemError } from "effect/PlatformError"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import { Guard, Resource } from "@scopeguard/core"
import { AtomicFileError } from "../Errors.js"
import type * as AtomicFile from "../AtomicFile.js"
import { label as checkLabel, record as checkRecord } from "./options.js"

const encoder = new TextEncoder()

/** Shared by the handle and its guard. */
interface Decision {
  /** Asked for by `discard`: the guard rolls back even if the scope succeeds. */
  discarded: boolean
  /** What the guard decided, set before the temporary file is closed. */
  outcome: "committed" | "discarded" | undefined
}

class AtomicFileImpl implements AtomicFile.AtomicFile {
  constructor(
    readonly path: string,
    readonly tempPath: string,
    /** The open temporary file. Every write holds a lease on it (`Resource.use`). */
    readonly handle: Resource.Resource<FileSystem.File>,
    readonly guard: Guard.Guard,
    readonly decision: Decision
  ) {}

  write(data: Uint8Array | string): Effect.Effect<void, AtomicFileError | PlatformError> {
    // Race: a write and a commit or rollback from another fiber. The write holds a lease on
    // the file handle while it writes; closing the handle (the first thing a commit or a
    // rollback does after deciding) refuses new leases and waits for the writes in flight.
    // So no write can reach a closed descriptor — or a reused one, which would put the bytes
    // into whatever file the process opened next — and a write that comes too late fails.
    return Resource.use(this.handle, (file) =>
      file.writeAll(typeof data === "string" ? encoder.encode(data) : data)
    ).pipe(
      Effect.catchTag("ResourceReleasedError", () =>
        Effect.fail(
          new AtomicFileError({
            path: this.path,
            tempPath: this.tempPath,
            reason:
              this.decision.outcome === "committed" ? "already committed" : "already discarded"
          })
        )
      )
    )
  }
}

/** As the kernel's limit (Linux `MAXSYMLINKS`): more links than this in a row is a loop. */
const maxLinks = 40

/**
 * The file the replace is about: a symbolic link is followed to its target (which is
 * replaced, the link stays), as established atomic-write libraries do — also when the target
 * does not exist yet (a dangling link): then the link is read, its target resolved from the
 * link's own directory (as the kernel does, through linked directories), and so on along a
 * chain of links, up to the first path that does not exist. A path that does not exist and is
 * no link is itself the target.
 */
const resolveTarget = (
  fs: FileSystem.FileSystem,
  paths: Path.Path,
  path: string
): Effect.Effect<string, PlatformError> => {
  const notFound = (error: PlatformError) => error.reason._tag === "NotFound"
  const follow = (current: string, hops: number): Effect.Effect<string, PlatformError> =>
    fs.readLink(current).pipe(
      Effect.flatMap((link) => {
        if (hops >= maxLinks) {
          return Effect.fail(
            new PlatformError(
              new SystemError({
                _tag: "BadResource",
                module: "FileSystem",
                method: "readLink",
                pathOrDescriptor: path,
                description: `more than ${maxLinks} symbolic links in a row (a loop?)`
              })
            )
          )
        }
        if (paths.isAbsolute(link)) return follow(link, hops + 1)
        // The link's directory exists (the link is in it): its real path is where the
        // kernel resolves a relative link from.
        return Effect.flatMap(fs.realPath(paths.dirname(current)), (dir) =>
          follow(paths.resolve(dir, link), hops + 1)
        )
      }),
      // Not there: this is the file to create.
      Effect.catchIf(notFound, () => Effect.succeed(current))
    )
  return fs.realPath(path).pipe(Effect.catchIf(notFound, () => follow(path, 0)))
}

/** The permission bits of an existing target, to be kept by the replacement. */
const modeOf = (fs: FileSystem.FileSystem, path: string) =>
  fs.stat(path).pipe(
    Effect.map((info) => Option.some(info.mode & 0o7777)),
    Effect.catchTag("PlatformError", (error) =>
      error.reason._tag === "NotFound" ? Effect.succeed(Option.none<number>()) : Effect.fail(error)
    )
  )

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
    const label = checkLabel("label", checkRecord(options)?.label) ?? `atomic file ${path}`
    const target = yield* resolveTarget(fs, paths, path)
    const mode = yield* modeOf(fs, target)
    const suffix = (yield* Random.nextIntBetween(0, 2 ** 31)).toString(36)
    const tempPath = paths.join(paths.dirname(target), `.${paths.basename(target)}.${suffix}.tmp`)
    const fail = (reason: string) => (cause: unknown) =>
      new AtomicFileError({ path, tempPath, reason, cause })
    // Opening the temporary file and arming its guard happen as one step: an interruption
    // in between would leave a temporary file nobody removes.
    return yield* Effect.uninterruptible(
      Effect.gen(function* () {
        const decision: Decision = { discarded: false, outcome: undefined }
        // While it is written, a replacement of an existing file is private to its owner
        // (a 0600 secrets file is never readable by others, not even half-written); the
        // commit gives it the target's own bits.
        const openOptions: Parameters<FileSystem.FileSystem["open"]>[1] = Option.isSome(mode)
          ? { flag: "wx", mode: 0o600 }
          : { flag: "wx" }
        const handle = yield* Resource.fromScoped(
          Effect.tap(fs.open(tempPath, openOptions), (file) =>
            // Runs when the handle closes, before the descriptor is closed and after every
            // write in flight has ended: a committed file is on disk before it is renamed.
            Effect.addFinalizer(() =>
              decision.outcome === "committed"
                ? Effect.orDie(Effect.mapError(file.sync, fail("sync failed")))
                : Effect.void
            )
          ),
          { label: `${label} (temporary file)` }
        )
        const commit = Effect.gen(function* () {
          yield* Resource.close(handle)
          if (Option.isSome(mode)) {
            yield* Effect.mapError(fs.chmod(tempPath, mode.value), fail("chmod failed"))
          }
          // A failed rename leaves the temporary file in place: nothing written is lost.
          yield* Effect.mapError(fs.rename(tempPath, target), fail("rename failed"))
        })
        const rollback = Effect.gen(function* () {
          yield* Resource.close(handle)
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
        return new AtomicFileImpl(path, tempPath, handle, guard, decision)
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
