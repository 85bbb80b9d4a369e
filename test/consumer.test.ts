/**
 * The packages as a user gets them: pack every package, install the tarballs with the peers
 * the README's Install section names into an empty project, type-check the README's tour
 * under `moduleResolution` NodeNext and bundler, and run it with plain node. It must print
 * what the README says it prints.
 *
 * The install prefers the npm cache (`npm ci` filled it), and reaches the registry only for
 * what the cache lacks.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))
const readme = readFileSync(join(root, "README.md"), "utf8")
const tsc = join(root, "node_modules/typescript/bin/tsc")

/** The body of the first fenced block of `lang` after `heading`. */
const blockAfter = (heading: string, lang: string): string => {
  const from = readme.indexOf(heading)
  if (from < 0) throw new Error(`README has no "${heading}"`)
  const start = readme.indexOf("```" + lang + "\n", from)
  const end = readme.indexOf("\n```", start + 1)
  return readme.slice(start + lang.length + 4, end)
}

/** Runs a command; a failure carries what the command printed. */
const run = (cwd: string, command: string, args: Array<string>): string => {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout ?? ""}${stderr ?? ""}`)
  }
}

const packages = ["core", "vitest", "platform"] as const

describe("a consumer of the packed packages", () => {
  let project = ""
  const tarballs: Record<string, string> = {}

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), "scopeguard-consumer-"))
    // `npm pack` runs each package's `prepack` (its build) first.
    for (const name of packages) {
      const out = run(root, "npm", [
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
    // Every `npm install` line of the README's Install section, with our tarballs in place of
    // the names that are not on the registry yet.
    for (const line of blockAfter("## Install", "sh").split("\n")) {
      const words = line.replace(/#.*/, "").trim().split(/\s+/)
      if (words[0] !== "npm" || words[1] !== "install") continue
      const specs = words.slice(2).map((w) => tarballs[w] ?? w)
      run(project, "npm", [
        "install",
        ...specs,
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--loglevel=error"
      ])
    }
    mkdirSync(join(project, "src"))
    writeFileSync(join(project, "src/main.ts"), blockAfter("## 60-second tour", "ts"))
    const common = {
      target: "ES2022",
      lib: ["ES2022", "ESNext.Disposable", "DOM"],
      types: [],
      strict: true,
      skipLibCheck: false,
      rootDir: "src"
    }
    writeFileSync(
      join(project, "tsconfig.nodenext.json"),
      JSON.stringify({
        compilerOptions: {
          ...common,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          outDir: "out"
        },
        include: ["src"]
      })
    )
    writeFileSync(
      join(project, "tsconfig.bundler.json"),
      JSON.stringify({
        compilerOptions: { ...common, module: "ESNext", moduleResolution: "Bundler", noEmit: true },
        include: ["src"]
      })
    )
  }, 300_000)

  afterAll(() => {
    if (project !== "") rmSync(project, { recursive: true, force: true })
  })

  it("each tarball ships dist (JavaScript, declarations, maps), src, README, LICENSE, CHANGELOG — no tests, no tsconfigs", () => {
    for (const name of packages) {
      const files = run(root, "tar", ["-tzf", tarballs[`@scopeguard/${name}`]!]).split("\n")
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

  it("the tour type-checks under moduleResolution NodeNext and bundler", () => {
    run(project, process.execPath, [tsc, "-p", "tsconfig.nodenext.json"])
    run(project, process.execPath, [tsc, "-p", "tsconfig.bundler.json"])
    expect(readdirSync(join(project, "out"))).toEqual(["main.js"])
  }, 120_000)

  it("run by plain node, the tour prints what the README says", () => {
    const printed = run(project, process.execPath, ["out/main.js"]).trimEnd().split("\n")
    expect(printed).toEqual(blockAfter("## 60-second tour", "text").split("\n"))
  }, 60_000)

  it("internal modules are not importable", () => {
    writeFileSync(
      join(project, "probe.mjs"),
      `import("@scopeguard/core/internal/resource.js").then(() => console.log("reachable"), (e) => console.log(e.code))`
    )
    expect(run(project, process.execPath, ["probe.mjs"]).trim()).toBe(
      "ERR_PACKAGE_PATH_NOT_EXPORTED"
    )
  })
})
