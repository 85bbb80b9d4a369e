/**
 * A FlushGuard: buffered output written even when the writer's fiber is interrupted — the
 * Effect 4 edition.
 *
 * Shows: a `BufferedWriter` holding three lines in its buffer when its fiber is interrupted;
 * the scope's close flushes them, in order, before the interruption completes.
 *
 * Run: (cd effect4 && npx tsx --conditions=@scopeguard/source examples/flush-on-interrupt.ts)
 * Prints:
 *   buffered: 3 lines, nothing written yet
 *   interrupting the writer
 *   sink: line 1 | line 2 | line 3
 *   interrupted: Interrupt; every buffered line was written
 */
import { Console, Deferred, Effect, Exit, Fiber } from "effect"
import { BufferedWriter } from "@scopeguard/platform"

const decoder = new TextDecoder()

const program = Effect.gen(function* () {
  const buffered = yield* Deferred.make<number>()
  const sink = (chunk: Uint8Array) =>
    Console.log(`sink: ${decoder.decode(chunk).trimEnd().split("\n").join(" | ")}`)
  const writer = yield* Effect.forkChild(
    Effect.scoped(
      Effect.gen(function* () {
        const out = yield* BufferedWriter.make(sink, { capacity: 1024, label: "report" })
        for (const n of [1, 2, 3]) yield* out.write(`line ${n}\n`)
        yield* Deferred.succeed(buffered, 3)
        return yield* Effect.never // still working when it is interrupted
      })
    )
  )
  yield* Console.log(`buffered: ${yield* Deferred.await(buffered)} lines, nothing written yet`)
  yield* Console.log("interrupting the writer")
  // Fiber.interrupt returns once the writer has closed its scope; Fiber.await gives its Exit.
  yield* Fiber.interrupt(writer)
  const exit = yield* Fiber.await(writer)
  yield* Console.log(
    `interrupted: ${Exit.hasInterrupts(exit) ? "Interrupt" : exit._tag}; every buffered line was written`
  )
})

Effect.runPromise(program)
