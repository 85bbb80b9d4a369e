/**
 * The contract between the two editions: the Effect 3 edition (`packages/<pkg>/test`) and the
 * Effect 4 edition (`effect4/packages/<pkg>/test`) run the same behaviour tests, under the same
 * names. This test reads both sets of test files and fails, per package, listing every full
 * test name ("describe > … > it") that one edition has and the other lacks.
 *
 * How the names are found. Statically: each file is parsed with the TypeScript compiler (this
 * test never imports the test files, nor effect 4 — it runs on Node 20 under vitest 3, where
 * the Effect 4 edition cannot load). A call of `describe`, `it` or `test` imported from
 * "vitest" or "@effect/vitest" (`it.effect`, `it.live`, `describe.skip`, … included) names a
 * group or a test by its first argument.
 *
 * Names built in a loop are expanded, as vitest would name them: a `for (const x of …)` whose
 * values are literal in the same file — an array literal (`["interrupt", "yield"] as const`,
 * `[{ drainTimeout: "1 second" }, …]`), a `const` bound to one, or `Object.keys` /
 * `Object.entries` / `Object.values` of an object literal (the keys of a `Record` of programs)
 * — is walked once per value, and the name (a string, a template literal, an identifier, a
 * `+` concatenation) is evaluated with that value: `${mode}`, `${name}`,
 * `${Object.keys(options)[0]}`, `${String(x)}`, `${JSON.stringify(x)}`. Expanding, rather than
 * only normalising the templates, is what catches an edition that runs a test in one mode of
 * two. Where a part of a name cannot be evaluated statically (a value computed at run time,
 * such as the model test's `${numRuns}`, read from the environment), that part is normalised
 * to the placeholder `${…}` and the name is still compared: the two editions must then write
 * the same template.
 *
 * Names are compared with their counts: a name that one edition has twice (in two files) and
 * the other once is reported too.
 *
 * The vitest package (the interruption explorer and LeakProbe) is exempt: the two explorers
 * are built on different hooks of their runtimes (a `Supervisor` on Effect 3, a `Scheduler` on
 * Effect 4) and their tests exercise those; the code they share (common/progress.ts,
 * ranges.ts, sites.ts) is tested in both. Only `core` and `platform` are compared.
 */
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))

/** The packages whose behaviour tests must carry the same names. `vitest` is exempt (above). */
const packages = ["core", "platform"] as const

const editions = {
  "Effect 3": (pkg: string) => `${root}packages/${pkg}/test/`,
  "Effect 4": (pkg: string) => `${root}effect4/packages/${pkg}/test/`
} as const

/** The placeholder for a part of a name that cannot be evaluated statically. */
const PLACEHOLDER = "${…}"

/** A value the evaluator cannot know statically. */
const OPAQUE: unique symbol = Symbol("opaque")
type Value = unknown

/** The modules whose `describe` / `it` / `test` name tests. */
const testModules = new Set(["vitest", "@effect/vitest"])

