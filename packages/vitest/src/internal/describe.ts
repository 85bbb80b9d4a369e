/**
 * The readable texts of the explorer's report and the leak probe's error.
 *
 * @internal
 */
import type { Tracking } from "@scopeguard/core"
import type * as Interruption from "../Interruption.js"

/** `resource "db" (#3)` */
export const describeEntry = (entry: Tracking.Entry): string =>
  `${entry.kind} "${entry.label}" (#${entry.id})`

/** `1 resource and 2 guards` */
export const describeLive = (live: ReadonlyArray<Tracking.Entry>): string => {
  const resources = live.filter((e) => e.kind === "resource").length
  const guards = live.length - resources
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`
  return `${plural(resources, "resource")} and ${plural(guards, "armed guard")}`
}

/** The readable failure message of `assertEveryStep`. */
export const formatReport = (report: Interruption.Report): string => {
  const points = report.mode === "yield" ? "yield points" : "interruption points"
  const unperturbed = report.mode === "yield" ? "without a forced yield" : "without interruption"
  const lines = [
    `${new Set(report.failures.map((f) => f.step)).size} of ${report.steps + 1} ${points} failed (${report.steps} steps; step 0 is the run ${unperturbed}):`
  ]
  for (const range of report.ranges) {
    const steps = range.from === range.to ? `step ${range.from}` : `steps ${range.from}-${range.to}`
    const where =
      range.where === undefined
        ? ""
        : ` (${range.where.fiber}, ${range.where.op}${range.where.span === undefined ? "" : `, in ${range.where.span}`})`
    lines.push(`  ${steps} [${range.kind}] ${range.message}${where}`)
  }
  if (report.sampled !== undefined) {
    lines.push(
      `note: sampled: ${report.sampled.runs} of the ${report.steps} steps were explored (seed ${report.sampled.seed})`
    )
  }
  if (!report.deterministic) {
    lines.push(
      `note: the program is not deterministic: two dry runs took ${report.dryRunSteps[0]} and ${report.dryRunSteps[1]} steps (use TestClock and in-memory state)`
    )
  }
  const first = report.failures[0]
  if (first !== undefined) {
    const mode = report.mode === "yield" ? `, { mode: "yield" }` : ""
    lines.push(`replay one with: Interruption.runAt(program, ${first.step}${mode})`)
  }
  return lines.join("\n")
}
