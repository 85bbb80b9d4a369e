/**
 * The Effect 4 edition's packages as a user gets them: build and pack the three packages,
 * install the tarballs into an empty project with the install lines below (our tarballs in
 * place of the `@scopeguard/*` names, everything else from the registry), type-check programs
 * with `tsc` under `moduleResolution` NodeNext and run them with plain Node 22: the root
 * README's tour, written for Effect 4 (the scopeguard calls are the same, Effect's own names
 * are Effect 4's), which must print what the README says; an AtomicFile program on
 * `@effect/platform-node`; a test using `@scopeguard/vitest` under the installed vitest 5.
 * And, in a second empty project, the line issue 17 starts from: `npm install
 * @scopeguard/core effect` must give effect 4, with no `ERESOLVE`.
 *
 * The installs prefer the npm cache (`npm ci` filled it) and reach the registry only for what
 * the cache lacks; each step has a bound that holds on a loaded 2-core machine.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))
const tsc = join(root, "node_modules/typescript/bin/tsc")
const packages = ["core", "vitest", "platform"] as const

/**
 * The install lines a user of this edition runs (what the README's Install section for the
 * Effect 4 edition says). Effect's packages are pinned to the lines this edition is for.
 */
const installLines = [
  "npm install @scopeguard/core effect@^4.1.0",
  "npm install --save-dev @scopeguard/vitest @effect/vitest@^4.0.5 vitest@^5.1.2",
  "npm install @scopeguard/platform @effect/platform-node@^4.1.0"
]

/** Runs a command (bounded); a failure carries what the command printed. */
const run = (cwd: string, command: string, args: Array<string>, timeout = 240_000): string => {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout,
      killSignal: "SIGKILL"
    })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout ?? ""}${stderr ?? ""}`)
  }
}
const npmInstall = (cwd: string, specs: Array<string>) =>
  run(cwd, "npm", [
    "install",
    ...specs,
    "--prefer-offline",
    "--no-audit",
    "--no-fund",
    "--loglevel=error"
  ])
const emptyProject = (dir: string) => {
  mkdirSync(dir)
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" })
  )
}
const versionIn = (project: string, name: string): string =>
  (
    JSON.parse(readFileSync(join(project, "node_modules", name, "package.json"), "utf8")) as {
      version: string
    }
  ).version

/** The body of the first fenced block of `lang` after `heading` in the root README. */
const readmeBlock = (heading: string, lang: string): string => {
  const readme = readFileSync(join(root, "../README.md"), "utf8")
  const from = readme.indexOf(heading)
  const start = readme.indexOf("```" + lang + "\n", from)
  if (from < 0 || start < 0) throw new Error(`the README has no ${lang} block after "${heading}"`)
  return readme.slice(start + lang.length + 4, readme.indexOf("\n```", start + 1))
}

/** The root README's tour, in Effect 4's names; the scopeguard lines are unchanged. */
const tour = `import { Console, Effect } from "effect"
import { Guard, Resource } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"

const query = Effect.scoped(
  Effect.gen(function* () {
    const db = yield* Resource.make(Effect.as(Console.log("open db"), "db"), (_, exit) =>
      Console.log(\`close db (\${exit._tag})\`)
    )
    yield* Resource.use(db, (name) => Console.log(\`query \${name}\`))
  })
)

const accounts = { alice: 100, bob: 0 }
const transfer = (credit: Effect.Effect<void, string>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const refund = yield* Guard.step(
        Effect.sync(() => void (accounts.alice -= 30)),
        () => Effect.sync(() => void (accounts.alice += 30))
      )
      yield* Guard.commit(refund, () => credit)
    })
  )
const pay = Effect.andThen(
  Effect.sync(() => void (accounts.bob += 30)),
  Effect.yieldNow
)

const program = Effect.gen(function* () {
  yield* query
  yield* Effect.result(transfer(Effect.fail("declined")))
  yield* Console.log(\`declined: alice \${accounts.alice}, bob \${accounts.bob}\`)
  yield* transfer(pay)
  yield* Console.log(\`paid: alice \${accounts.alice}, bob \${accounts.bob}\`)
  const report = yield* Interruption.explore(
    Effect.andThen(
      Effect.sync(() => Object.assign(accounts, { alice: 100, bob: 0 })),
      transfer(pay)
    ),
    { check: () => (accounts.alice + accounts.bob === 100 ? Effect.void : Effect.fail("money")) }
  )
  yield* Console.log(\`interrupted at every step: \${report.failures.length} failures\`)
})

Effect.runPromise(program)
`

