/**
 * The typed errors of `@scopeguard/vitest`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import type { Tracking } from "@scopeguard/core"
import type * as Interruption from "./Interruption.js"
import { describeEntry, describeLive, formatReport } from "./internal/describe.js"

/**
 * The error of `assertEveryStep`; its message names every failing step, its kind and
 * message, and how to replay one.
 *
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Interruption } from "@scopeguard/vitest"
 *
 * const test = Interruption.assertEveryStep(Effect.void).pipe(
 *   Effect.catchTag("InterruptionError", (e) => Effect.die(e.message))
 * )
 * ```
 * @since 0.1.0
 * @category errors
 */
export class InterruptionError extends Data.TaggedError("InterruptionError")<{
  readonly report: Interruption.Report
}> {
  override get message(): string {
    return formatReport(this.report)
  }
}

/**
 * What `assertNone` fails with: the entries still alive.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Guard } from "@scopeguard/core"
 * import { LeakProbe } from "@scopeguard/vitest"
 *
 * const program = Effect.gen(function* () {
 *   yield* Guard.make(Effect.void, { label: "forgotten" }) // in a scope that stays open
 *   yield* LeakProbe.assertNone
 * }).pipe(
 *   Effect.scoped,
 *   Effect.catchTag("LeakError", (e) => Effect.succeed(e.message)),
 *   Effect.provide(LeakProbe.layer)
 * )
 * // 0 resources and 1 armed guard still alive: guard "forgotten" (#1)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class LeakError extends Data.TaggedError("LeakError")<{
  readonly live: ReadonlyArray<Tracking.Entry>
}> {
  override get message(): string {
    return `${describeLive(this.live)} still alive: ${this.live.map(describeEntry).join(", ")}`
  }
}
