import { FileSystem, Path } from "effect"
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { AtomicFile, AtomicFileError } from "@scopeguard/platform"
import { Interruption } from "@scopeguard/vitest"

/** A fresh directory holding `target.txt` with "old"; the test sees its files after. */
const withDirectory = <A, E, R>(
  test: (dir: {
    readonly target: string
    readonly files: Effect.Effect<Array<string>, unknown>
    readonly content: Effect.Effect<string, unknown>
  }) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const paths = yield* Path.Path
    const dir = yield* fs.makeTempDirectoryScoped()
    const target = paths.join(dir, "target.txt")
    yield* fs.writeFileString(target, "old")
    return yield* test({
      target,
      files: Effect.map(fs.readDirectory(dir), (names) => names.sort()),
      content: fs.readFileString(target)
    })
  }).pipe(Effect.scoped, Effect.provide(NodeServices.layer))

describe("AtomicFile", () => {
  it.effect(
    "on success the new content replaces the target; the temporary file is gone",
    () =>
      withDirectory(({ target, files, content }) =>
        Effect.gen(function* () {
          const tempPath = yield* Effect.scoped(
            Effect.gen(function* () {
              const file = yield* AtomicFile.make(target)
              yield* file.write("new ")
              yield* file.write(new TextEncoder().encode("content"))
              expect(yield* content).toBe("old")
              return file.tempPath
            })
          )
          expect(yield* content).toBe("new content")
          expect(yield* files).toEqual(["target.txt"])
          expect(tempPath).toMatch(/\.target\.txt\.[0-9a-z]+\.tmp$/)
        })
      ),
    30_000
  )

  it.effect(
    "on failure, defect or interruption the target is untouched and nothing is left",
    () =>
      withDirectory(({ target, files, content }) =>
        Effect.gen(function* () {
          const written = (end: Effect.Effect<void, string>) =>
            Effect.scoped(
              Effect.gen(function* () {
                const file = yield* AtomicFile.make(target)
                yield* file.write("half-written")
                yield* end
              })
            )
          expect(yield* Effect.exit(written(Effect.fail("boom")))).toEqual(Exit.fail("boom"))
          expect(yield* Effect.exit(written(Effect.die("bug")))).toEqual(Exit.die("bug"))
          const ready = yield* Deferred.make<void>()
          const fiber = yield* Effect.forkChild(
            written(Effect.andThen(Deferred.succeed(ready, undefined), Effect.never))
          )
          yield* Deferred.await(ready)
          yield* Fiber.interrupt(fiber)
          expect(Exit.hasInterrupts(yield* Fiber.await(fiber))).toBe(true)
          expect(yield* content).toBe("old")
          expect(yield* files).toEqual(["target.txt"])
        })
      ),
    30_000
  )

  it.effect(
    "commit makes it visible now, once; a later failure of the scope keeps it",
    () =>
      withDirectory(({ target, files, content }) =>
        Effect.gen(function* () {
          const results: Array<boolean> = []
          const exit = yield* Effect.exit(
            Effect.scoped(
              Effect.gen(function* () {
                const file = yield* AtomicFile.make(target)
                yield* file.write("committed")
                results.push(yield* AtomicFile.commit(file))
                expect(yield* content).toBe("committed")
                results.push(yield* AtomicFile.commit(file))
                results.push(yield* AtomicFile.discard(file))
                const late = yield* Effect.flip(file.write("late"))
                expect(late).toEqual(
                  new AtomicFileError({
                    path: target,
                    tempPath: file.tempPath,
                    reason: "already committed"
                  })
                )
                return yield* Effect.fail("later failure")
              })
            )
          )
          expect(exit).toEqual(Exit.fail("later failure"))
          expect(results).toEqual([true, false, false])
          expect(yield* content).toBe("committed")
          expect(yield* files).toEqual(["target.txt"])
        })
      ),
    30_000
  )

  it.effect(
    "discard removes the temporary file now; writing after it fails",
    () =>
      withDirectory(({ target, files, content }) =>
        Effect.gen(function* () {
          yield* Effect.scoped(
            Effect.gen(function* () {
              const file = yield* AtomicFile.make(target)
              yield* file.write("draft")
              expect(yield* AtomicFile.discard(file)).toBe(true)
              expect(yield* files).toEqual(["target.txt"])
              const error = yield* Effect.flip(file.write("more"))
              expect(error.message).toBe(
                `Atomic write of "${target}" (temporary file "${file.tempPath}"): already discarded`
              )
            })
          )
          expect(yield* content).toBe("old")
        })
      ),
    30_000
  )

  it.effect(
    "interrupted at every step, the target is old or new, never partial; no file is left",
    () =>
      withDirectory(({ target, files, content }) =>
        Effect.gen(function* () {
          const fs = yield* FileSystem.FileSystem
          const program = Effect.scoped(
            Effect.gen(function* () {
              const file = yield* AtomicFile.make(target)
              yield* file.write("new ")
              yield* file.write("content")
            })
          )
          const check = () =>
            Effect.gen(function* () {
              const now = yield* content
              const left = yield* files
              if (now !== "old" && now !== "new content")
                return yield* Effect.fail(`target: ${now}`)
              if (left.length !== 1) return yield* Effect.fail(`files: ${left.join(", ")}`)
              // Every run starts from the old content.
              yield* fs.writeFileString(target, "old")
            })
          const report = yield* Interruption.assertEveryStep(program, { check })
          expect(report.failures).toEqual([])
          expect(report.steps).toBeGreaterThan(50)
        })
      ),
    60_000
  )
})
