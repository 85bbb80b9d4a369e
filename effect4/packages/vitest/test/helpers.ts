/**
 * Helpers shared by the explorer's tests.
 */
import { readFileSync } from "node:fs"
import { relative } from "node:path"
import { fileURLToPath } from "node:url"
import type { Interruption } from "@scopeguard/vitest"

/** A report without its passes' wall-clock times (the rest is a function of the program). */
export const timeless = (report: Interruption.Report) => ({
  ...report,
  passes: report.passes.map(({ millis: _millis, ...pass }) => pass)
})

/**
 * `path:line:column` of the statement `offset` lines below the first line of `file` that
 * holds `anchor` (its `yield*`, or its first non-blank character), as `Range.near` names it: the tests that
 * pin source lines read them from the file, so an edit above does not move them.
 */
export const lineOf = (file: string, anchor: string, offset = 0): string => {
  const path = fileURLToPath(file)
  const lines = readFileSync(path, "utf8").split("\n")
  const at = lines.findIndex((line) => line.includes(anchor))
  if (at < 0) throw new Error(`no line of ${path} holds ${anchor}`)
  const line = lines[at + offset]!
  // The `yield*` an `Effect.gen` waits at (`const a = yield* …`), else the statement's start.
  const column = line.includes("yield*") ? line.indexOf("yield*") : line.search(/\S/)
  return `${relative(process.cwd(), path)}:${at + offset + 1}:${column + 1}`
}
