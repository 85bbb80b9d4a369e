/**
 * The reductions against `reduce: false` on every path of the Effect 4 survey
 * (bench/survey/effect.ts): each path explored both ways in interrupt mode (root and holder
 * targets) and yield mode must report the same failures at the same points (runtime ids, `#12`,
 * aside), and in exhaustive mode with one preemption the same distinct failures (its runs are
 * numbered in the order run, and a skipped preemption's run is the kept one's). Prints a line per path and mode and a total; exits 1 when any
 * pair differs. test/reductions.test.ts runs it; `node --import tsx bench/reductions.ts Pool`
 * runs the paths whose name contains a word.
 */
import { isDeepStrictEqual } from "node:util"
import { Effect } from "effect"
import { Interruption } from "@scopeguard/vitest"
import { paths } from "./survey/effect.js"

const normalised = (report: Interruption.Report) =>
  report.mode === "exhaustive"
    ? [...new Set(report.failures.map((f) => `${f.kind}: ${f.message.replace(/#\d+/g, "#n")}`))]
        .sort()
        .map((message) => ({ step: 0, message }))
    : report.failures.map((f) => ({ ...f, message: f.message.replace(/#\d+/g, "#n") }))
const modes = [
  ["interrupt", "root"],
  ["interrupt", "holder"],
  ["yield", "root"],
  ["exhaustive", "root"]
] as const
const words = process.argv[2]?.split(",")
let differing = 0
let pairs = 0
const totals = { points: 0, full: 0, reduced: 0, fullMs: 0, reducedMs: 0 }
for (const p of paths()) {
  if (words !== undefined && !words.some((w) => p.name.includes(w))) continue
  for (const [mode, target] of modes) {
    const options = {
      ...p.options,
      mode,
      target,
      progress: false,
      ...(mode === "exhaustive" ? { preemptions: 1, shrink: false } : {})
    } as Interruption.Options<never>
    const t0 = performance.now()
    const full = await Effect.runPromise(
      Interruption.explore(p.program, { ...options, reduce: false })
    )
    const t1 = performance.now()
    const reduced = await Effect.runPromise(Interruption.explore(p.program, options))
    const t2 = performance.now()
    const same = isDeepStrictEqual(normalised(full), normalised(reduced))
    pairs++
    if (!same) differing++
    totals.points += full.steps
    totals.full += full.runs
    totals.reduced += reduced.runs
    totals.fullMs += t1 - t0
    totals.reducedMs += t2 - t1
    const r = reduced.reduced
    const covered =
      mode === "exhaustive"
        ? ` (skipped: ${reduced.exhaustive?.reduced})`
        : r === undefined
          ? " (not reduced)"
          : ` (covered: ${r.deferred} deferred, ${r.continuation} continuation, ${r.idle} idle)`
    console.log(
      `${same ? "same" : "DIFFERENT"}: ${p.module} ${p.name}, ${mode}/${target}: ${full.steps} points, ${full.failures.length} failing; runs ${full.runs} → ${reduced.runs}${covered}`
    )
    if (!same) {
      const a = normalised(full)
      const b = new Map(normalised(reduced).map((f) => [f.step, f]))
      for (const f of a.filter((f) => !isDeepStrictEqual(f, b.get(f.step))).slice(0, 3)) {
        console.log(`  full:    ${JSON.stringify(f)}\n  reduced: ${JSON.stringify(b.get(f.step))}`)
      }
    }
  }
}
console.log(
  `\n${pairs} explorations compared: ${totals.points} points, runs ${totals.full} → ${totals.reduced} (${((totals.reduced / Math.max(1, totals.full)) * 100).toFixed(0)}%), ${(totals.fullMs / 1000).toFixed(1)} s → ${(totals.reducedMs / 1000).toFixed(1)} s`
)
console.log(`${differing} differing`)
process.exitCode = differing === 0 ? 0 : 1