/** AtomicFile on effect's FileSystem, with Node's implementation from @effect/platform-node. */
const platformProgram = `import { NodeServices } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { FileSystem } from "effect/FileSystem"
import { AtomicFile } from "@scopeguard/platform"

const path = process.argv[2]!
const program = Effect.gen(function* () {
  yield* Effect.scoped(
    Effect.gen(function* () {
      const file = yield* AtomicFile.make(path)
      yield* file.write("a,b\\n")
      yield* file.write(new Uint8Array([49, 44, 50, 10]))
    })
  )
  const fs = yield* FileSystem
  yield* Console.log(JSON.stringify(yield* fs.readFileString(path)))
}).pipe(Effect.provide(NodeServices.layer))

Effect.runPromise(program)
`

/** A test a user writes with @scopeguard/vitest, @effect/vitest 4 and vitest 5. */
const userTest = `import { it } from "@effect/vitest"
import { Effect } from "effect"
import { expect } from "vitest"
import { Guard, Resource } from "@scopeguard/core"
import { Interruption, LeakProbe } from "@scopeguard/vitest"

it.effect("interrupted at every step, a resource is released as often as it is acquired", () =>
  Effect.gen(function* () {
    const counts = { acquired: 0, released: 0 }
    const report = yield* Interruption.assertEveryStep(
      Effect.scoped(
        Effect.flatMap(
          Resource.make(
            Effect.sync(() => void counts.acquired++),
            () => Effect.sync(() => void counts.released++)
          ),
          Resource.close
        )
      ),
      {
        check: () =>
          counts.acquired === counts.released ? Effect.void : Effect.fail("leaked a resource")
      }
    )
    expect(report.failures).toEqual([])
    expect(report.runs).toBeGreaterThan(3)
  })
)

it.effect("a disarmed guard leaves nothing open", () =>
  Effect.scoped(LeakProbe.watch(Effect.scoped(Effect.flatMap(Guard.make(Effect.void), Guard.disarm))))
)
`

