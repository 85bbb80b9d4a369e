/**
 * Model-based property test: random programs of nested scopes that make, close and detach
 * resources, make, disarm and run guards, and end each scope with success, failure, defect or
 * interruption. The real run's event log must equal a simple model's:
 *
 * - every acquired value is released exactly once, unless it was detached;
 * - each scope releases what it still holds in LIFO order;
 * - a guard runs at most once, and on scope exit only if its strategy says so.
 *
 * `npm test` runs 1,000 programs; `npm run soak` runs 100,000.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as fc from "fast-check"
import { Guard, Resource } from "@scopeguard/core"

type Outcome = "success" | "fail" | "die" | "interrupt"
type When = "always" | "success" | "failure"

type Op =
  | { readonly _tag: "make" }
  | { readonly _tag: "close"; readonly pick: number }
  | { readonly _tag: "detach"; readonly pick: number }
  | { readonly _tag: "guard"; readonly when: When }
  | { readonly _tag: "disarm"; readonly pick: number }
  | { readonly _tag: "runNow"; readonly pick: number }
  | { readonly _tag: "scope"; readonly body: Body }

interface Body {
  readonly ops: ReadonlyArray<Op>
  readonly end: Outcome
}

const outcome: fc.Arbitrary<Outcome> = fc.constantFrom("success", "fail", "die", "interrupt")
const pick = fc.nat(20)

const { body } = fc.letrec<{ body: Body; op: Op }>((tie) => ({
  body: fc.record({
    ops: fc.array(tie("op"), { maxLength: 8 }),
    end: outcome
  }),
  op: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant({ _tag: "make" } as const),
    fc.record({ _tag: fc.constant("close" as const), pick }),
    fc.record({ _tag: fc.constant("detach" as const), pick }),
    fc.record({
      _tag: fc.constant("guard" as const),
      when: fc.constantFrom<When>("always", "success", "failure")
    }),
    fc.record({ _tag: fc.constant("disarm" as const), pick }),
    fc.record({ _tag: fc.constant("runNow" as const), pick }),
    fc.record({ _tag: fc.constant("scope" as const), body: tie("body") as fc.Arbitrary<Body> })
  )
}))

// ---------------------------------------------------------------------------------------
// The model

interface ModelEntry {
  readonly kind: "resource" | "guard"
  readonly name: string
  readonly when: When
  live: boolean
}

const runsFor = (when: When, end: Outcome) =>
  when === "always" || (when === "success") === (end === "success")

const model = (program: Body): Array<string> => {
  const log: Array<string> = []
  const resources: Array<ModelEntry> = []
  const guards: Array<ModelEntry> = []
  const runScope = (scope: Body) => {
    const held: Array<ModelEntry> = []
    for (const op of scope.ops) {
      switch (op._tag) {
        case "make": {
          const entry: ModelEntry = {
            kind: "resource",
            name: `r${resources.length}`,
            when: "always",
            live: true
          }
          resources.push(entry)
          held.push(entry)
          log.push(`acquire ${entry.name}`)
          break
        }
        case "guard": {
          const entry: ModelEntry = {
            kind: "guard",
            name: `g${guards.length}`,
            when: op.when,
            live: true
          }
          guards.push(entry)
          held.push(entry)
          break
        }
        case "close":
        case "detach": {
          const entry = resources[op.pick % Math.max(resources.length, 1)]
          if (entry === undefined || !entry.live) break
          entry.live = false
          if (op._tag === "close") log.push(`release ${entry.name} Success`)
          else log.push(`detach ${entry.name}`)
          break
        }
        case "disarm":
        case "runNow": {
          const entry = guards[op.pick % Math.max(guards.length, 1)]
          if (entry === undefined || !entry.live) break
          entry.live = false
          if (op._tag === "runNow") log.push(`cleanup ${entry.name} Success`)
          else log.push(`disarm ${entry.name}`)
          break
        }
        case "scope":
          runScope(op.body)
          break
      }
    }
    const exitTag = scope.end === "success" ? "Success" : "Failure"
    for (const entry of held.reverse()) {
      if (!entry.live) continue
      entry.live = false
      if (entry.kind === "resource") log.push(`release ${entry.name} ${exitTag}`)
      else if (runsFor(entry.when, scope.end)) log.push(`cleanup ${entry.name} ${exitTag}`)
    }
  }
  runScope(program)
  return log
}

// ---------------------------------------------------------------------------------------
// The real thing

const ending = (end: Outcome): Effect.Effect<void, string> => {
  switch (end) {
    case "success":
      return Effect.void
    case "fail":
      return Effect.fail("fail")
    case "die":
      return Effect.die("die")
    case "interrupt":
      return Effect.interrupt
  }
}

const real = (program: Body) =>
  Effect.gen(function* () {
    const log: Array<string> = []
    const add = (event: string) =>
      Effect.sync(() => {
        log.push(event)
      })
    const resources: Array<Resource.Resource<string>> = []
    const guards: Array<Guard.Guard> = []
    const runScope = (scope: Body): Effect.Effect<void, string> =>
      Effect.scoped(
        Effect.gen(function* () {
          for (const op of scope.ops) {
            switch (op._tag) {
              case "make": {
                const name = `r${resources.length}`
                const r = yield* Resource.make(
                  Effect.as(add(`acquire ${name}`), name),
                  (n, exit) => add(`release ${n} ${exit._tag}`),
                  { label: name }
                )
                resources.push(r)
                break
              }
              case "guard": {
                const name = `g${guards.length}`
                guards.push(
                  yield* Guard.make((exit) => add(`cleanup ${name} ${exit._tag}`), {
                    label: name,
                    when: op.when
                  })
                )
                break
              }
              case "close": {
                const r = resources[op.pick % Math.max(resources.length, 1)]
                if (r !== undefined) yield* Resource.close(r)
                break
              }
              case "detach": {
                const r = resources[op.pick % Math.max(resources.length, 1)]
                if (r === undefined) break
                yield* Resource.detach(r).pipe(
                  Effect.flatMap((n) => add(`detach ${n}`)),
                  Effect.catchTags({
                    ResourceReleasedError: () => Effect.void,
                    ResourceNotDetachableError: () => Effect.die("only make is used here")
                  })
                )
                break
              }
              case "disarm": {
                const g = guards[op.pick % Math.max(guards.length, 1)]
                if (g === undefined) break
                if (yield* Guard.disarm(g)) yield* add(`disarm ${g.label}`)
                break
              }
              case "runNow": {
                const g = guards[op.pick % Math.max(guards.length, 1)]
                if (g !== undefined) yield* Guard.runNow(g)
                break
              }
              case "scope":
                yield* Effect.exit(runScope(op.body))
                break
            }
          }
          yield* ending(scope.end)
        })
      )
    const exit = yield* Effect.exit(runScope(program))
    return { log, exit }
  })

const expectedExit = (end: Outcome): Exit.Exit<void, string> => {
  switch (end) {
    case "success":
      return Exit.void
    case "fail":
      return Exit.fail("fail")
    case "die":
      return Exit.die("die")
    case "interrupt":
      return Exit.interrupt()
  }
}

const numRuns = process.env["SCOPEGUARD_SOAK"] === "1" ? 100_000 : 1_000

describe("model", () => {
  it.effect(
    `${numRuns} random programs of nested scopes match the model`,
    () =>
      Effect.gen(function* () {
        let cases = 0
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(body, async (program) => {
              cases++
              const { log, exit } = await Effect.runPromise(real(program))
              expect(log).toEqual(model(program))
              if (program.end === "interrupt") {
                expect(Exit.hasInterrupts(exit)).toBe(true)
              } else {
                expect(exit).toEqual(expectedExit(program.end))
              }
            }),
            { numRuns }
          )
        )
        expect(cases).toBe(numRuns)
      }),
    numRuns > 1_000 ? 3_600_000 : 60_000
  )

  it("the model itself: LIFO, exactly once, strategies", () => {
    expect(
      model({
        ops: [
          { _tag: "make" },
          { _tag: "guard", when: "failure" },
          { _tag: "guard", when: "success" },
          { _tag: "make" },
          { _tag: "close", pick: 1 },
          { _tag: "close", pick: 1 }
        ],
        end: "success"
      })
    ).toEqual([
      "acquire r0",
      "acquire r1",
      "release r1 Success",
      "cleanup g1 Success",
      "release r0 Success"
    ])
  })
})
