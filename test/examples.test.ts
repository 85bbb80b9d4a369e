import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const examples = fileURLToPath(new URL("../examples/", import.meta.url))

/** The lines under "Prints:" in an example's header comment. */
const promised = (source: string): Array<string> => {
  const header = source.slice(0, source.indexOf("*/"))
  const lines = header.split("\n")
  const start = lines.findIndex((line) => line.trim() === "* Prints:")
  return lines
    .slice(start + 1)
    .map((line) => line.replace(/^\s*\*\s?/, ""))
    .filter((line) => line.startsWith("  "))
    .map((line) => line.slice(2))
}

describe("examples print what their header says", () => {
  for (const file of readdirSync(examples).filter((f) => f.endsWith(".ts"))) {
    it(
      file,
      () => {
        const expected = promised(readFileSync(examples + file, "utf8"))
        expect(expected.length).toBeGreaterThan(0)
        const output = execFileSync(
          process.execPath,
          ["--import", "tsx", "--conditions=source", examples + file],
          { encoding: "utf8", cwd: fileURLToPath(new URL("..", import.meta.url)) }
        )
        expect(output.trimEnd().split("\n")).toEqual(expected)
      },
      30_000
    )
  }
})