/** Every test's full name in one file, in source order (a name may repeat: then it is listed twice). */
export const testNames = (fileName: string, text: string): Array<string> => {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)

  // The local names of `describe`, `it` and `test` imported from vitest or @effect/vitest.
  const kinds = new Map<string, "group" | "test">()
  // Every `const` of the file, by name (a name declared twice is ambiguous: not used).
  const constants = new Map<string, ts.Expression | null>()
  const collect = (node: ts.Node): void => {
    if (
      ts.isImportDeclaration(node) &&
      ts.isStringLiteral(node.moduleSpecifier) &&
      testModules.has(node.moduleSpecifier.text)
    ) {
      const bindings = node.importClause?.namedBindings
      if (bindings !== undefined && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          const imported = (element.propertyName ?? element.name).text
          if (imported === "describe") kinds.set(element.name.text, "group")
          if (imported === "it" || imported === "test") kinds.set(element.name.text, "test")
        }
      }
    }
    if (
      ts.isVariableDeclarationList(node) &&
      (node.flags & ts.NodeFlags.Const) !== 0 &&
      !ts.isForOfStatement(node.parent)
    ) {
      for (const declaration of node.declarations) {
        if (!ts.isIdentifier(declaration.name)) continue
        const name = declaration.name.text
        constants.set(name, constants.has(name) ? null : (declaration.initializer ?? null))
      }
    }
    ts.forEachChild(node, collect)
  }
  collect(file)

  type Env = ReadonlyMap<string, Value>
  const resolving = new Set<string>()

  /** The value of an expression, or OPAQUE. Only literal data and a few pure functions. */
  const evaluate = (node: ts.Expression, env: Env): Value => {
    if (
      ts.isParenthesizedExpression(node) ||
      ts.isAsExpression(node) ||
      ts.isSatisfiesExpression(node) ||
      ts.isTypeAssertionExpression(node) ||
      ts.isNonNullExpression(node)
    ) {
      return evaluate(node.expression, env)
    }
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text
    if (ts.isNumericLiteral(node)) return Number(node.text)
    if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken) {
      const operand = evaluate(node.operand, env)
      return typeof operand === "number" ? -operand : OPAQUE
    }
    if (node.kind === ts.SyntaxKind.TrueKeyword) return true
    if (node.kind === ts.SyntaxKind.FalseKeyword) return false
    if (node.kind === ts.SyntaxKind.NullKeyword) return null
    if (ts.isTemplateExpression(node)) {
      let text = node.head.text
      for (const span of node.templateSpans) {
        const value = evaluate(span.expression, env)
        text += (value === OPAQUE ? PLACEHOLDER : String(value)) + span.literal.text
      }
      return text
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const left = evaluate(node.left, env)
      const right = evaluate(node.right, env)
      if (typeof left === "string" || typeof right === "string") {
        return (
          (left === OPAQUE ? PLACEHOLDER : String(left)) +
          (right === OPAQUE ? PLACEHOLDER : String(right))
        )
      }
      return typeof left === "number" && typeof right === "number" ? left + right : OPAQUE
    }
    if (ts.isIdentifier(node)) {
      if (env.has(node.text)) return env.get(node.text)
      if (node.text === "undefined") return undefined
      if (node.text === "Infinity") return Infinity
      const initializer = constants.get(node.text)
      if (initializer === undefined || initializer === null || resolving.has(node.text)) {
        return OPAQUE
      }
      resolving.add(node.text)
      try {
        // A file-level constant is evaluated without the loop's bindings.
        return evaluate(initializer, new Map())
      } finally {
        resolving.delete(node.text)
      }
    }
    if (ts.isArrayLiteralExpression(node)) {
      const values: Array<Value> = []
      for (const element of node.elements) {
        if (ts.isSpreadElement(element)) {
          const spread = evaluate(element.expression, env)
          if (!Array.isArray(spread)) return OPAQUE
          values.push(...spread)
        } else values.push(evaluate(element, env))
      }
      return values
    }
    if (ts.isObjectLiteralExpression(node)) {
      const object: Record<string, Value> = {}
      for (const property of node.properties) {
        if (ts.isSpreadAssignment(property)) {
          const spread = evaluate(property.expression, env)
          if (typeof spread !== "object" || spread === null) return OPAQUE
          Object.assign(object, spread)
          continue
        }
        const name = property.name
        const key =
          name === undefined
            ? undefined
            : ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)
              ? name.text
              : undefined
        if (key === undefined) return OPAQUE
        object[key] = ts.isPropertyAssignment(property)
          ? evaluate(property.initializer, env)
          : ts.isShorthandPropertyAssignment(property)
            ? evaluate(property.name, env)
            : OPAQUE // a method: its key is known, its value is not data
      }
      return object
    }
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      const target = evaluate(node.expression, env)
      const key = ts.isPropertyAccessExpression(node)
        ? node.name.text
        : evaluate(node.argumentExpression, env)
      if (typeof target !== "object" || target === null) {
        return typeof target === "string" && key === "length" ? target.length : OPAQUE
      }
      if (typeof key !== "string" && typeof key !== "number") return OPAQUE
      return Object.prototype.hasOwnProperty.call(target, key)
        ? (target as Record<string, Value>)[key]
        : Array.isArray(target) && key === "length"
          ? target.length
          : OPAQUE
    }
    if (ts.isCallExpression(node) && node.arguments.length === 1) {
      const callee = node.expression.getText(file)
      const argument = evaluate(node.arguments[0]!, env)
      if (argument === OPAQUE) return OPAQUE
      const isObject = typeof argument === "object" && argument !== null
      switch (callee) {
        case "Object.keys":
          return isObject ? Object.keys(argument) : OPAQUE
        case "Object.values":
          return isObject ? Object.values(argument) : OPAQUE
        case "Object.entries":
          return isObject ? Object.entries(argument) : OPAQUE
        case "String":
          return containsOpaque(argument) ? OPAQUE : String(argument)
        case "JSON.stringify":
          return containsOpaque(argument) ? OPAQUE : JSON.stringify(argument)
      }
    }
    return OPAQUE
  }

  /** Binds a `for…of` binding (an identifier, or an array / object pattern) to one value. */
  const bind = (name: ts.BindingName, value: Value, env: Map<string, Value>): void => {
    if (ts.isIdentifier(name)) {
      env.set(name.text, value)
      return
    }
    const isObject = typeof value === "object" && value !== null
    name.elements.forEach((element, index) => {
      if (ts.isOmittedExpression(element)) return
      if (ts.isArrayBindingPattern(name)) {
        bind(element.name, isObject && Array.isArray(value) ? value[index] : OPAQUE, env)
        return
      }
      const key = (element.propertyName ?? element.name) as ts.PropertyName
      const text = ts.isIdentifier(key) || ts.isStringLiteral(key) ? key.text : undefined
      bind(
        element.name,
        isObject && text !== undefined && text in value
          ? (value as Record<string, Value>)[text]
          : OPAQUE,
        env
      )
    })
  }

  /** What `describe` / `it` a call is, if any: the root of `it.effect`, `describe.skip`, … */
  const kindOf = (call: ts.CallExpression): "group" | "test" | undefined => {
    let callee: ts.Expression = call.expression
    while (ts.isPropertyAccessExpression(callee)) callee = callee.expression
    return ts.isIdentifier(callee) ? kinds.get(callee.text) : undefined
  }

  const names: Array<string> = []
  const walk = (node: ts.Node, groups: ReadonlyArray<string>, env: Env): void => {
    if (ts.isForOfStatement(node) && ts.isVariableDeclarationList(node.initializer)) {
      const binding = node.initializer.declarations[0]!.name
      const values = evaluate(node.expression, env)
      for (const value of Array.isArray(values) ? values : [OPAQUE]) {
        const inner = new Map(env)
        bind(binding, value, inner)
        walk(node.statement, groups, inner)
      }
      return
    }
    if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const kind = kindOf(node)
      if (kind !== undefined) {
        const value = evaluate(node.arguments[0]!, env)
        const name = value === OPAQUE ? PLACEHOLDER : String(value)
        if (kind === "test") {
          names.push([...groups, name].join(" > "))
          return
        }
        for (const argument of node.arguments.slice(1)) walk(argument, [...groups, name], env)
        return
      }
    }
    ts.forEachChild(node, (child) => walk(child, groups, env))
  }
  walk(file, [], new Map())
  return names
}

