/**
 * A buffered writer whose buffer is flushed when its scope closes — on success, and also on
 * failure, defect and interruption, which is when the last lines of a log matter most.
 *
 * ```ts
 * import { Effect } from "effect"
 * import { BufferedWriter } from "@scopeguard/platform"
 *
 * const lines: Array<string> = []
 * const sink = (chunk: Uint8Array) =>
 *   Effect.sync(() => {
 *     lines.push(new TextDecoder().decode(chunk))
 *   })
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const out = yield* BufferedWriter.make(sink, { capacity: 1024 })
 *     yield* out.write("step 1\n")
 *     yield* Effect.fail("crash") // "step 1\n" is still written when the scope closes
 *   })
 * )
 * ```
 *
 * The writer is a scopeguard `Resource`: `Resource.close(writer.resource)` flushes and closes
 * it early, `releaseTimeout` bounds the final flush. Flushes write in the order they started.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { Resource, ResourceReleasedError } from "@scopeguard/core"
import * as internal from "./internal/bufferedWriter.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface BufferedWriter<E> {
  /** Buffers the data; flushes when the buffer reaches `capacity` bytes. */
  readonly write: (data: Uint8Array | string) => Effect.Effect<void, E | ResourceReleasedError>
  /** Writes what is buffered now. */
  readonly flush: Effect.Effect<void, E | ResourceReleasedError>
  /** How many bytes are buffered. */
  readonly buffered: Effect.Effect<number>
  /** The writer as a resource of its scope: close it early, witness its final flush. */
  readonly resource: Resource.Resource<unknown>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Flush when this many bytes are buffered. Default: 64 KiB. */
  readonly capacity?: number | undefined
  /** Shown in errors, logs and leak reports. Default: `buffered writer`. */
  readonly label?: string | undefined
  /** Bounds the final flush, as for `Resource.make`. */
  readonly releaseTimeout?: Duration.Input | undefined
}

/**
 * A writer buffering in memory in front of `sink`, flushed when the scope closes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { BufferedWriter } from "@scopeguard/platform"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const out = yield* BufferedWriter.make((chunk) => Effect.log(`${chunk.length} bytes`))
 *     yield* out.write("hello")
 *     return yield* out.buffered // 5
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <E, R>(
  sink: (chunk: Uint8Array) => Effect.Effect<void, E, R>,
  options?: Options
) => Effect.Effect<BufferedWriter<E>, never, R | Scope.Scope> = internal.make
