import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Scope from "effect/Scope"
import { Resource, type ResourceReleasedError } from "@scopeguard/core"
import type * as BufferedWriter from "../BufferedWriter.js"
import { bytes, label as checkLabel, record } from "./options.js"

const encoder = new TextEncoder()

const concat = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

class State<E, R> {
  /** Set by the final flush, in the block that takes the last bytes. */
  closed = false
  chunks: Array<Uint8Array> = []
  size = 0
  /** Completed when the last flush started has finished: flushes write in order. */
  tail: Deferred.Deferred<void> = Deferred.makeUnsafe<void>()
  constructor(readonly sink: (chunk: Uint8Array) => Effect.Effect<void, E, R>) {
    Deferred.doneUnsafe(this.tail, Exit.void)
  }

  /**
   * Takes what is buffered and writes it after the flushes already started. Uninterruptible:
   * once the bytes have left the buffer they are written, or the failure is reported.
   */
  flush(): Effect.Effect<void, E, R> {
    return Effect.uninterruptible(
      Effect.suspend(() => {
        if (this.size === 0) return Deferred.await(this.tail)
        const chunk = concat(this.chunks, this.size)
        this.chunks = []
        this.size = 0
        const previous = this.tail
        const mine = Deferred.makeUnsafe<void>()
        this.tail = mine
        return Deferred.await(previous).pipe(
          // `suspend`: a sink that throws instead of returning an Effect fails this flush
          // (a defect) and still completes `mine`, so later flushes are not left waiting.
          Effect.andThen(Effect.suspend(() => this.sink(chunk))),
          Effect.ensuring(Deferred.done(mine, Exit.void))
        )
      })
    )
  }
}

class BufferedWriterImpl<E, R> implements BufferedWriter.BufferedWriter<E> {
  constructor(
    readonly resource: Resource.Resource<State<E, R>>,
    readonly state: State<E, R>,
    readonly capacity: number,
    readonly context: (self: Effect.Effect<void, E, R>) => Effect.Effect<void, E>
  ) {}

  write(data: Uint8Array | string): Effect.Effect<void, E | ResourceReleasedError> {
    return Effect.suspend((): Effect.Effect<void, E | ResourceReleasedError> => {
      const state = this.state
      // Race: a write and the final flush. "Still open?" and "buffer it" happen in this one
      // synchronous block, and the final flush marks the state closed in the block that
      // takes the last bytes: a write is either in those bytes or refused, never dropped.
      if (state.closed) {
        // The release has started: `get` fails with the resource's own status.
        return Effect.andThen(Resource.get(this.resource), Effect.die("unreachable"))
      }
      const bytes = typeof data === "string" ? encoder.encode(data) : data
      state.chunks.push(bytes)
      state.size += bytes.length
      return state.size >= this.capacity ? this.context(state.flush()) : Effect.void
    })
  }

  get flush(): Effect.Effect<void, E | ResourceReleasedError> {
    return Resource.use(this.resource, (state) => this.context(state.flush()))
  }

  get buffered(): Effect.Effect<number> {
    return Effect.match(Resource.get(this.resource), {
      onFailure: () => 0,
      onSuccess: (state) => state.size
    })
  }
}

/** @internal */
export const make = <E, R>(
  sink: (chunk: Uint8Array) => Effect.Effect<void, E, R>,
  options?: BufferedWriter.Options
): Effect.Effect<BufferedWriter.BufferedWriter<E>, never, R | Scope.Scope> =>
  Effect.flatMap(Effect.context<R>(), (context) => {
    // Checked when the effect runs: building it never throws, a bad option is a defect here.
    const checked = record(options)
    const capacity = bytes("capacity", checked?.capacity) ?? 64 * 1024
    const label = checkLabel("label", checked?.label) ?? "buffered writer"
    const provide = (self: Effect.Effect<void, E, R>) => Effect.provideContext(self, context)
    const state = new State(sink)
    return Effect.map(
      Resource.make(
        Effect.succeed(state),
        // On every exit of the scope — success, failure, interruption — what is buffered is
        // written. A failing write is a defect of the close, named by the label.
        (state) =>
          Effect.suspend(() => {
            state.closed = true
            return Effect.orDie(state.flush())
          }),
        {
          label,
          releaseTimeout: checked?.releaseTimeout
        }
      ),
      (resource) => new BufferedWriterImpl(resource, state, capacity, provide)
    )
  })
