/**
 * The explorer's public model is one format in both editions: `Interruption`'s interfaces
 * (`Failure`, `Range`, `Report`, `Pass`, `Replay`, `Replayed`, …), type aliases and functions
 * carry the same members, with the same optionality and types, in
 * `packages/vitest/src/Interruption.ts` (Effect 3) and
 * `effect4/packages/vitest/src/Interruption.ts` (Effect 4). A report read by a tool, a failure
 * replayed by its `schedule`, a test that asserts a whole failure: each reads the same fields.
 *
 * What only one edition has is listed below, each with its reason (an interface listed brings
 * its members); anything else that differs fails this test, naming it. Read statically with the TypeScript compiler (this runs under
 * Effect 3's vitest, where the Effect 4 edition cannot load).
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))
const editions = {
  "Effect 3": `${root}packages/vitest/src/Interruption.ts`,
  "Effect 4": `${root}effect4/packages/vitest/src/Interruption.ts`
} as const

/** `Name.member: type` (interfaces), `Name = type` (aliases), `const name: type` (functions). */
export const modelOf = (fileName: string, text: string): Map<string, string> => {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const flat = (node: ts.Node | undefined) =>
    node === undefined
      ? "?"
      : node
          .getText(file)
          .replace(/\s+/g, " ")
          // The one rename between effect 3.22 and 4.1 that the model's types see.
          .replace(/\bDuration\.DurationInput\b/g, "Duration.Input")
          .replace(/,?\s*\)/g, ")")
          .replace(/\(\s+/g, "(")
  const model = new Map<string, string>()
  const exported = (node: ts.Node) =>
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
  for (const statement of file.statements) {
    if (!exported(statement)) continue
    if (ts.isInterfaceDeclaration(statement)) {
      const params = statement.typeParameters?.map((p) => p.getText(file)).join(", ")
      model.set(statement.name.text, `interface${params === undefined ? "" : `<${params}>`}`)
      for (const member of statement.members) {
        if (!ts.isPropertySignature(member)) continue
        const optional = member.questionToken === undefined ? "" : "?"
        model.set(
          `${statement.name.text}.${member.name.getText(file)}${optional}`,
          flat(member.type)
        )
      }
    } else if (ts.isTypeAliasDeclaration(statement)) {
      const type = statement.type
      if (ts.isUnionTypeNode(type)) {
        // A union of literals, member by member: an edition-only value is named alone.
        model.set(statement.name.text, "union")
        for (const member of type.types) model.set(`${statement.name.text} | ${flat(member)}`, "")
      } else {
        model.set(statement.name.text, flat(type))
      }
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        model.set(`const ${declaration.name.getText(file)}`, flat(declaration.type))
      }
    }
  }
  return model
}

/** What only one edition has, and why. */
const editionOnly: Record<keyof typeof editions, Record<string, string>> = {
  "Effect 3": {
    Where:
      "what its Supervisor sees at a step (operation, span, turn); Effect 4's scheduler sees fibers",
    "Failure.where?": "the step's Where",
    "Range.where?": "the first step's Where",
    "Replay.where?": "the step's Where",
    'Reach | "explorer-only"':
      "its explorer preempts between any two operations; Effect 4 reports such a point as reach budget with a budget under 10"
  },
  "Effect 4": {
    'Mode | "pct"': "a mode of its own scheduler",
    'Mode | "exhaustive"': "a mode of its own scheduler",
    "Options.seed?": "pct mode",
    "Options.runs?": "pct mode",
    "Options.depth?": "pct mode",
    "Options.shrink?": "pct and exhaustive modes",
    "Options.preemptions?": "exhaustive mode",
    "Options.maxSchedules?": "exhaustive mode",
    "Failure.preemptions?": "pct and exhaustive modes: a schedule's preemptions",
    "Failure.original?": "pct and exhaustive modes: a shrunk failure's first schedule",
    "Report.pct?": "pct mode",
    "Report.exhaustive?": "exhaustive mode",
    PctBound: "pct mode",
    ExhaustiveReport: "exhaustive mode"
  }
}

describe("the explorer's report is one format in both editions", () => {
  it("reads the members of interfaces, unions and functions", () => {
    const model = modelOf(
      "x.ts",
      [
        "export interface A<T> { readonly a: number; readonly b?: Duration.DurationInput | undefined }",
        'export type M = "x" | "y"',
        "export const f: (a: A<number>, ) => void = g",
        "interface Hidden { readonly h: number }"
      ].join("\n")
    )
    expect([...model]).toEqual([
      ["A", "interface<T>"],
      ["A.a", "number"],
      ["A.b?", "Duration.Input | undefined"],
      ["M", "union"],
      ['M | "x"', ""],
      ['M | "y"', ""],
      ["const f", "(a: A<number>) => void"]
    ])
  })

  it("Interruption has the same members, optionality and types, but for what one edition alone has", () => {
    const models = Object.fromEntries(
      Object.entries(editions).map(([edition, path]) => [
        edition,
        modelOf(path, readFileSync(path, "utf8"))
      ])
    ) as Record<keyof typeof editions, Map<string, string>>
    const differences: Array<string> = []
    const [a, b] = ["Effect 3", "Effect 4"] as const
    for (const [mine, other] of [
      [a, b],
      [b, a]
    ] as const) {
      for (const [key, type] of models[mine]) {
        const theirs = models[other].get(key)
        if (theirs === undefined) {
          // A member of an edition-only interface is allowed with it.
          const owner = key.includes(".") ? key.slice(0, key.indexOf(".")) : undefined
          const allowed =
            editionOnly[mine][key] !== undefined ||
            (owner !== undefined &&
              editionOnly[mine][owner] !== undefined &&
              !models[other].has(owner))
          if (!allowed) differences.push(`only ${mine}: ${key} ${type}`)
        } else if (theirs !== type && mine === a) {
          differences.push(`${key}: ${a} ${type}, ${b} ${theirs}`)
        }
      }
    }
    // An allowance for a member that is no longer edition-only is stale.
    for (const edition of [a, b]) {
      for (const key of Object.keys(editionOnly[edition])) {
        const other = edition === a ? b : a
        if (!models[edition].has(key) || models[other].has(key)) {
          differences.push(`stale allowance (${edition}): ${key}`)
        }
      }
    }
    expect(differences).toEqual([])
  })
})
