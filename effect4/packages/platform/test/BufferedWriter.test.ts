import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { Resource, ResourceReleasedError } from "@scopeguard/core"
import { BufferedWriter } from "@scopeguard/platform"
import { Interruption } from "@scopeguard/vitest"

const decoder = new TextDecoder()

/** A sink that records every chunk it is asked to write, as text. */
const makeSink = () => {
  const written: Array<string> = []
  const sink = (chunk: Uint8Array) =>
    Effect.sync(() => {
      written.push(decoder.decode(chunk))
    })
  return { written, sink }
}

describe("BufferedWriter", () => {
  it.effect("buffers writes and flushes what is left when the scope succeeds", () =>
    Effect.gen(function* () {
      const { written, sink } = makeSink()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const out = yield* BufferedWriter.make(sink)
          yield* out.write("a")
          yield* out.write(new TextEncoder().encode("b"))
          expect(yield* out.buffered).toBe(2)
          expect(written).toEqual([])
        })
      )
      expect(written).toEqual(["ab"])
    })
  )

  it.effect("flushes on failure, defect and interruption too", () =>
    Effect.gen(function* () {
      const { written, sink } = makeSink()
      const session = (name: string, end: Effect.Effect<void, string>) =>
        Effect.scoped(
          Effect.gen(function* () {
            const out = yield* BufferedWriter.make(sink)
            yield* out.write(`${name}: last words`)
            yield* end
          })
        )
      expect(yield* Effect.exit(session("fail", Effect.fail("boom")))).toEqual(Exit.fail("boom"))
      expect(yield* Effect.exit(session("die", Effect.die("bug")))).toEqual(Exit.die("bug"))
      const ready = yield* Deferred.make<void>()
      const fiber = yield* Effect.forkChild(
        session("interrupt", Effect.andThen(Deferred.succeed(ready, undefined), Effect.never))
      )
      yield* Deferred.await(ready)
      yield* Fiber.interrupt(fiber)
      expect(written).toEqual(["fail: last words", "die: last words", "interrupt: last words"])
    })
  )

  it.effect("flushes when the buffer reaches its capacity, and on flush", () =>
    Effect.gen(function* () {
      const { written, sink } = makeSink()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const out = yield* BufferedWriter.make(sink, { capacity: 4 })
          yield* out.write("ab")
          yield* out.write("cd") // 4 bytes: flushed
          yield* out.write("e")
          expect(written).toEqual(["abcd"])
          yield* out.flush
          yield* out.flush // nothing buffered: nothing written
          expect(written).toEqual(["abcd", "e"])
        })
      )
      expect(written).toEqual(["abcd", "e"])
    })
  )

  it.effect("concurrent flushes write in the order they started", () =>
    Effect.gen(function* () {
      const written: Array<string> = []
      const firstStarted = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const sink = (chunk: Uint8Array) =>
        Effect.gen(function* () {
          const text = decoder.decode(chunk)
          if (text === "first") {
            yield* Deferred.succeed(firstStarted, undefined)
            yield* Deferred.await(gate)
          }
          written.push(text)
        })
      yield* Effect.scoped(
        Effect.gen(function* () {
          const out = yield* BufferedWriter.make(sink)
          yield* out.write("first")
          const first = yield* Effect.forkChild(out.flush)
          yield* Deferred.await(firstStarted)
          yield* out.write("second")
          const second = yield* Effect.forkChild(out.flush)
          yield* Effect.yieldNow
          expect(written).toEqual([])
          yield* Deferred.succeed(gate, undefined)
          yield* Fiber.join(first)
          yield* Fiber.join(second)
        })
      )
      expect(written).toEqual(["first", "second"])
    })
  )

  it.effect("after close, writes fail with ResourceReleasedError and nothing is lost", () =>
    Effect.gen(function* () {
      const { written, sink } = makeSink()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const out = yield* BufferedWriter.make(sink, { label: "log" })
          yield* out.write("kept")
          yield* Resource.close(out.resource)
          expect(written).toEqual(["kept"])
          const error = yield* Effect.flip(out.write("too late"))
          expect(error).toEqual(
            new ResourceReleasedError({ id: out.resource.id, label: "log", status: "Released" })
          )
          expect(yield* out.buffered).toBe(0)
        })
      )
      expect(written).toEqual(["kept"])
    })
  )

  it.effect("a failing final flush is a defect of the scope's close", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.scoped(
          Effect.flatMap(
            BufferedWriter.make(() => Effect.fail("disk full")),
            (out) => out.write("data")
          )
        )
      )
      expect(exit).toEqual(Exit.die("disk full"))
    })
  )

  it.effect(
    "interrupted at every step, every byte written is flushed exactly once",
    () =>
      Effect.gen(function* () {
        const { written, sink } = makeSink()
        let accepted: Array<string> = []
        const program = Effect.scoped(
          Effect.gen(function* () {
            written.length = 0
            accepted = []
            const out = yield* BufferedWriter.make(sink, { capacity: 3 })
            for (const word of ["ab", "cd", "ef"]) {
              yield* out.write(word)
              accepted.push(word)
            }
          })
        )
        // A write that was interrupted before it returned may or may not be in; every
        // accepted write is, once, in order.
        const check = () => {
          const text = written.join("")
          const expected = accepted.join("")
          return text.startsWith(expected) && text.length - expected.length <= 2
            ? Effect.void
            : Effect.fail(
                `accepted ${JSON.stringify(accepted)}, written ${JSON.stringify(written)}`
              )
        }
        const report = yield* Interruption.assertEveryStep(program, { check })
        expect(report.failures).toEqual([])
      }),
    60_000
  )

  it.effect(
    "at every interleaving of two writers, every accepted write is flushed once",
    () =>
      Effect.gen(function* () {
        const { written, sink } = makeSink()
        const program = Effect.scoped(
          Effect.gen(function* () {
            written.length = 0
            const out = yield* BufferedWriter.make(sink, { capacity: 4 })
            const writer = (name: string) =>
              Effect.forEach(["1", "2", "3"], (n) => out.write(`${name}${n}`), { discard: true })
            const a = yield* Effect.forkChild(writer("a"))
            const b = yield* Effect.forkChild(writer("b"))
            yield* Fiber.join(a)
            yield* Fiber.join(b)
          })
        )
        const check = () => {
          const text = written.join("")
          const pieces = ["a1", "a2", "a3", "b1", "b2", "b3"]
          const everyOnce = pieces.every((p) => text.split(p).length === 2)
          const inOrder = (name: string) =>
            text.indexOf(`${name}1`) < text.indexOf(`${name}2`) &&
            text.indexOf(`${name}2`) < text.indexOf(`${name}3`)
          return text.length === 12 && everyOnce && inOrder("a") && inOrder("b")
            ? Effect.void
            : Effect.fail(`written ${JSON.stringify(written)}`)
        }
        const report = yield* Interruption.assertEveryStep(program, { mode: "yield", check })
        expect(report.failures).toEqual([])
      }),
    60_000
  )

  it.effect(
    "a write racing the final flush is either flushed or refused, never lost",
    () =>
      Effect.gen(function* () {
        // Regression: `write` checked that the writer was open one step before buffering, so a
        // yield in between let the final flush go first and the accepted bytes were dropped.
        const { written, sink } = makeSink()
        let accepted: Array<string> = []
        const program = Effect.scoped(
          Effect.gen(function* () {
            written.length = 0
            accepted = []
            const out = yield* BufferedWriter.make(sink)
            const closing = yield* Effect.forkChild(Resource.close(out.resource))
            for (const word of ["a", "b", "c"]) {
              yield* Effect.ignore(
                Effect.tap(out.write(word), () =>
                  Effect.sync(() => {
                    accepted.push(word)
                  })
                )
              )
            }
            yield* Fiber.join(closing)
          })
        )
        const check = () =>
          written.join("") === accepted.join("")
            ? Effect.void
            : Effect.fail(
                `accepted ${JSON.stringify(accepted)}, written ${JSON.stringify(written)}`
              )
        const report = yield* Interruption.assertEveryStep(program, { mode: "yield", check })
        expect(report.failures).toEqual([])
      }),
    60_000
  )
})
