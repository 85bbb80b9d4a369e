/**
 * `npm run survey`: the explorer over upstream code paths nobody here wrote — effect,
 * @effect/platform, @effect/sql and @effect/experimental (bench/survey/*.ts) — in several
 * modes and targets. For each path and mode: steps, failing points, how many of them Effect's
 * default scheduler reaches, the distinct failures and the seconds it took. A failure listed
 * here is a lead, not a finding: docs/findings/README.md lists those a plain Effect program
 * (no explorer) confirmed, each with its report and reproduction (test/findings/*.ts).
 *
 * `npm run survey -- "Cache.get,Pool.get"` runs only the paths whose name contains one of
 * the comma-separated words; `--modes interrupt/root,budget/root` picks the modes, and
 * `--modes all` runs each path with the explorer's defaults (its `check` and nothing else:
 * mode "all", failOn "reachable"), to show what a user gets without choosing.
 */
import { Effect } from "effect"
import { Interruption } from "@scopeguard/vitest"
import { paths as effectPaths } from "./survey/effect.js"
import { paths as experimentalPaths } from "./survey/experimental.js"
import { paths as platformPaths } from "./survey/platform.js"
import { paths as sqlPaths, setup } from "./survey/sql.js"
import type { Path } from "./survey/world.js"

type ModeTarget = readonly [Interruption.Mode, Interruption.Target]
const allModes: ReadonlyArray<ModeTarget> = [
  ["interrupt", "root"],
  ["interrupt", "holder"],
  ["budget", "root"]
]
/**
 * Budget mode's budget here (32: it confirms every budget finding of the table), and only on
 * paths of at most `budgetSteps` steps: small budgets multiply the steps, and exploring costs
 * steps², so a 3,000-step stream takes minutes. `--modes yield/root` and the others on demand.
 */
const budgets = [32]
const budgetSteps = 1000

const args = process.argv.slice(2)
const modesAt = args.indexOf("--modes")
const modes =
  modesAt === -1
    ? allModes
    : args[modesAt + 1]!.split(",").map((m) => m.split("/") as unknown as ModeTarget)
const words = args.filter((_, i) => i !== modesAt && i !== modesAt + 1)[0]?.split(",")

const all: ReadonlyArray<Path> = [
  ...effectPaths(),
  ...platformPaths(),
  ...sqlPaths(),
  ...experimentalPaths()
]
const selected = all.filter((p) => words === undefined || words.some((w) => p.name.includes(w)))

await Effect.runPromise(setup)

/** Distinct failures, with what varies per run (ids, numbers of steps) normalised. */
const kinds = (report: Interruption.Report) =>
  [
    ...new Set(
      report.failures.map(
        (f) => `${f.kind}: ${f.message.replace(/#\d+/g, "#n").replace(/\d+ms/g, "Nms")}`
      )
    )
  ]
    .sort()
    .join("; ")

const started = performance.now()
const found = new Map<string, Array<string>>()
const steps = new Map<string, number>()
console.log(`${selected.length} paths; modes ${modes.map((m) => m.join("/")).join(", ")}`)
console.log("| path | package | mode | target | steps | failing | reachable | failures | s |")
console.log("| --- | --- | --- | --- | ---: | ---: | ---: | --- | ---: |")
for (const { name, pkg, program, options } of selected) {
  for (const [mode, target] of modes) {
    // A path that needs the holder target (shared state another caller sees) runs only there.
    if (mode !== "all" && options.target !== undefined && options.target !== target) continue
    if (mode === "budget" && modesAt === -1 && (steps.get(name) ?? 0) > budgetSteps) continue
    const t0 = performance.now()
    const report = await Effect.runPromise(
      Interruption.explore(
        program,
        mode === "all"
          ? // The defaults: the path's check, and only the bound and silence the survey needs.
            { hangTimeout: "100 millis", progress: false, check: options.check }
          : {
              hangTimeout: "100 millis",
              progress: false,
              ...options,
              mode,
              target,
              ...(mode === "budget" ? { budgets } : {})
            }
      )
    )
    const seconds = (performance.now() - t0) / 1000
    steps.set(name, Math.max(steps.get(name) ?? 0, report.steps))
    if (report.failures.length > 0) {
      const list = found.get(name) ?? []
      list.push(`${mode}/${target} (${report.reachable} reachable)`)
      found.set(name, list)
    }
    console.log(
      `| ${name} | ${pkg} | ${mode} | ${target} | ${report.steps} | ${report.failures.length} | ${report.reachable} | ${kinds(report)} | ${seconds.toFixed(1)} |`
    )
  }
}
console.log(
  `\n${selected.length} paths (${[...new Set(selected.map((p) => p.pkg))].join(", ")}), ${((performance.now() - started) / 1000).toFixed(0)} s; with failures: ${found.size}`
)
for (const [name, list] of found) console.log(`- ${name}: ${list.join(", ")}`)
// Runs abandoned as hung may still hold timers: the table is complete, so end here.
process.exit(0)
