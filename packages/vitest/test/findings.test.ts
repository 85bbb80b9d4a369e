/**
 * What the explorer finds in effect's own resource modules (effect 3.22.4). Each program
 * resets a counter of open handles when it starts; the check after each run wants it at 0.
 * These tests pin the findings recorded in packages/vitest/README.md: if an upgrade of effect
 * fixes one, its test fails here and the README must be updated.
 *
 * The last block re-verifies each finding without the explorer's own preemption: budget mode
 * (the runtime ends every turn itself) and a plain Effect program (`interruptAfter`) that
 * reproduces it with the default scheduler at a per-turn budget; the findings only the
 * explorer reaches are pinned as such.
 *
 * Replay one: npx vitest run --project vitest -t "<name>"
 */
import { describe, expect, it } from "@effect/vitest"
import {
  Cache,
  Context,
  type Duration,
  Effect,
  Exit,
  Fiber,
  FiberMap,
  Layer,
  Option,
  RcMap,
  Resource
} from "effect"
import { Interruption } from "@scopeguard/vitest"
import { check, findings, handle, permits, poisonedCache, reset, world } from "./programs.js"

class Service extends Context.Tag("Service")<Service, number>() {}

const explore = (
  program: Effect.Effect<unknown, unknown>,
  hangTimeout: Duration.DurationInput = "200 millis"
) => Interruption.explore(program, { mode: "interrupt", check, hangTimeout })

/** The distinct failures, runtime ids (`#12`, which differ from run to run) as `#n`. */
const kinds = (report: Interruption.Report) =>
  [...new Set(report.failures.map((f) => `${f.kind}: ${f.message.replace(/#\d+/g, "#n")}`))].sort()

describe("the explorer on effect's own modules", () => {
  describe("finds", () => {
    it.live(
      "ScopedRef.set: the new value leaks when interrupted right after its acquisition",
      () =>
        Effect.gen(function* () {
          const report = yield* explore(findings["ScopedRef.set"]!)
          expect(report.failures.length).toBeGreaterThan(0)
          expect(kinds(report)).toEqual(["check: 1 handle(s) still open"])
        }),
      120_000
    )

    it.live(
      "RcRef.get: leaks and hangs (its Semaphore loses a permit)",
      () =>
        Effect.gen(function* () {
          const report = yield* explore(findings["RcRef.get"]!)
          expect(kinds(report)).toEqual([
            "check: 1 handle(s) still open",
            "hang: did not finish within 200ms after its interruption"
          ])
        }),
      120_000
    )

    it.live(
      "Semaphore.withPermits: an interrupted acquisition keeps the permit",
      () =>
        Effect.gen(function* () {
          const { program, check } = permits()
          const report = yield* Interruption.explore(program, { mode: "interrupt", check })
          expect(kinds(report)).toEqual(["check: the permit is gone"])
        }),
      120_000
    )

    it.live(
      "Effect.all with concurrency: interrupted while it starts its workers, it hangs",
      () =>
        Effect.gen(function* () {
          const report = yield* explore(findings["Effect.all"]!, "50 millis")
          expect(kinds(report)).toEqual(["hang: did not finish within 50ms after its interruption"])
        }),
      120_000
    )

    it.live(
      "FiberSet.run: a fiber forked but not yet added runs on after the set closes",
      () =>
        Effect.gen(function* () {
          const report = yield* explore(findings["FiberSet.run"]!)
          // The explorer's own fibers check sees the stray fiber too, without the counter.
          expect(kinds(report)).toEqual([
            "check: 1 handle(s) still open",
            "fibers: 1 fiber of the run still running after it ended: fiber 1 (#n, forked by root)"
          ])
        }),
      120_000
    )

    it.live(
      "Scope.close: interrupted part-way, it loses the finalizers it had not run",
      () =>
        Effect.gen(function* () {
          const report = yield* explore(findings["Scope.close"]!)
          expect(kinds(report)).toEqual([
            "check: 1 handle(s) still open",
            "check: 2 handle(s) still open"
          ])
        }),
      120_000
    )
  })

  describe("finds nothing, in interrupt mode, in", () => {
    const clean: Record<string, Effect.Effect<unknown, unknown>> = {
      "Effect.acquireUseRelease": Effect.zipRight(
        reset,
        Effect.acquireUseRelease(
          Effect.sync(() => ++world.open),
          () => Effect.yieldNow(),
          () =>
            Effect.sync(() => {
              world.open--
            })
        )
      ),
      "RcMap.get": Effect.scoped(
        Effect.gen(function* () {
          yield* reset
          const map = yield* RcMap.make({ lookup: (_: string) => handle })
          yield* Effect.scoped(RcMap.get(map, "a"))
          yield* Effect.scoped(RcMap.get(map, "b"))
        })
      ),
      // Budget mode finds a hang in it (below): the interleaving a small budget makes.
      "Pool.get": findings["Pool.get"]!,
      "Resource.manual and refresh": Effect.scoped(
        Effect.gen(function* () {
          yield* reset
          const r = yield* Resource.manual(handle)
          yield* Resource.refresh(r)
          yield* Resource.get(r)
        })
      ),
      "Layer.memoize": Effect.scoped(
        Effect.gen(function* () {
          yield* reset
          const memoized = yield* Layer.memoize(Layer.scoped(Service, handle))
          yield* Effect.provide(Service, memoized)
          yield* Effect.provide(Service, memoized)
        })
      ),
      "FiberMap.run": Effect.scoped(
        Effect.gen(function* () {
          yield* reset
          const map = yield* FiberMap.make<string>()
          yield* FiberMap.run(map, "a", Effect.scoped(Effect.zipRight(handle, Effect.never)))
          yield* FiberMap.run(map, "a", Effect.scoped(Effect.zipRight(handle, Effect.never)))
          yield* Effect.yieldNow()
        })
      ),
      "Effect.forkScoped": Effect.scoped(
        Effect.gen(function* () {
          yield* reset
          yield* Fiber.join(yield* Effect.forkScoped(Effect.scoped(handle)))
        })
      )
    }
    for (const [name, program] of Object.entries(clean)) {
      it.live(
        name,
        () =>
          Effect.gen(function* () {
            const report = yield* explore(program)
            expect(report.failures).toEqual([])
            expect(report.deterministic).toBe(true)
            expect(report.steps).toBeGreaterThan(20)
          }),
        120_000
      )
    }
  })
})