describe("a consumer of the packed Effect 4 edition", () => {
  let base = ""
  let project = ""
  const tarballs: Record<string, string> = {}

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), "scopeguard-effect4-consumer-"))
    // The packages as built from source now: the tarballs carry `dist`.
    run(root, process.execPath, [
      tsc,
      "-b",
      ...packages.map((name) => `packages/${name}/tsconfig.src.json`)
    ])
    for (const name of packages) {
      const out = run(root, "npm", [
        "pack",
        "--workspace",
        `packages/${name}`,
        "--pack-destination",
        base,
        "--silent"
      ])
      tarballs[`@scopeguard/${name}`] = join(base, out.trim().split("\n").pop()!)
    }
    project = join(base, "project")
    emptyProject(project)
    for (const line of installLines) {
      const words = line.split(/\s+/)
      npmInstall(
        project,
        words.slice(2).map((w) => tarballs[w] ?? w)
      )
    }
    mkdirSync(join(project, "src"))
    writeFileSync(join(project, "src/main.ts"), tour)
    writeFileSync(join(project, "src/platform.ts"), platformProgram)
    mkdirSync(join(project, "test"))
    writeFileSync(join(project, "test/user.test.ts"), userTest)
    const compilerOptions = {
      target: "ES2022",
      lib: ["ES2022", "ESNext.Disposable"],
      strict: true,
      module: "NodeNext",
      moduleResolution: "NodeNext"
    }
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { ...compilerOptions, skipLibCheck: true, rootDir: ".", outDir: "out" },
        include: ["src", "test"]
      })
    )
    // Our declarations, every package, checked through: no skipLibCheck, no @types/node.
    mkdirSync(join(project, "declarations"))
    writeFileSync(
      join(project, "declarations/all.ts"),
      packages.map((name, i) => `export * as m${i} from "@scopeguard/${name}"\n`).join("")
    )
    writeFileSync(
      join(project, "tsconfig.declarations.json"),
      JSON.stringify({
        compilerOptions: {
          ...compilerOptions,
          lib: [...compilerOptions.lib, "DOM"],
          types: [],
          skipLibCheck: false,
          noEmit: true
        },
        include: ["declarations"]
      })
    )
  }, 900_000)

  afterAll(() => {
    if (base !== "") rmSync(base, { recursive: true, force: true })
  })

  it("each tarball ships dist (JavaScript, declarations, maps), README and LICENSE — no tests, no tsconfigs, no build info", () => {
    for (const name of packages) {
      const files = run(root, "tar", ["-tzf", tarballs[`@scopeguard/${name}`]!]).split("\n")
      const missing = [
        "package/dist/index.js",
        "package/dist/index.d.ts",
        "package/dist/index.js.map",
        "package/dist/index.d.ts.map",
        "package/README.md",
        "package/LICENSE"
      ].filter((f) => !files.includes(f))
      const extra = files.filter((f) => /\/test\/|dist-test|tsconfig|tsbuildinfo/.test(f))
      expect({ name, missing, extra }).toEqual({ name, missing: [], extra: [] })
    }
  })

  it("the install lines give effect 4.1, vitest 5, @effect/vitest 4 and our 4.x packages, with no invalid peer", () => {
    // `npm ls` exits non-zero on a missing or invalid peer.
    run(project, "npm", ["ls", "--all", "--silent"])
    expect({
      effect: versionIn(project, "effect").split(".").slice(0, 2).join("."),
      vitest: versionIn(project, "vitest").split(".")[0],
      "@effect/vitest": versionIn(project, "@effect/vitest").split(".")[0],
      core: versionIn(project, "@scopeguard/core").split(".").slice(0, 2).join("."),
      ours: packages.map((name) => versionIn(project, `@scopeguard/${name}`))
    }).toEqual({
      effect: "4.1",
      vitest: "5",
      "@effect/vitest": "4",
      core: "4.0",
      ours: packages.map(() => versionIn(project, "@scopeguard/core"))
    })
  }, 60_000)

  it("the programs and the test type-check with tsc under moduleResolution NodeNext", () => {
    run(project, process.execPath, [tsc, "-p", "tsconfig.json"])
  }, 180_000)

  it("every package's declarations type-check without skipLibCheck and without @types/node", () => {
    run(project, process.execPath, [tsc, "-p", "tsconfig.declarations.json"])
  }, 180_000)

  it("run by plain Node 22, the tour prints what the README's tour prints", () => {
    expect(process.version).toMatch(/^v22\./)
    const printed = run(project, process.execPath, ["out/src/main.js"], 120_000)
    expect(printed.trimEnd().split("\n")).toEqual(
      readmeBlock("## 60-second tour", "text").split("\n")
    )
  }, 180_000)

  it("run by plain Node 22, the AtomicFile program writes its file", () => {
    const target = join(base, "report.csv")
    const printed = run(project, process.execPath, ["out/src/platform.js", target], 120_000)
    expect({ printed: printed.trim(), file: readFileSync(target, "utf8") }).toEqual({
      printed: JSON.stringify("a,b\n1,2\n"),
      file: "a,b\n1,2\n"
    })
  }, 180_000)

  it("a test using @scopeguard/vitest passes under the installed vitest 5 and @effect/vitest 4", () => {
    // vitest 5's JSON reporter writes a file (and says where on stdout).
    run(
      project,
      process.execPath,
      [
        "node_modules/vitest/vitest.mjs",
        "run",
        "test/user.test.ts",
        "--reporter=json",
        "--outputFile=vitest-report.json"
      ],
      240_000
    )
    expect(
      JSON.parse(readFileSync(join(project, "vitest-report.json"), "utf8")) as object
    ).toMatchObject({ numTotalTests: 2, numPassedTests: 2, success: true })
  }, 300_000)

  it("internal modules are not importable", () => {
    writeFileSync(
      join(project, "probe.mjs"),
      `import("@scopeguard/core/internal/resource.js").then(() => console.log("reachable"), (e) => console.log(e.code))`
    )
    expect(run(project, process.execPath, ["probe.mjs"]).trim()).toBe(
      "ERR_PACKAGE_PATH_NOT_EXPORTED"
    )
  }, 60_000)

  it("in an empty project, `npm install @scopeguard/core effect` resolves effect 4, with no invalid peer", () => {
    // Installed together, npm 11 accepts an Effect 3 edition beside effect 4 without a word
    // (an invalid peer); `npm ls` is what refuses that tree.
    const fresh = join(base, "fresh")
    emptyProject(fresh)
    npmInstall(fresh, [tarballs["@scopeguard/core"]!, "effect"])
    run(fresh, "npm", ["ls", "--all", "--silent"])
    writeFileSync(
      join(fresh, "probe.mjs"),
      `import { Effect } from "effect"\nimport { Guard } from "@scopeguard/core"\n` +
        `console.log(await Effect.runPromise(Effect.scoped(Effect.flatMap(Guard.make(Effect.void), Guard.disarm))))`
    )
    expect({
      effect: versionIn(fresh, "effect").split(".")[0],
      dependency: (
        JSON.parse(readFileSync(join(fresh, "package.json"), "utf8")) as {
          dependencies: Record<string, string>
        }
      ).dependencies["effect"]?.slice(0, 2),
      ran: run(fresh, process.execPath, ["probe.mjs"], 60_000).trim()
    }).toEqual({ effect: "4", dependency: "^4", ran: "true" })
  }, 300_000)

  it("in a project that has effect 4 already, `npm install @scopeguard/core` succeeds (the ERESOLVE of issue 17)", () => {
    const existing = join(base, "existing")
    emptyProject(existing)
    npmInstall(existing, ["effect"])
    npmInstall(existing, [tarballs["@scopeguard/core"]!])
    run(existing, "npm", ["ls", "--all", "--silent"])
    expect(versionIn(existing, "effect").split(".")[0]).toBe("4")
  }, 300_000)
})
