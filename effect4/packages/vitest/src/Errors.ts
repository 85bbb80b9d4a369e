/**
 * The typed errors of `@scopeguard/vitest`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import type { Tracking } from "@scopeguard/core"
import { describeEntry, describeLive } from "./internal/describe.js"
import type * as Interruption from "./Interruption.js"

/**
 * `Interruption.assertEveryStep` found failing steps. The message names them.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Interruption } from "@scopeguard/vitest"
 *
 * const program = Interruption.assertEveryStep(Effect.void).pipe(
 *   Effect.catchTag("InterruptionError", (e) => Effect.succeed(e.report.failures.length))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InterruptionError extends Data.TaggedError("InterruptionError")<{
  readonly report: Interruption.Report
}> {
  override get message(): string {
    const { runs, steps, mode, pct, exhaustive, failOn, sampled, reduced } = this.report
    // failOn "reachable": only the failures Effect's default scheduler reaches (no budget
    // under 10); the others are in the report.
    const failures =
      failOn === "any"
        ? this.report.failures
        : this.report.failures.filter(
            (f) =>
              f.reach !== "internal" &&
              (f.reach !== "budget" || (f.budget !== undefined && f.budget >= 10))
          )
    // A run can fail several ways (a leak and its check): the heads count failing points.
    const pointsOf = (list: ReadonlyArray<Interruption.Failure>) =>
      new Set(list.map((f) => `${f.mode}/${f.target}:${f.budget ?? ""}:${f.step}`)).size
    const failed = pointsOf(failures)
    // PCT and exhaustive runs: each failure (with what it was shrunk from). The other modes:
    // the ranges — consecutive points that failed the same way, one line each.
    const byRun = mode === "pct" || mode === "exhaustive"
    const ranges = this.report.ranges.filter((r) => failOn === "any" || r.reachable)
    const points = (from: number, to: number, one: string, many: string) =>
      from === to ? `${one} ${from}` : `${many} ${from}-${to}`
    // The user's line nearest to a range's first perturbation (`Range.near`), by schedule.
    const nearOf = new Map<string, string>()
    for (const r of ranges)
      if (r.near !== undefined && !nearOf.has(r.schedule)) nearOf.set(r.schedule, r.near)
    const near = (schedule: string) => {
      const at = nearOf.get(schedule)
      return at === undefined ? "" : `, near ${at}`
    }
    const lines = byRun
      ? failures.map(
          (f) =>
            `run ${f.step} (${f.kind}${near(f.schedule)}): ${f.message} [replay: "${f.schedule}"${
              f.original === undefined
                ? ""
                : `, shrunk from ${f.original.split(" ").length} decisions`
            }]`
        )
      : ranges.map(
          (r) =>
            `${mode === "all" ? `${r.mode}/${r.target} ` : ""}${
              r.mode === "budget"
                ? `budget ${r.budget}, ${points(r.from, r.to, "turn end", "turn ends")}`
                : points(r.from, r.to, "step", "steps")
            } (${r.kind}${r.fiber === undefined ? "" : `, ${r.fiber}`}${r.near === undefined ? "" : `, near ${r.near}`}): ${r.message} [replay: "${r.schedule}"]`
        )
    const shown = lines.slice(0, 10).join("\n  ")
    const hidden = pointsOf(this.report.failures) - failed
    const more =
      (lines.length > 10
        ? `\n  … and ${lines.length - 10} more ${byRun ? "failures" : "ranges"}`
        : "") +
      (hidden > 0
        ? `\n  (and ${hidden} failing ${hidden === 1 ? "run" : "runs"} Effect's default scheduler cannot reach — only a budget under 10, or at a library's internal fiber: failOn "any" fails on them)`
        : "")
    const passes = (this.report.passes ?? []).map(
      (p) =>
        `${p.mode}/${p.target}${p.budgets === undefined ? "" : ` ${p.budgets.join(", ")}`}: ${p.points} ${p.mode === "budget" ? (p.target === "root" ? "turn ends and budget runs" : "turn ends") : "points"}`
    )
    const head =
      mode === "all"
        ? `${failed} of ${this.report.passes.reduce((n, p) => n + p.points, 0) + 1} points failed (passes ${passes.join("; ")}; point 0 is the run without interruption)`
        : mode === "pct"
          ? `${failed} of ${runs} PCT schedules failed (seed ${pct?.seed}, depth ${pct?.depth}: each run finds a depth-${pct?.depth} bug with probability ≥ ${pct?.perRun.toPrecision(2)}, all runs ≥ ${pct?.atLeastOnce.toPrecision(2)})`
          : mode === "exhaustive"
            ? `${failed} of ${exhaustive?.schedules} schedules failed (at most ${exhaustive?.preemptions} preemptions; ${
                exhaustive?.exhausted === true
                  ? "every such schedule was run"
                  : `cut short by maxSchedules ${exhaustive?.maxSchedules}: not every such schedule was run`
              })`
            : mode === "budget"
              ? `${failed} of ${(this.report.passes[0]?.points ?? runs) + 1} budget points failed (budgets ${(this.report.budgets ?? []).map((b) => b.budget).join(", ")}: ${runs} turn ends, and each budget's own run; point 0 is the run without interruption)`
              : `${failed} of ${(sampled?.runs ?? steps) + 1} ${mode === "yield" ? "preemption" : "interruption"} points failed (point 0 is the run ${mode === "yield" ? "without a forced yield" : "without interruption"})`
    // As the Effect 3 edition says it: which equivalence covered the points not run.
    const by =
      reduced === undefined || reduced.points === 0
        ? []
        : [
            ...(reduced.deferred > 0 ? [`deferred interruption ${reduced.deferred}`] : []),
            ...(reduced.continuation > 0 ? [`continuation ${reduced.continuation}`] : []),
            ...(reduced.idle > 0 ? [`idle ${reduced.idle}`] : [])
          ]
    const note =
      by.length === 0
        ? ""
        : `\n  note: ${reduced!.points} of the ${(sampled?.runs ?? steps) + 1} points shared an equivalent point's run (${by.join(", ")}; reduce: false runs each)`
    return `${head}:\n  ${shown}${more}${note}`
  }
}

/**
 * `LeakProbe.assertNone` found resources still acquired or guards still armed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { LeakProbe } from "@scopeguard/vitest"
 *
 * const program = LeakProbe.assertNone.pipe(
 *   Effect.catchTag("LeakError", (e) => Effect.succeed(e.live.length)),
 *   Effect.provide(LeakProbe.layer)
 * )
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