/**
 * A plain Effect program, no explorer: `program` runs in a fiber whose default scheduler ends
 * a turn every `budget` operations (`Effect.withMaxOpsBeforeYield`), while this fiber yields
 * `turns` times and then interrupts it — so the interruption lands at one of the turn ends
 * the runtime itself makes. Returns whether the program finished within 100 ms of wall-clock
 * time (a hang detector, not a synchronisation: a finishing program ends within a few turns),
 * the handles still open right after it ended and after 50 more turns, and how many were
 * acquired after it ended.
 */
const interruptAfter = (program: Effect.Effect<unknown, unknown>, budget: number, turns: number) =>
  Effect.gen(function* () {
    yield* reset
    // A daemon, so that a program that hangs is abandoned rather than awaited by this test.
    const fiber = yield* Effect.forkDaemon(Effect.withMaxOpsBeforeYield(program, budget))
    for (let i = 0; i < turns; i++) yield* Effect.yieldNow()
    yield* Fiber.interruptFork(fiber)
    const exit = yield* Effect.option(Effect.timeout(Fiber.await(fiber), "100 millis"))
    const openAtExit = world.open
    const acquiredAtExit = world.acquired
    for (let i = 0; i < 50; i++) yield* Effect.yieldNow()
    return {
      finished: Option.isSome(exit),
      openAtExit,
      openLater: world.open,
      acquiredAfterExit: world.acquired - acquiredAtExit
    }
  })

/** A shared `Effect.cached` value whose first caller, a fiber of its own, is interrupted. */
const cachedFirstCallerInterrupted = (budget: number, turns: number) =>
  Effect.gen(function* () {
    const cached = yield* Effect.cached(Effect.as(Effect.yieldNow(), 1))
    const first = yield* Effect.fork(Effect.withMaxOpsBeforeYield(cached, budget))
    for (let i = 0; i < turns; i++) yield* Effect.yieldNow()
    yield* Fiber.interrupt(first)
    return yield* Effect.exit(Effect.timeout(cached, "100 millis"))
  })

type Shows = Effect.Effect.Success<ReturnType<typeof interruptAfter>>
const shows = (
  finished: boolean,
  openAtExit: number,
  openLater: number,
  acquiredAfterExit = 0
) => ({
  finished,
  openAtExit,
  openLater,
  acquiredAfterExit
})

