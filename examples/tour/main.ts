/**
 * `npm start`: a terminal tour of scopeguard. Each scenario is an example of `examples/`, run
 * as its own process; the tour prints its lifecycle trace, checks it against what the
 * example's header promises, and ends with a summary table.
 *
 *   npm start                  every scenario
 *   npm start -- <scenario>    one (or several) of them; `npm start -- list` names them
 *
 * Colour only on a terminal, and never with NO_COLOR set (https://no-color.org).
 */
import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"
import { availableParallelism } from "node:os"
import { fileURLToPath } from "node:url"
import { promised } from "./promised.js"

interface Scenario {
  readonly name: string
  readonly title: string
  readonly file: string
}

const scenarios: ReadonlyArray<Scenario> = [
  { name: "lifecycle", title: "A Resource on every exit", file: "lifecycle.ts" },
  { name: "exercises", title: "Witness, counter, warning", file: "seed-exercises.ts" },
  {
    name: "flush",
    title: "Buffered output flushed on interruption",
    file: "flush-on-interrupt.ts"
  },
  { name: "commit", title: "Guarded step and commit", file: "resource-and-guard.ts" },
  { name: "lease", title: "A lease drained on close", file: "lease-drain.ts" },
  { name: "using", title: "Using, both ways", file: "await-using.ts" },
  { name: "atomic", title: "Atomic file and buffered log", file: "atomic-file.ts" },
  { name: "explorer", title: "The explorer catches a leak", file: "explorer-leak.ts" }
]

const examples = fileURLToPath(new URL("..", import.meta.url))

const colour = process.stdout.isTTY === true && process.env["NO_COLOR"] === undefined
const paint = (code: string) => (text: string) =>
  colour ? `\u001b[${code}m${text}\u001b[0m` : text
const bold = paint("1")
const dim = paint("2")
const red = paint("31")
const green = paint("32")
const yellow = paint("33")
const cyan = paint("36")

/** Colours a trace line by what it says happened. */
const highlight = (line: string): string => {
  if (/\b(Failure|Die|failed|refused|leak|left open|WARN)\b/.test(line)) return red(line)
  if (/\b(Interrupt|interrupt\w*)\b/.test(line)) return yellow(line)
  if (/\b(release|close|closed|refund|undo|disconnect|flush\w*)\b/i.test(line)) return cyan(line)
  if (/\b(acquire|open|connect|debit|credit|use|query)\b/i.test(line)) return green(line)
  return line
}

interface Outcome {
  readonly scenario: Scenario
  readonly lines: Array<string>
  readonly kept: boolean
  readonly millis: number
  readonly error: string | undefined
}

const runScenario = (scenario: Scenario): Promise<Outcome> =>
  new Promise((resolve) => {
    const start = performance.now()
    execFile(
      process.execPath,
      ["--import", "tsx", "--conditions=@scopeguard/source", examples + scenario.file],
      { cwd: examples, encoding: "utf8", timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        const lines = stdout.trimEnd().split("\n")
        const expected = promised(readFileSync(examples + scenario.file, "utf8"))
        resolve({
          scenario,
          lines,
          kept: error === null && JSON.stringify(lines) === JSON.stringify(expected),
          millis: performance.now() - start,
          error: error === null ? undefined : stderr.trim().split("\n").slice(-3).join("\n")
        })
      }
    )
  })

const print = (outcome: Outcome, index: number, total: number) => {
  const { scenario } = outcome
  console.log("")
  console.log(
    bold(`── ${index}/${total} ${scenario.title} `) +
      dim(`(${scenario.name}: examples/${scenario.file})`)
  )
  for (const line of outcome.lines) console.log(`   ${highlight(line)}`)
  if (outcome.error !== undefined) console.log(red(`   ${outcome.error}`))
  console.log(
    outcome.kept
      ? green("   ✓ printed exactly what the example promises")
      : red("   ✗ differs from what the example promises")
  )
}

const table = (outcomes: ReadonlyArray<Outcome>) => {
  const rows = outcomes.map((o) => [
    o.scenario.name,
    o.scenario.title,
    String(o.lines.length),
    `${(o.millis / 1000).toFixed(1)} s`,
    o.kept ? "✓" : "✗"
  ])
  const header = ["scenario", "what it shows", "lines", "time", "promise kept"]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const format = (cells: ReadonlyArray<string>) =>
    cells
      .map((cell, i) => (i === 2 || i === 3 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
  console.log("")
  console.log(bold(format(header)))
  console.log(dim(widths.map((w) => "─".repeat(w)).join("  ")))
  for (const row of rows) {
    const line = format(row)
    console.log(row[4] === "✓" ? line : red(line))
  }
}

const main = async () => {
  const asked = process.argv.slice(2)
  if (asked.includes("list")) {
    for (const s of scenarios) console.log(`${s.name.padEnd(10)} ${s.title}`)
    return 0
  }
  const unknown = asked.filter((name) => !scenarios.some((s) => s.name === name))
  if (unknown.length > 0) {
    console.error(`unknown scenario: ${unknown.join(", ")} (npm start -- list)`)
    return 2
  }
  const chosen = asked.length === 0 ? scenarios : scenarios.filter((s) => asked.includes(s.name))
  console.log(
    bold("scopeguard tour") +
      dim(` — ${chosen.length} scenario(s), each an example run as its own process`)
  )
  // Each scenario is a process of its own: run as many at once as there are cores, and print
  // them in order as they finish.
  const resolvers: Array<(outcome: Outcome) => void> = []
  const running = chosen.map(() => new Promise<Outcome>((resolve) => resolvers.push(resolve)))
  let next = 0
  const worker = async () => {
    while (next < chosen.length) {
      const index = next++
      resolvers[index]!(await runScenario(chosen[index]!))
    }
  }
  for (let i = 0; i < Math.max(1, availableParallelism()); i++) void worker()
  const outcomes: Array<Outcome> = []
  for (const [index, pending] of running.entries()) {
    const outcome = await pending
    outcomes.push(outcome)
    print(outcome, index + 1, chosen.length)
  }
  table(outcomes)
  return outcomes.every((o) => o.kept) ? 0 : 1
}

main().then((code) => {
  process.exitCode = code
})
