/**
 * Atomic writes and a buffer flushed on failure, on a real file system — the Effect 4 edition.
 *
 * Shows: `AtomicFile` replacing a file only when its scope succeeds (a failed save leaves the
 * old content), and a `BufferedWriter` whose last line is written even though its scope
 * failed. The file system is Effect 4's `FileSystem` and `Path` services, implemented for
 * Node by `NodeServices.layer` from `@effect/platform-node`.
 *
 * Run: (cd effect4 && npx tsx --conditions=@scopeguard/source examples/atomic-file.ts)
 * Prints:
 *   after a good save: {"version":2}
 *   after a failed save: {"version":2}
 *   log: saving version 3
 *   files left: settings.json
 */
import { NodeServices } from "@effect/platform-node"
import { Console, Effect, FileSystem, Path } from "effect"
import { AtomicFile, BufferedWriter } from "@scopeguard/platform"

const program = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const dir = yield* fs.makeTempDirectoryScoped()
  const settings = path.join(dir, "settings.json")
  yield* fs.writeFileString(settings, JSON.stringify({ version: 1 }))

  const save = (version: number, fail: boolean) =>
    Effect.scoped(
      Effect.gen(function* () {
        const file = yield* AtomicFile.make(settings)
        yield* file.write(JSON.stringify({ version }))
        if (fail) yield* Effect.fail("validation failed")
      })
    )

  yield* save(2, false)
  yield* Console.log(`after a good save: ${yield* fs.readFileString(settings)}`)
  yield* Effect.ignore(save(3, true))
  yield* Console.log(`after a failed save: ${yield* fs.readFileString(settings)}`)

  const lines: Array<string> = []
  yield* Effect.ignore(
    Effect.scoped(
      Effect.gen(function* () {
        const log = yield* BufferedWriter.make((chunk) =>
          Effect.sync(() => lines.push(new TextDecoder().decode(chunk)))
        )
        yield* log.write("saving version 3")
        yield* Effect.fail("crash") // the buffer is flushed anyway
      })
    )
  )
  yield* Console.log(`log: ${lines.join("")}`)
  yield* Console.log(`files left: ${(yield* fs.readDirectory(dir)).join(", ")}`)
})

Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(NodeServices.layer)))
