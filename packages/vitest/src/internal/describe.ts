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

const REACH: Record<Interruption.Reach, string> = {
  uninterrupted: "without interruption",
  "turn-start": "reachable: a turn starts here",
  budget: "reachable with a budget",
  "explorer-only": "explorer only: no budget of 10 or more preempts here",
  internal: "internal: a library forked this fiber; no user code interrupts it alone"
}

/** Whether a failure counts for `failOn: "reachable"`. */
export const isReachable = (reach: Interruption.Reach): boolean =>
  reach !== "explorer-only" && reach !== "internal"

/** Where a range's first step was, and how the runtime can reach it. */
const describeWhere = (range: Interruption.Range): string => {
  const where = range.where
  const parts =
    where === undefined
      ? []
      : [
          where.forkedAt === undefined ? where.fiber : `${where.fiber} forked at ${where.forkedAt}`,
          where.op,
          ...(where.span === undefined ? [] : [`in ${where.span}`]),
          ...(where.source === undefined ? [] : [`at ${where.source}`]),
          ...(where.near === undefined ? [] : [`near ${where.near}`]),
          // The same number as the JSON's `where.turn`: the operations its fiber had run in
          // its turn before the step.
          ...(range.reach === "uninterrupted" ? [] : [`turn: ${where.turn}`])
        ]
  const reach =
    range.reach === "budget" && range.budget !== undefined
      ? `reached with budget ${range.budget}`
      : range.reach === "budget" && where !== undefined
        ? `reachable with budget ${where.turn}`
        : REACH[range.reach]
  return ` (${[...parts, reach].join(", ")})`
}

/** The readable failure message of `assertEveryStep`. */
export const formatReport = (report: Interruption.Report): string =>
  report.mode === "all" ? formatAll(report) : formatPass(report)

/** Mode "all": each pass's ranges, under one header. */
const formatAll = (report: Interruption.Report): string => {
  const failed = new Set(
    report.failures.map((f) => `${f.mode}/${f.target}:${f.budget ?? ""}:${f.step}`)
  ).size
  const total = report.passes.reduce((n, p) => n + p.points, 0) + 1
  const passes = report.passes.map((p) =>
    p.mode === "budget"
      ? `budget ${(p.budgets ?? []).join(", ")}${p.target === "holder" ? " holder" : ""}: ${p.points} ${p.target === "holder" ? "turn ends" : "turn ends and budget runs"}`
      : p.target === "holder"
        ? `interrupt/holder: ${p.points} steps of the program's own fibers`
        : `interrupt/root: ${p.points} steps`
  )
  const lines = [
    `${failed} of ${total} points failed (${report.steps} steps; passes ${passes.join("; ")}; point 0 is the run without interruption):`
  ]
  return [...lines, ...rangeLines(report, true), ...notes(report, report.steps)].join("\n")
}

/** The lines of the ranges `failOn` counts (all of them with `"any"`), then a count of the others. */
const rangeLines = (report: Interruption.Report, named: boolean): Array<string> => {
  const lines: Array<string> = []
  let others = 0
  for (const range of report.ranges) {
    if (report.failOn === "reachable" && !isReachable(range.reach)) {
      others += range.points
      continue
    }
    const steps = range.from === range.to ? `step ${range.from}` : `steps ${range.from}-${range.to}`
    const at = range.budget === undefined ? steps : `budget ${range.budget}, ${steps}`
    const pass = named ? `${range.mode}/${range.target} ` : ""
    // `[replay: …]`: the schedule `Interruption.replay` runs, as the Effect 4 edition prints it.
    lines.push(
      `  ${pass}${at} [${range.kind}] ${range.message}${describeWhere(range)} [replay: "${range.schedule}"]`
    )
  }
  if (others > 0) {
    lines.push(
      `  and ${others} failing point${others === 1 ? "" : "s"} Effect's default scheduler cannot reach (explorer-only, or a library's internal fiber): failOn: "any" lists them`
    )
  }
  return lines
}

