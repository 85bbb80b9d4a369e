/**
 * `npm start`: a terminal tour of scopeguard, in both editions. Each scenario is an example,
 * run as its own process; the tour prints its lifecycle trace, checks it against what the
 * example's header promises, and ends with a summary table (one row per edition and scenario).
 *
 *   npm start                              every scenario, in both editions
 *   npm start -- --edition 3               the Effect 3 edition only (or --edition 4)
 *   npm start -- <scenario> ...            one (or several) scenarios, in both editions
 *   npm start -- --edition 4 commit        one scenario in one edition
 *   npm start -- list                      names the scenarios and the editions
 *
 * The Effect 3 scenarios are `examples/*.ts`, run by the node running the tour; the Effect 4
 * ones are `effect4/examples/*.ts`, run by Effect 4's Node 22 (`effect4/node_modules/.bin/node`)
 * with `effect4` as working directory, so that tsx and the `@scopeguard/source` condition
 * resolve to the Effect 4 packages. An unknown edition, scenario or option is refused (exit
 * code 1), as is a tour in which a scenario breaks its promise.
 *
 * Colour only on a terminal, and never with NO_COLOR set (https://no-color.org). This file is
 * Effect-free: both editions share it.
 */
import { execFile } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
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

interface Edition {
  /** What `--edition` takes. */
  readonly id: string
  readonly name: string
  /** The node that runs its scenarios. */
  readonly node: string
  /** The working directory of its scenarios, and the root the paths it prints start from. */
  readonly cwd: string
  /** Its examples, relative to the repository's root. */
  readonly examples: string
}

const root = fileURLToPath(new URL("../..", import.meta.url))

const editions: ReadonlyArray<Edition> = [
  { id: "3", name: "Effect 3", node: process.execPath, cwd: root, examples: "examples/" },
  {
    id: "4",
    name: "Effect 4",
    node: `${root}effect4/node_modules/.bin/node`,
    cwd: `${root}effect4/`,
    examples: "effect4/examples/"
  }
]

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

interface Run {
  readonly edition: Edition
  readonly scenario: Scenario
}

interface Outcome extends Run {
  readonly lines: Array<string>
  readonly kept: boolean
  readonly millis: number
  readonly error: string | undefined
}

const runScenario = ({ edition, scenario }: Run): Promise<Outcome> =>
  new Promise((resolve) => {
    const start = performance.now()
    const file = root + edition.examples + scenario.file
    execFile(
      edition.node,
      ["--import", "tsx", "--conditions=@scopeguard/source", file],
      {
        cwd: edition.cwd,
        encoding: "utf8",
        timeout: 120_000,
        env: { ...process.env, NO_COLOR: "1" }
      },
      (error, stdout, stderr) => {
        const lines = stdout.trimEnd().split("\n")
        let expected: Array<string> | undefined
        let problem = error === null ? undefined : stderr.trim().split("\n").slice(-3).join("\n")
        try {
          expected = promised(readFileSync(file, "utf8"))
        } catch (e) {
          problem ??= String(e)
        }
        resolve({
          edition,
          scenario,
          lines,
          kept: error === null && JSON.stringify(lines) === JSON.stringify(expected),
          millis: performance.now() - start,
          error: problem
        })
      }
    )
  })

const print = (outcome: Outcome, index: number, total: number) => {
  const { edition, scenario } = outcome
  console.log("")
  console.log(
    bold(`── ${index}/${total} ${scenario.title} `) +
      dim(`(${edition.name}, ${scenario.name}: ${edition.examples}${scenario.file})`)
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
    o.edition.name,
    o.scenario.title,
    String(o.lines.length),
    `${(o.millis / 1000).toFixed(1)} s`,
    o.kept ? "✓" : "✗"
  ])
  const header = ["scenario", "edition", "what it shows", "lines", "time", "promise kept"]
  const right = (i: number) => i === 3 || i === 4
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const format = (cells: ReadonlyArray<string>) =>
    cells
      .map((cell, i) => (right(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
  console.log("")
  console.log(bold(format(header)))
  console.log(dim(widths.map((w) => "─".repeat(w)).join("  ")))
  for (const row of rows) {
    const line = format(row).trimEnd()
    console.log(row[5] === "✓" ? line : red(line))
  }
}

const usage = "npm start -- [--edition 3|4] [list | <scenario> ...]"

/** The editions and scenario names asked for, `list`, or why the arguments are refused. */
const parse = (
  args: ReadonlyArray<string>
):
  | { readonly list: boolean; readonly editions: Array<string>; readonly names: Array<string> }
  | string => {
  const asked: Array<string> = []
  const names: Array<string> = []
  let list = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--edition" || arg.startsWith("--edition=")) {
      const value = arg === "--edition" ? args[++i] : arg.slice("--edition=".length)
      if (value === undefined || value === "") return `--edition needs a value (${usage})`
      asked.push(value)
    } else if (arg.startsWith("-")) {
      return `unknown option: ${arg} (${usage})`
    } else if (arg === "list") {
      list = true
    } else {
      names.push(arg)
    }
  }
  const unknownEditions = asked.filter((id) => !editions.some((e) => e.id === id))
  if (unknownEditions.length > 0) {
    const known = editions.map((e) => `${e.id} (${e.name})`).join(", ")
    return `unknown edition: ${unknownEditions.join(", ")} (editions: ${known})`
  }
  const unknown = names.filter((name) => !scenarios.some((s) => s.name === name))
  if (unknown.length > 0) return `unknown scenario: ${unknown.join(", ")} (npm start -- list)`
  return { list, editions: asked, names }
}

const main = async () => {
  const parsed = parse(process.argv.slice(2))
  if (typeof parsed === "string") {
    console.error(parsed)
    return 1
  }
  const chosenEditions =
    parsed.editions.length === 0 ? editions : editions.filter((e) => parsed.editions.includes(e.id))
  if (parsed.list) {
    for (const s of scenarios) console.log(`${s.name.padEnd(10)} ${s.title}`)
    console.log("")
    for (const e of editions) console.log(`--edition ${e.id}  ${e.name}: ${e.examples}`)
    return 0
  }
  const missing = chosenEditions.filter((e) => !existsSync(e.node))
  if (missing.length > 0) {
    for (const e of missing) {
      console.error(`the ${e.name} edition is not installed (no ${e.node}): run npm install`)
    }
    return 1
  }
  const chosenScenarios =
    parsed.names.length === 0 ? scenarios : scenarios.filter((s) => parsed.names.includes(s.name))
  const chosen: Array<Run> = chosenEditions.flatMap((edition) =>
    chosenScenarios.map((scenario) => ({ edition, scenario }))
  )
  console.log(
    bold("scopeguard tour") +
      dim(
        ` — ${chosenEditions.map((e) => e.name).join(" and ")}: ${chosen.length} scenario(s),` +
          " each an example run as its own process"
      )
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