describe("re-verified: the runtime's own turn ends, and plain Effect programs", () => {
  // [finding, budget, turns, what the plain program shows]: the first point (in `turns`) at
  // which the default scheduler with that budget reproduces it.
  const confirmed: ReadonlyArray<readonly [string, number, number, Shows]> = [
    ["ScopedRef.set", 32, 4, shows(true, 1, 1)],
    ["RcRef.get", 32, 4, shows(true, 1, 1)],
    ["Effect.all", 32, 0, shows(false, 0, 0)],
    ["FiberSet.run", 12, 16, shows(true, 1, 1)],
    ["Scope.close", 32, 4, shows(true, 1, 1)],
    ["Pool.get", 32, 1, shows(false, 0, 0)],
    ["ScopedCache.get", 32, 7, shows(true, 1, 1)],
    // The program ends having acquired nothing; then the pool acquires two handles, and
    // releases them, after its owner's scope has closed.
    ["KeyedPool.get", 32, 4, shows(true, 0, 0, 2)]
  ]
  for (const [name, budget, turns, expected] of confirmed) {
    it.live(
      `${name}: a plain program reproduces it with withMaxOpsBeforeYield(${budget})`,
      () =>
        Effect.gen(function* () {
          const program = findings[name]!
          expect(yield* interruptAfter(program, budget, turns)).toEqual(expected)
          // The same point at the runtime's default budget is clean.
          expect(yield* interruptAfter(program, 2048, turns)).toEqual(shows(true, 0, 0))
        }),
      120_000
    )
  }

  it.live(
    "budget mode finds each of them: every failure is reached by the runtime",
    () =>
      Effect.gen(function* () {
        const found: Record<string, ReadonlyArray<string>> = {}
        for (const [name, budget] of [
          ["ScopedRef.set", 32],
          ["RcRef.get", 32],
          ["Effect.all", 32],
          ["FiberSet.run", 13],
          ["Scope.close", 32],
          ["Pool.get", 32],
          ["ScopedCache.get", 32]
        ] as const) {
          const report = yield* Interruption.explore(findings[name]!, {
            check,
            hangTimeout: "100 millis",
            mode: "budget",
            budget
          })
          expect(report.failures.every((f) => f.reach === "budget" && f.budget === budget)).toBe(
            true
          )
          found[name] = kinds(report)
        }
        expect(found).toEqual({
          "ScopedRef.set": ["check: 1 handle(s) still open"],
          "RcRef.get": ["check: 1 handle(s) still open"],
          "Effect.all": ["hang: did not finish within 100ms after its interruption"],
          "FiberSet.run": [
            "check: 1 handle(s) still open",
            "fibers: 1 fiber of the run still running after it ended: fiber 1 (#n, forked by root)"
          ],
          "Scope.close": ["check: 1 handle(s) still open"],
          "Pool.get": ["hang: did not finish within 100ms after its interruption"],
          "ScopedCache.get": ["check: 1 handle(s) still open"]
        })
      }),
    120_000
  )

  it.live(
    "Effect.cached: a first caller interrupted poisons it, at the default budget",
    () =>
      Effect.gen(function* () {
        // Interrupted after one turn, with the runtime's default budget: the later caller gets
        // the first caller's interruption instead of a value.
        const exit = yield* cachedFirstCallerInterrupted(2048, 1)
        expect(Exit.isInterrupted(exit)).toBe(true)
        // Interrupted before it ran at all, the value is computed by the later caller.
        expect(yield* cachedFirstCallerInterrupted(2048, 0)).toEqual(Exit.succeed(1))
        // The explorer finds it with target: "holder" (the fiber holding the step is
        // interrupted, the program goes on), in budget mode at the default budget.
        const poisoned = poisonedCache()
        const report = yield* Interruption.explore(poisoned.program, {
          mode: "budget",
          budget: 2048,
          target: "holder",
          check: poisoned.check
        })
        expect(kinds(report)).toEqual(["check: a later caller failed"])
      }),
    120_000
  )

  it.live(
    "explorer only: the Semaphore permit and the RcRef hang are not reached by the runtime",
    () =>
      Effect.gen(function* () {
        const { program: permitsProgram, check: permitCheck } = permits()
        // Interrupt mode finds the lost permit only at points the runtime never preempts...
        const interrupted = yield* Interruption.explore(permitsProgram, {
          mode: "interrupt",
          check: permitCheck
        })
        expect(kinds(interrupted)).toEqual(["check: the permit is gone"])
        expect(interrupted.reachable).toBe(0)
        // The same report (but for the pass's wall-clock time).
        const timeless = (r: Interruption.Report) => ({
          ...r,
          passes: r.passes.map((p) => ({ ...p, millis: 0 }))
        })
        expect(
          yield* Effect.exit(
            Effect.map(
              Interruption.assertEveryStep(permitsProgram, {
                mode: "interrupt",
                check: permitCheck,
                failOn: "reachable"
              }),
              timeless
            )
          )
        ).toEqual(Exit.succeed(timeless(interrupted)))
        // ...and the runtime's own turn ends, at every default budget, never lose it.
        const budget = yield* Interruption.explore(permitsProgram, {
          check: permitCheck,
          mode: "budget"
        })
        expect(budget.failures).toEqual([])
        // RcRef: the leak is reached by the runtime (above); the hang is not.
        const rc = yield* Interruption.explore(findings["RcRef.get"]!, {
          check,
          hangTimeout: "100 millis",
          mode: "budget"
        })
        expect(kinds(rc)).toEqual(["check: 1 handle(s) still open"])
      }),
    120_000
  )

  it.live(
    "Cache.get: the defaults find the wedged key once the first caller does anything before the call; a bare fork(get) is explorer-only",
    () =>
      Effect.gen(function* () {
        // The later caller's get is bounded by 1 s: wedged, the run outlasts the hang bound.
        const state: { later: Exit.Exit<number, unknown> | undefined } = { later: undefined }
        const laterGotIt = () =>
          Effect.suspend(() =>
            state.later === undefined || Exit.isSuccess(state.later)
              ? Effect.void
              : Effect.fail("a later caller did not get a value")
          )
        const program = (first: (get: Effect.Effect<number>) => Effect.Effect<number>) =>
          Effect.gen(function* () {
            state.later = undefined
            const cache = yield* Cache.make({
              capacity: 10,
              timeToLive: "1 hour",
              lookup: (_: string) => Effect.as(Effect.yieldNow(), 1)
            })
            const get = cache.get("a")
            yield* Fiber.await(yield* Effect.fork(first(get)))
            state.later = yield* Effect.exit(Effect.timeout(get, "1 second"))
          })
        const options = { check: laterGotIt, hangTimeout: "100 millis" } as const
        const hang = "did not finish within 100ms after its interruption"
        // A bare fork(get): the window (the key's entry pending, its interruption handler not
        // yet installed) is 2 to 6 operations into the fiber's first turn, where no budget of
        // 10 or more ends a turn: found by interrupt mode alone, labelled so, not counted.
        const bare = yield* Interruption.explore(
          program((get) => get),
          options
        )
        expect(
          bare.failures.map((f) => [f.kind, f.message, f.mode, f.target, f.reach, f.where?.turn])
        ).toEqual(
          [2, 3, 4, 5, 6].map((turn) => [
            "hang",
            hang,
            "interrupt",
            "holder",
            "explorer-only",
            turn
          ])
        )
        expect(bare.reachable).toBe(0)
        // A caller that does anything first (here a log span) carries the window 20 operations
        // into its turn: budget 12 ends the turn in it, and the defaults fail on it.
        const spanned = yield* Interruption.explore(
          program((get) => Effect.withLogSpan(get, "first caller")),
          options
        )
        expect(
          spanned.failures.map((f) => [f.kind, f.mode, f.target, f.reach, f.budget, f.where?.turn])
        ).toEqual([
          ["hang", "budget", "holder", "budget", 12, 12],
          ...[22, 23, 24, 25, 26].map((turn) => [
            "hang",
            "interrupt",
            "holder",
            "budget",
            undefined,
            turn
          ])
        ])
        expect(spanned.reachable).toBe(6)
        const error = yield* Effect.flip(
          Interruption.assertEveryStep(
            program((get) => Effect.withLogSpan(get, "first caller")),
            { ...options, progress: false }
          )
        )
        expect(error.report.reachable).toBe(6)
      }),
    120_000
  )
})
