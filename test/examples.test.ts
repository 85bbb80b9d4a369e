import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { beforeAll, describe, expect, it } from "vitest"
import { promised } from "../examples/tour/promised.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const examples = `${root}examples/`
const built = `${root}dist-test/examples/`
const files = readdirSync(examples).filter((f) => f.endsWith(".ts"))

const run = (args: Array<string>) =>
  execFileSync(process.execPath, args, { encoding: "utf8", cwd: root }).trimEnd().split("\n")

describe("examples print what their header says", () => {
  beforeAll(() => {
    // The build pipeline: tsc compiles the examples (lowering `await using` for Node 20) and
    // the packages they import, whose `dist` plain node then loads.
    execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-b", "examples"], {
      cwd: root
    })
  }, 120_000)

  for (const file of files) {
    const expected = promised(readFileSync(examples + file, "utf8"))

    it(`${file}, run from source with tsx`, () => {
      expect(expected.length).toBeGreaterThan(0)
      expect(run(["--import", "tsx", "--conditions=@scopeguard/source", examples + file])).toEqual(
        expected
      )
    }, 30_000)

    it(`${file}, compiled by tsc and run by plain node`, () => {
      expect(run([built + file.replace(/\.ts$/, ".js")])).toEqual(expected)
    }, 30_000)
  }
})

describe("npm start: the tour", () => {
  const tour = (args: Array<string>) =>
    execFileSync(
      process.execPath,
      ["--import", "tsx", "--conditions=@scopeguard/source", `${examples}tour/main.ts`, ...args],
      { encoding: "utf8", cwd: root, env: { ...process.env, NO_COLOR: "1" } }
    )

  it("runs every scenario; each prints what its example promises; no colour without a TTY", () => {
    const out = tour([])
    const names = [
      "lifecycle",
      "exercises",
      "flush",
      "commit",
      "lease",
      "using",
      "atomic",
      "explorer"
    ]
    const summary = out.slice(out.lastIndexOf("scenario ")).trimEnd().split("\n").slice(2)
    expect(summary.map((row) => row.split(/\s+/)[0])).toEqual(names)
    expect(summary.every((row) => row.trimEnd().endsWith("✓"))).toBe(true)
    expect(out).not.toContain("\u001b[")
  }, 120_000)

  it("runs one scenario by name, and refuses an unknown one", () => {
    const out = tour(["commit"])
    expect(out).toContain("── 1/1 Guarded step and commit")
    expect(() => tour(["nope"])).toThrow(/unknown scenario: nope/)
  }, 60_000)
})
