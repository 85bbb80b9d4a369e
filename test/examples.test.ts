import { execFile } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { beforeAll, describe, expect, it } from "vitest"
import { promised } from "../examples/tour/promised.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const examples = `${root}examples/`
const built = `${root}dist-test/examples/`
const files = readdirSync(examples).filter((f) => f.endsWith(".ts"))

/**
 * A child process's output, awaited rather than execFileSync: a worker blocked in a child
 * process for long on a loaded machine misses vitest's RPC deadline.
 */
const run = async (args: Array<string>) =>
  (await promisify(execFile)(process.execPath, args, { encoding: "utf8", cwd: root })).stdout
    .trimEnd()
    .split("\n")

describe("examples print what their header says", () => {
  beforeAll(async () => {
    // The build pipeline: tsc compiles the examples (lowering `await using` for Node 20) and
    // the packages they import, whose `dist` plain node then loads.
    await run([`${root}node_modules/typescript/bin/tsc`, "-b", "examples"])
  }, 120_000)

  for (const file of files) {
    const expected = promised(readFileSync(examples + file, "utf8"))

    it(`${file}, run from source with tsx`, async () => {
      expect(expected.length).toBeGreaterThan(0)
      expect(
        await run(["--import", "tsx", "--conditions=@scopeguard/source", examples + file])
      ).toEqual(expected)
    }, 60_000)

    it(`${file}, compiled by tsc and run by plain node`, async () => {
      expect(await run([built + file.replace(/\.ts$/, ".js")])).toEqual(expected)
    }, 60_000)
  }
})

describe("npm start: the tour", () => {
  const args = ["--import", "tsx", "--conditions=@scopeguard/source", `${examples}tour/main.ts`]
  /**
   * The tour's exit code and output. A child process of its own, awaited: a tour takes long,
   * and a worker blocked in execFileSync that long misses vitest's RPC deadline.
   */
  const attempt = (more: Array<string>) =>
    new Promise<{ status: number | string | null | undefined; stdout: string; stderr: string }>(
      (resolve) =>
        execFile(
          process.execPath,
          [...args, ...more],
          { encoding: "utf8", cwd: root, env: { ...process.env, NO_COLOR: "1" } },
          (error, stdout, stderr) =>
            resolve({ status: error === null ? 0 : error.code, stdout, stderr: stderr.trim() })
        )
    )
  /** The output of a tour that succeeds. */
  const tour = async (more: Array<string>) => {
    const { status, stdout, stderr } = await attempt(more)
    // A failed tour shows what it printed.
    expect({ status, stderr, stdout: status === 0 ? "" : stdout }).toEqual({
      status: 0,
      stderr: "",
      stdout: ""
    })
    return stdout
  }
  /** The summary table's rows: scenario, edition and whether it kept its promise. */
  const summary = (out: string) =>
    out
      .slice(out.lastIndexOf("scenario "))
      .trimEnd()
      .split("\n")
      .slice(2)
      .map((row) => {
        const [, name, edition] = /^(\S+)\s+(Effect \d)\s/.exec(row) ?? []
        return { name, edition, kept: row.endsWith("✓") }
      })
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
  const rows = (edition: string) => names.map((name) => ({ name, edition, kept: true }))

  it("tours both editions by default; each scenario of each prints what its example promises; no colour without a TTY", async () => {
    const out = await tour([])
    expect(out).toContain("Effect 3 and Effect 4: 16 scenario(s)")
    expect(summary(out)).toEqual([...rows("Effect 3"), ...rows("Effect 4")])
    expect(out).toContain(
      "── 1/16 A Resource on every exit (Effect 3, lifecycle: examples/lifecycle.ts)"
    )
    expect(out).toContain(
      "── 9/16 A Resource on every exit (Effect 4, lifecycle: effect4/examples/lifecycle.ts)"
    )
    expect(out).not.toContain("\u001b[")
  }, 300_000)

  it("tours one edition with --edition", async () => {
    const out = await tour(["--edition", "4"])
    expect(out).toContain("Effect 4: 8 scenario(s)")
    expect(summary(out)).toEqual(rows("Effect 4"))
  }, 180_000)

  it("runs one scenario by name, in both editions or in the one --edition names", async () => {
    const both = await tour(["commit"])
    expect(summary(both)).toEqual([
      { name: "commit", edition: "Effect 3", kept: true },
      { name: "commit", edition: "Effect 4", kept: true }
    ])
    expect(both).toContain(
      "── 1/2 Guarded step and commit (Effect 3, commit: examples/resource-and-guard.ts)"
    )
    expect(both).toContain(
      "── 2/2 Guarded step and commit (Effect 4, commit: effect4/examples/resource-and-guard.ts)"
    )
    const one = await tour(["--edition=3", "commit"])
    expect(summary(one)).toEqual([{ name: "commit", edition: "Effect 3", kept: true }])
    expect(one).toContain("── 1/1 Guarded step and commit (Effect 3,")
  }, 180_000)

  it("list names the scenarios and the editions", async () => {
    const out = (await tour(["list"])).trimEnd().split("\n")
    expect(out.map((line) => line.split(" ")[0])).toEqual([...names, "", "--edition", "--edition"])
    expect(out.slice(-2)).toEqual([
      "--edition 3  Effect 3: examples/",
      "--edition 4  Effect 4: effect4/examples/"
    ])
  }, 60_000)

  it("refuses an unknown edition, scenario or option with exit code 1, running nothing", async () => {
    const refused = async (more: Array<string>) => {
      const { status, stdout, stderr } = await attempt(more)
      expect({ status, stdout }).toEqual({ status: 1, stdout: "" })
      return stderr
    }
    expect(await refused(["--edition", "5"])).toBe(
      "unknown edition: 5 (editions: 3 (Effect 3), 4 (Effect 4))"
    )
    expect(await refused(["nope"])).toBe("unknown scenario: nope (npm start -- list)")
    expect(await refused(["--edition", "4", "commit", "nope"])).toBe(
      "unknown scenario: nope (npm start -- list)"
    )
    expect(await refused(["--edition"])).toMatch(/^--edition needs a value/)
    expect(await refused(["--colour"])).toMatch(/^unknown option: --colour/)
  }, 120_000)
})
