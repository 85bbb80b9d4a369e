/**
 * `npm run survey` (Effect 4 edition): the explorer over upstream code paths of effect 4.1
 * nobody here wrote (bench/survey/effect.ts), in every mode: interrupt (root and holder
 * targets), yield, pct, exhaustive (every schedule of at most 2 preemptions, up to 2,000
 * schedules a path: "exhaustive (cut)" when the bound stopped it) and budget (root and holder,
 * the default budgets: 10 to 16, 32, 64, 2048). For each path and mode: points, failing runs, how many of those
 * Effect's default scheduler reaches (a turn start, or a budget of 10 operations or more), the
 * distinct failures, the points outside the explorer's control and the seconds it took. A
 * failure here is a lead, not a finding: docs/findings/README.md ("On Effect 4") lists what a
 * plain program (no explorer, test/findings/*.ts) confirmed.
 *
 * `npm run survey -- "Cache,Pool"` runs only the paths whose name contains one of the
 * comma-separated words; `--modes interrupt/root,pct/root` picks the modes.
 */
import { Effect } from "effect"
import { Interruption } from "@scopeguard/vitest"
import { paths } from "./survey/effect.js"

type ModeTarget = readonly [Interruption.Mode, Interruption.Target]
const allModes: ReadonlyArray<ModeTarget> = [
  ["interrupt", "root"],
  ["interrupt", "holder"],
  ["yield", "root"],
  ["pct", "root"],
  ["exhaustive", "root"],
  ["budget", "root"],
  ["budget", "holder"]
]
/** PCT: schedules per path and the bug depth targeted. */
const pct = { runs: 50, depth: 2, seed: 1 }
/** Exhaustive: the preemption bound and the most schedules per path. */
const exhaustive = { preemptions: 2, maxSchedules: 2_000 }

const args = process.argv.slice(2)
const modesAt = args.indexOf("--modes")
const modes =
  modesAt === -1
    ? allModes
    : args[modesAt + 1]!.split(",").map((m) => m.split("/") as unknown as ModeTarget)
const words = args.filter((_, i) => i !== modesAt && i !== modesAt + 1)[0]?.split(",")
const selected = paths().filter((p) => words === undefined || words.some((w) => p.name.includes(w)))

/** Distinct failures, with what varies per run (ids, numbers) normalised. */
const kinds = (report: Interruption.Report) =>
  [
    ...new Set(
      report.failures.map(
        (f) =>
          `${f.kind}: ${f.message
            .replace(/#\d+/g, "#n")
            .replace(/\d+(ms| ms|s)\b/g, "N$1")
            .slice(0, 90)}`
      )
    )
  ]
    .sort()
    .join("; ")
    .replace(/\|/g, "/")

/**
 * Whether Effect's default scheduler reaches the failure: a budget ≥ 10 counts, a library's
 * internal fiber interrupted alone (`reach: "internal"`) does not.
 */
const reachable = (f: Interruption.Failure) =>
  f.reach !== "internal" && (f.reach !== "budget" || (f.budget !== undefined && f.budget >= 10))

const started = performance.now()
const found = new Map<string, Array<string>>()
console.log(`${selected.length} paths; modes ${modes.map((m) => m.join("/")).join(", ")}`)
console.log(
  "| path | module | mode | target | points | runs | failing | reachable | outside | failures | s |"
)
console.log("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
for (const { name, module, program, options } of selected) {
  for (const [mode, target] of modes) {
    // A path that needs the holder target (shared state another caller sees) is interrupted
    // only there; the yield and pct modes interrupt nothing and run every path.
    if (
      (mode === "interrupt" || mode === "budget") &&
      options.target !== undefined &&
      options.target !== target
    ) {
      continue
    }
    const t0 = performance.now()
    const report = await Effect.runPromise(
      Interruption.explore(program, {
        hangTimeout: "200 millis",
        progress: false,
        ...options,
        mode,
        target,
        ...(mode === "pct" ? pct : {}),
        ...(mode === "exhaustive" ? exhaustive : {})
      })
    )
    const seconds = (performance.now() - t0) / 1000
    const reached = report.failures.filter(reachable).length
    if (report.failures.length > 0) {
      const list = found.get(name) ?? []
      list.push(
        `${mode}/${target} (${reached} reachable of ${report.failures.length}): ${kinds(report)}`
      )
      found.set(name, list)
    }
    const label = mode === "interrupt" || mode === "budget" ? target : "-"
    const shown = report.exhaustive?.exhausted === false ? `${mode} (cut)` : mode
    console.log(
      `| ${name} | ${module} | ${shown} | ${label} | ${report.steps} | ${report.runs} | ${report.failures.length} | ${reached} | ${report.outsideControl} | ${kinds(report)} | ${seconds.toFixed(1)} |`
    )
  }
}
console.log(
  `\n${selected.length} paths, ${((performance.now() - started) / 1000).toFixed(0)} s; with failures: ${found.size}`
)
for (const [name, list] of found) console.log(`- ${name}: ${list.join("; ")}`)
// Runs abandoned as hung may still hold timers: the table is complete, so end here.
process.exit(0)