const formatPass = (report: Interruption.Report): string => {
  const budget = report.mode === "budget"
  const points =
    report.mode === "yield" ? "yield points" : budget ? "turn ends" : "interruption points"
  const unperturbed = report.mode === "yield" ? "without a forced yield" : "without interruption"
  const explored = budget ? (report.budgets ?? []).reduce((n, b) => n + b.points, 0) : report.steps
  const failed = new Set(report.failures.map((f) => `${f.budget ?? ""}:${f.step}`)).size
  // Budget mode's points: the turn ends explored, each budget's own run, and point 0.
  const budgetPoints = (report.passes[0]?.points ?? explored) + 1
  const lines = [
    budget
      ? `${failed} of ${budgetPoints} budget points failed (budgets ${(report.budgets ?? []).map((b) => b.budget).join(", ")}: ${explored} turn ends, and each budget's own run as its step 0; ${report.steps} steps at the default budget; point 0 is the run ${unperturbed}):`
      : `${failed} of ${report.steps + 1} ${points} failed (${report.steps} steps; step 0 is the run ${unperturbed}):`
  ]
  return [...lines, ...rangeLines(report, false), ...notes(report, explored)].join("\n")
}

/** The notes under the ranges, and how to replay a failure. */
const notes = (report: Interruption.Report, explored: number): Array<string> => {
  const lines: Array<string> = []
  const budget = report.mode === "budget"
  const explorerOnly = report.failures.length - report.reachable
  if (explorerOnly > 0 && report.failOn === "any") {
    lines.push(
      `note: ${explorerOnly} of the ${report.failures.length} failures are at points Effect's default scheduler cannot reach (failOn: "reachable", the default, ignores them)`
    )
  }
  if (report.outsideControl > 0) {
    lines.push(
      `note: ${report.outsideControl} operations ran in fibers the explorer could not see (started by a runtime without Interruption.layer); they were neither counted nor interrupted`
    )
  }
  if (report.sampled !== undefined) {
    lines.push(
      `note: sampled: ${report.sampled.runs} of the ${explored} ${budget ? "turn ends" : "steps"} were explored (seed ${report.sampled.seed})`
    )
  }
  const reduced = report.reduced
  if (reduced !== undefined && reduced.points > 0) {
    // Which equivalence covered them (Interruption.Reduced).
    const by = [
      ...(reduced.deferred > 0 ? [`deferred interruption ${reduced.deferred}`] : []),
      ...(reduced.continuation > 0 ? [`continuation ${reduced.continuation}`] : []),
      ...(reduced.idle > 0 ? [`idle ${reduced.idle}`] : [])
    ]
    lines.push(
      `note: ${reduced.points} of the ${(report.sampled?.runs ?? explored) + 1} points shared an equivalent point's run (${by.join(", ")}; reduce: false runs each)`
    )
  }
  if (report.hangs.stuck > 0) {
    lines.push(
      `note: ${report.hangs.stuck} of the ${report.hangs.stuck + report.hangs.timedOut} hangs were told at once: no fiber of the run could run again`
    )
  }
  if (!report.deterministic) {
    const [a, b] = report.dryRunSteps
    const unreached = report.unreached.length
    const why =
      a !== b
        ? `two dry runs took ${a} and ${b} steps`
        : unreached > 0
          ? `${unreached} run${unreached === 1 ? "" : "s"} ended before the step ${unreached === 1 ? "it was" : "they were"} to be interrupted at, which the run without interruption reached`
          : "a run without interruption did not finish"
    lines.push(`note: the program is not deterministic: ${why} (use TestClock and in-memory state)`)
  }
  const counted = report.failures.filter((f) => report.failOn === "any" || isReachable(f.reach))
  const first = counted.find((f) => f.step > 0) ?? counted[0]
  if (first !== undefined) {
    // The options a replay needs to fail the same way: the mode and target where the schedule
    // cannot say them (the empty schedule, a yield or a budget's own run: no `h` token), and
    // the check, for a check's failure.
    const options = [
      ...(first.schedule === "" && first.mode !== "interrupt" ? [`mode: "${first.mode}"`] : []),
      ...(first.target === "holder" && !/\bh\d/.test(first.schedule) ? [`target: "holder"`] : []),
      ...(first.kind === "check" ? ["check"] : [])
    ]
    const tail = options.length === 0 ? "" : `, { ${options.join(", ")} }`
    lines.push(`replay one with: Interruption.replay(program, "${first.schedule}"${tail})`)
  }
  return lines
}
