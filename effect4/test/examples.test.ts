/**
 * The Effect 4 edition's examples (`effect4/examples/*.ts`, the scenarios of `npm start`)
 * print exactly what their header's `Prints:` block promises: run from source with tsx, and
 * compiled by tsc and run by plain Node 22.
 */
import { execFile } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { beforeAll, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))
const examples = `${root}examples/`
const built = `${root}dist-test/examples/`
/** Node 22, whatever node started vitest. */
const node = `${root}node_modules/.bin/node`
/** The top-level examples only: `examples/app/` is a program of its own, tested on its own. */
const files = readdirSync(examples, { withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
  .map((entry) => entry.name)

// The header parser the tour uses, shared by both editions (it lives in the root's
// examples/tour, outside this project, so it is loaded at run time rather than imported).
const { promised } = (await import(
  new URL("../../examples/tour/promised.ts", import.meta.url).href
)) as { readonly promised: (source: string) => Array<string> }

/**
 * A child process's output, awaited rather than execFileSync: a worker blocked in child
 * processes for a whole file's worth of examples on a loaded machine misses vitest's RPC
 * deadline.
 */
const exec = (args: Array<string>) =>
  new Promise<string>((resolve, reject) =>
    execFile(node, args, { encoding: "utf8", cwd: root }, (error, stdout, stderr) =>
      error === null ? resolve(stdout) : reject(new Error(`${error.message}\n${stdout}${stderr}`))
    )
  )

/** An example's output lines. */
const run = async (args: Array<string>) => (await exec(args)).trimEnd().split("\n")

describe("examples print what their header says", () => {
  beforeAll(async () => {
    // The build pipeline: tsc compiles the examples (lowering `await using`) and the packages
    // they import, whose `dist` plain node then loads.
    await exec([`${root}node_modules/typescript/bin/tsc`, "-b", "examples"])
  }, 180_000)

  it("runs on Node 22 and finds every example", async () => {
    expect(await exec(["--version"])).toMatch(/^v22\./)
    expect(files).toEqual([
      "atomic-file.ts",
      "await-using.ts",
      "explorer-leak.ts",
      "flush-on-interrupt.ts",
      "lease-drain.ts",
      "lifecycle.ts",
      "resource-and-guard.ts",
      "seed-exercises.ts"
    ])
  })

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
