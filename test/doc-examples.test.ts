/**
 * Every ```ts block in the JSDoc of the packages' public modules and in the READMEs must
 * type-check: the docs show code that compiles against the code as it is.
 */
import { execFile } from "node:child_process"
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))
const out = `${root}dist-test/doc-examples/`

interface Snippet {
  readonly origin: string
  readonly code: string
}

const blocks = (text: string, origin: string, jsdoc: boolean): Array<Snippet> => {
  const found: Array<Snippet> = []
  const lines = text.split("\n").map((line) => (jsdoc ? line.replace(/^\s*\*( |$)/, "") : line))
  let start = -1
  lines.forEach((line, i) => {
    if (start < 0 && line.trim() === "```ts") start = i
    else if (start >= 0 && line.trim() === "```") {
      found.push({ origin: `${origin}:${start + 1}`, code: lines.slice(start + 1, i).join("\n") })
      start = -1
    }
  })
  return found
}

const collect = (): Array<Snippet> => {
  const snippets: Array<Snippet> = []
  for (const pkg of ["core", "vitest", "platform"]) {
    const dir = `${root}packages/${pkg}/src/`
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      snippets.push(
        ...blocks(readFileSync(dir + file, "utf8"), `packages/${pkg}/src/${file}`, true)
      )
    }
  }
  for (const readme of [
    "README.md",
    "packages/core/README.md",
    "packages/vitest/README.md",
    "packages/platform/README.md"
  ]) {
    try {
      snippets.push(...blocks(readFileSync(root + readme, "utf8"), readme, false))
    } catch {
      // a package without a README has nothing to check
    }
  }
  return snippets
}

describe("documentation examples", () => {
  it("every ```ts block in JSDoc and READMEs type-checks", async () => {
    const snippets = collect()
    expect(snippets.length).toBeGreaterThan(40)
    rmSync(out, { recursive: true, force: true })
    mkdirSync(out, { recursive: true })
    const names = snippets.map((snippet, i) => {
      const name = `snippet${i}.ts`
      writeFileSync(out + name, `// ${snippet.origin}\n${snippet.code}\nexport {}\n`)
      return name
    })
    writeFileSync(
      `${out}tsconfig.json`,
      JSON.stringify({
        extends: "../../tsconfig.base.json",
        compilerOptions: {
          composite: false,
          noEmit: true,
          declaration: false,
          declarationMap: false,
          noUnusedLocals: false,
          noUnusedParameters: false
        },
        files: names
      })
    )
    let report = ""
    // Awaited, not execFileSync: a worker blocked in a child process for 60 s misses vitest's
    // RPC deadline on a loaded machine (see test/consumer.test.ts).
    const failed = await new Promise<string | undefined>((resolve) =>
      execFile(
        process.execPath,
        [`${root}node_modules/typescript/bin/tsc`, "-p", out],
        { encoding: "utf8", cwd: root, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout) => resolve(error === null ? undefined : stdout || String(error))
      )
    )
    if (failed !== undefined) {
      const output = failed
      // Name each error by where the snippet came from.
      report = output.replace(
        /dist-test\/doc-examples\/snippet(\d+)\.ts\((\d+),\d+\)/g,
        (_, i, line) => {
          const snippet = snippets[Number(i)]!
          const [file, start] = snippet.origin.split(":")
          return `${file}:${Number(start) + Number(line) - 1}`
        }
      )
    }
    expect(report).toBe("")
  }, 120_000)
})

describe("JSDoc", () => {
  it("every export of a public module has @since and @category; every value an @example", () => {
    const missing: Array<string> = []
    for (const pkg of ["core", "vitest", "platform"]) {
      const dir = `${root}packages/${pkg}/src/`
      for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== "index.ts")) {
        const source = readFileSync(dir + file, "utf8")
        const exports =
          /(\/\*\*(?:(?!\*\/)[\s\S])*?\*\/\s*)?export (const|class|interface|type|declare namespace) (\w+)/g
        for (const match of source.matchAll(exports)) {
          const doc = match[1] ?? ""
          const isValue = match[2] === "const" || match[2] === "class"
          const wanted = isValue ? ["@since", "@category", "@example"] : ["@since", "@category"]
          const absent = wanted.filter((tag) => !doc.includes(tag))
          if (absent.length > 0)
            missing.push(`${pkg}/src/${file} ${match[3]}: ${absent.join(", ")}`)
        }
      }
    }
    expect(missing).toEqual([])
  })
})