const containsOpaque = (value: Value): boolean =>
  value === OPAQUE ||
  (typeof value === "object" && value !== null && Object.values(value).some(containsOpaque))

/** Every test name of one edition's package, with the files that have it (once per test). */
const namesOf = (dir: string): Map<string, Array<string>> => {
  const byName = new Map<string, Array<string>>()
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".test.ts"))
    .sort()) {
    for (const name of testNames(file, readFileSync(dir + file, "utf8"))) {
      byName.set(name, [...(byName.get(name) ?? []), file])
    }
  }
  return byName
}

/** The names `has` has more often than `lacks`, each with the files that have it. */
const lacking = (has: Map<string, Array<string>>, lacks: Map<string, Array<string>>) =>
  [...has]
    .filter(([name, files]) => files.length > (lacks.get(name)?.length ?? 0))
    .map(([name, files]) => `${files.join(", ")}: ${name}`)

describe("the two editions run the same behaviour tests, by name", () => {
  for (const pkg of packages) {
    it(`${pkg}: every test name of one edition is in the other`, () => {
      const three = namesOf(editions["Effect 3"](pkg))
      const four = namesOf(editions["Effect 4"](pkg))
      // One deep comparison: both lists empty, or the test fails listing every name missing.
      expect({
        [`only in Effect 3 (packages/${pkg}/test)`]: lacking(three, four),
        [`only in Effect 4 (effect4/packages/${pkg}/test)`]: lacking(four, three)
      }).toEqual({
        [`only in Effect 3 (packages/${pkg}/test)`]: [],
        [`only in Effect 4 (effect4/packages/${pkg}/test)`]: []
      })
      // Not vacuous: both editions' test files were found and read.
      expect(Math.min(three.size, four.size)).toBeGreaterThan(40)
    })
  }
})

describe("the name extractor", () => {
  it("reports a name one edition has more often than the other, with its files", () => {
    const twice = new Map([["a > b", ["A.test.ts", "B.test.ts"]]])
    const once = new Map([["a > b", ["A.test.ts"]]])
    expect([lacking(twice, once), lacking(once, twice)]).toEqual([
      ["A.test.ts, B.test.ts: a > b"],
      []
    ])
  })

  it("expands literal loops and nests describe names as vitest does", () => {
    const source = `
      import { describe, it } from "@effect/vitest"
      import { test as plain } from "vitest"
      const programs: Record<string, () => void> = { "a program": () => {}, other() {} }
      const cases = [{ timeout: "1 second" }, { drain: 5 }] as const
      const test = (_: unknown) => _
      test({ notATest: true })
      it("top level", () => {})
      describe("outer", () => {
        for (const mode of ["interrupt", "yield"] as const) {
          it.effect(\`runs (\${mode} mode)\`, () => {})
        }
        describe.skip("inner", () => {
          for (const [name, build] of Object.entries(programs)) it.live(name, build)
          for (const options of cases) plain(\`bounded by \${Object.keys(options)[0]}\`, () => {})
          for (const value of [undefined, "1 second"]) it("v " + value, () => {})
          for (const thing of makeThings()) it(\`\${thing.name} works\`, () => {})
        })
      })
    `
    expect(testNames("x.test.ts", source)).toEqual([
      "top level",
      "outer > runs (interrupt mode)",
      "outer > runs (yield mode)",
      "outer > inner > a program",
      "outer > inner > other",
      "outer > inner > bounded by timeout",
      "outer > inner > bounded by drain",
      "outer > inner > v undefined",
      "outer > inner > v 1 second",
      `outer > inner > ${PLACEHOLDER} works`
    ])
  })
})
