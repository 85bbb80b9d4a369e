/**
 * The reductions are sound: on the same programs, the reduced exploration (the default) and
 * the full one (`reduce: false`, every point run on its own) report the same failures at the
 * same steps, with the same `where` and reach, grouped into the same ranges — only the runtime
 * ids in messages differ (a covered point reports its representative's run). Buggy programs
 * first: every failure the full sweep finds, the reduced one finds at the same step.
 *
 * Each program runs in every mode the reductions apply to: interrupt mode (root and holder
 * targets) and yield mode. Budget mode is never reduced.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  Context,
  Deferred,
  Effect,
  Either,
  Exit,
  Fiber,
  FiberHandle,
  FiberRef,
  HashSet,
  Option,
  Ref,
  Scope,
  TestClock
} from "effect"
import { Guard, Resource } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"
import { check, findings, permits, poisonedCache } from "./programs.js"

/** A report with runtime ids (`#12`, which differ from run to run) as `#`. */
const comparable = (report: Interruption.Report) => {
  const id = (message: string) => message.replace(/#\d+/g, "#")
  return {
    steps: report.steps,
    deterministic: report.deterministic,
    unreached: report.unreached,
    failures: report.failures.map((f) => ({ ...f, message: id(f.message) })),
    ranges: report.ranges.map((r) => ({ ...r, message: id(r.message) }))
  }
}

type Options = Interruption.Options<never>

/**
 * Explores `program` reduced and in full with the same options, checks that they agree, and
 * returns both reports.
 */
const agree = (program: Interruption.Program<unknown, unknown, never>, given: Options = {}) =>
  Effect.gen(function* () {
    // One pass: the interrupt mode unless the options name a mode or a target.
    const options: Options =
      given.mode === undefined && given.target === undefined
        ? { mode: "interrupt", ...given }
        : given
    const full = yield* Interruption.explore(program, { ...options, reduce: false })
    const reduced = yield* Interruption.explore(program, options)
    expect(comparable(reduced)).toEqual(comparable(full))
    expect(full.reduced).toBeUndefined()
    expect(full.runs).toBe(full.steps)
    // Every point is run or covered, once.
    const covered = reduced.reduced!
    expect(covered.points).toBe(covered.deferred + covered.continuation + covered.idle)
    expect(reduced.runs + covered.points).toBe(full.runs)
    return { full, reduced }
  })

const MODES: ReadonlyArray<readonly [string, Options]> = [
  ["interrupt mode", {}],
  ["interrupt mode, target: holder", { target: "holder" }],
  ["yield mode", { mode: "yield" }]
]

/** A service the programs below yield (`yield*` of a `Context.Tag`). */
class Service extends Context.Tag("Service")<Service, { readonly n: number }>() {}

/** A world the programs below share with their check, reset when each run starts. */
const world = { open: 0, total: 0, seen: 0 }
const reset = Effect.sync(() => {
  world.open = 0
  world.total = 0
  world.seen = 0
})
const worldCheck = () =>
  world.open !== 0
    ? Effect.fail(`${world.open} left open`)
    : world.seen !== 0
      ? Effect.fail(`saw a pending interruption ${world.seen} time(s)`)
      : Effect.void
const open = Effect.sync(() => {
  world.open++
})
const close = Effect.sync(() => {
  world.open--
})

/** Programs with bugs the explorer finds, and programs it passes, each with its check. */
const programs: Record<
  string,
  { readonly program: Interruption.Program<unknown, unknown, never>; readonly options: Options }
> = {
  "acquire, then register the release as a second step (buggy)": {
    program: Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        yield* open
        yield* Effect.addFinalizer(() => close)
        yield* Effect.yieldNow()
      })
    ),
    options: { check: worldCheck }
  },
  "acquireRelease, and an uninterruptible stretch of work": {
    program: Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        yield* Effect.acquireRelease(open, () => close)
        yield* Effect.uninterruptible(
          Effect.gen(function* () {
            for (let i = 0; i < 20; i++) yield* Effect.sync(() => world.total++)
          })
        )
      })
    ),
    options: { check: worldCheck }
  },
  "an uninterruptible region that reads its own pending interruption (buggy)": {
    // `Effect.descriptor` and `Fiber.getCurrentFiber` show the interruption before the region
    // ends: the steps before the read and after it are not equivalent.
    program: Effect.gen(function* () {
      yield* reset
      yield* Effect.uninterruptible(
        Effect.gen(function* () {
          yield* Effect.sync(() => world.total++)
          const descriptor = yield* Effect.descriptor
          if (HashSet.size(descriptor.interruptors) > 0) world.seen++
          yield* Effect.sync(() => world.total++)
          yield* Effect.sync(() => {
            const fiber = Option.getOrUndefined(Fiber.getCurrentFiber())
            if (
              fiber !== undefined &&
              fiber.getFiberRef(FiberRef.interruptedCause)._tag !== "Empty"
            ) {
              world.seen++
            }
          })
          yield* Effect.sync(() => world.total++)
        })
      )
    }),
    options: { check: worldCheck }
  },
  "uninterruptibleMask and interruptibleMask entered from interruptible code (buggy)": {
    // Each mask's first step only builds the region's flag change: equivalent to the step
    // after it. The close after the restored yield is skipped when that yield is interrupted.
    program: Effect.gen(function* () {
      yield* reset
      yield* Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          yield* open
          yield* restore(Effect.yieldNow())
          yield* close
        })
      )
      yield* Effect.uninterruptible(
        Effect.interruptibleMask((restore) =>
          Effect.zipRight(
            restore(Effect.sync(() => world.total++)),
            Effect.sync(() => world.total++)
          )
        )
      )
    }),
    options: { check: worldCheck }
  },
  "a child opens what its parent closes, synchronised by a Deferred (buggy)": {
    program: Effect.gen(function* () {
      yield* reset
      const ready = yield* Deferred.make<void>()
      const child = yield* Effect.fork(
        Effect.scoped(
          Effect.gen(function* () {
            yield* open
            yield* Effect.addFinalizer(() => close)
            yield* Deferred.succeed(ready, undefined)
          })
        )
      )
      yield* Deferred.await(ready)
      yield* Fiber.join(child)
    }),
    options: { check: worldCheck }
  },
  "two fibers add to a total, read and write a step apart (buggy in yield mode)": {
    program: Effect.gen(function* () {
      yield* reset
      const add = Effect.flatMap(
        Effect.sync(() => world.total),
        (read) =>
          Effect.sync(() => {
            world.total = read + 1
          })
      )
      const a = yield* Effect.fork(add)
      const b = yield* Effect.fork(add)
      yield* Fiber.join(a)
      yield* Fiber.join(b)
      if (world.total !== 2) world.open = 100
    }),
    options: { check: worldCheck }
  },
  "a FiberHandle's fiber opens, then registers (buggy)": {
    program: Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const handle = yield* FiberHandle.make()
        const fiber = yield* FiberHandle.run(
          handle,
          Effect.scoped(
            Effect.zipRight(
              open,
              Effect.addFinalizer(() => close)
            )
          )
        )
        yield* Fiber.await(fiber)
      })
    ),
    options: { check: worldCheck }
  },
  "Resource.make, use and close, three times": {
    program: Effect.scoped(
      Effect.gen(function* () {
        for (let i = 0; i < 3; i++) {
          const r = yield* Resource.make(Effect.succeed(i), () => Effect.void, { label: "r" })
          yield* Resource.use(r, () => Effect.yieldNow())
          yield* Resource.close(r)
        }
      })
    ),
    options: {}
  },
  "Resource.get ten times, and once after its close (the program fails)": {
    // The get after the close fails the program with its typed error.
    program: Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const r = yield* Resource.make(open, () => close, { label: "r" })
        for (let i = 0; i < 10; i++) yield* Resource.get(r)
        yield* Resource.close(r)
        yield* Resource.get(r)
      })
    ),
    options: { check: worldCheck }
  },
  "a Context.Tag, an Option and an Either yielded between an open and its close (buggy)": {
    // Each yields an operation that only builds the next (the service's read, the success
    // or failure it stands for): it shares the next step's run. Interrupted between the open
    // and the close, the program leaves one open.
    program: Effect.gen(function* () {
      yield* reset
      yield* open
      const service = yield* Service
      const some = yield* Option.some(service.n)
      const right = yield* Either.right(some)
      world.total += right
      yield* close
    }).pipe(Effect.provideService(Service, { n: 1 })),
    options: { check: worldCheck }
  },
  "a Resource.get racing a close by another fiber, inside an uninterruptible region (buggy)": {
    // The get's first step reads the resource's phase, which the closer changes: preempted
    // before it, the closer runs first and the get fails; after it, the get has its value.
    // (A review found the reduced exploration missing the failing point when that step was
    // taken as one that only builds the next.)
    program: Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const r = yield* Resource.make(Effect.succeed(1), () => Effect.void, { label: "r" })
        const closer = yield* Effect.fork(Resource.close(r))
        yield* Effect.uninterruptible(
          Effect.flatMap(Effect.exit(Resource.get(r)), (exit) =>
            Effect.sync(() => {
              if (Exit.isSuccess(exit)) world.seen++
            })
          )
        )
        yield* Fiber.join(closer)
      })
    ),
    options: { check: worldCheck }
  },
  "a Resource.get racing a close by another fiber (buggy in yield mode)": {
    program: Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const r = yield* Resource.make(Effect.succeed(1), () => Effect.void, { label: "r" })
        const closer = yield* Effect.fork(Resource.close(r))
        const exit = yield* Effect.exit(Resource.get(r))
        if (Exit.isSuccess(exit)) world.seen++
        yield* Fiber.join(closer)
      })
    ),
    options: { check: worldCheck }
  },
  "a Resource kept in a scope that is closed as a later step (buggy)": {
    program: Effect.gen(function* () {
      const scope = yield* Scope.make()
      yield* Scope.extend(
        Resource.make(Effect.void, () => Effect.void, { label: "db" }),
        scope
      )
      yield* Guard.make(Effect.void, { label: "undo" }).pipe(Scope.extend(scope))
      yield* Scope.close(scope, Exit.void)
    }),
    options: {}
  },
  "Guard.make and disarm, and concurrent Guard.runNow": {
    program: () => {
      const ran = { count: 0 }
      return Effect.scoped(
        Effect.gen(function* () {
          const guard = yield* Guard.make(Effect.sync(() => ran.count++))
          const a = yield* Effect.fork(Guard.runNow(guard))
          const b = yield* Effect.fork(Guard.runNow(guard))
          yield* Fiber.join(a)
          yield* Fiber.join(b)
          const other = yield* Guard.make(Effect.void)
          yield* Guard.disarm(other)
        })
      )
    },
    options: {}
  },
  "a forked daemon left running (buggy)": {
    program: Effect.asVoid(Effect.forkDaemon(Effect.never)),
    options: {}
  }
}

describe("reduced and full explorations agree", () => {
  for (const [name, { program, options }] of Object.entries(programs)) {
    for (const [mode, modeOptions] of MODES) {
      it.effect(
        `${name}, ${mode}`,
        () =>
          Effect.asVoid(agree(program, { ...options, ...modeOptions, hangTimeout: "2 seconds" })),
        120_000
      )
    }
  }

  it.effect(
    "they find the same failures in buggy programs, and the reduced one runs fewer points",
    () =>
      Effect.gen(function* () {
        const { full, reduced } = yield* agree(
          programs["acquire, then register the release as a second step (buggy)"]!.program,
          { check: worldCheck }
        )
        expect(full.failures.length).toBeGreaterThan(0)
        expect(reduced.runs).toBeLessThan(full.runs)
        // The uninterruptible stretch is covered by equivalence: deferred points.
        const stretch = yield* agree(
          programs["acquireRelease, and an uninterruptible stretch of work"]!.program,
          { check: worldCheck }
        )
        expect(stretch.reduced.reduced!.deferred).toBeGreaterThan(20)
        // The read of a pending interruption splits its stretch: those failures are found.
        const reads = yield* agree(
          programs["an uninterruptible region that reads its own pending interruption (buggy)"]!
            .program,
          { check: worldCheck }
        )
        expect(new Set(reads.full.failures.map((f) => f.message))).toEqual(
          new Set(["saw a pending interruption 2 time(s)", "saw a pending interruption 1 time(s)"])
        )
        // A mask's first step only builds the region's flag change: it shares that step's run
        // (a `continuation`). The uninterruptibleMask entered from interruptible code saves a
        // run (20, not 21); the interruptibleMask's, inside an uninterruptible region, was
        // deferred already and is now a continuation. The restored yield's window is found.
        const masks = yield* agree(
          programs[
            "uninterruptibleMask and interruptibleMask entered from interruptible code (buggy)"
          ]!.program,
          { check: worldCheck }
        )
        expect(masks.reduced.runs).toBe(20)
        expect(masks.reduced.reduced).toEqual({
          points: 17,
          deferred: 11,
          continuation: 6,
          idle: 0,
          unconfirmed: 0
        })
        expect(masks.full.failures.map((f) => [f.step, f.message, f.where?.op])).toEqual([
          [12, "1 left open", "Commit"],
          [13, "1 left open", "Iterator"],
          [14, "1 left open", "Sync"],
          [15, "1 left open", "UpdateRuntimeFlags"],
          [16, "1 left open", "Yield"],
          [17, "1 left open", "Success"]
        ])
        // A yielded Context.Tag, Option or Either is two steps, one run: five more rounds of
        // the three are thirty more steps and fifteen more runs.
        const yields = (rounds: number) =>
          Effect.gen(function* () {
            for (let i = 0; i < rounds; i++) {
              world.total += (yield* Service).n
              world.total += yield* Option.some(1)
              world.total += yield* Either.right(1)
            }
          }).pipe(Effect.provideService(Service, { n: 1 }))
        const five = yield* agree(yields(5))
        const more = yield* agree(yields(10))
        expect(more.full.steps - five.full.steps).toBe(30)
        expect(more.reduced.runs - five.reduced.runs).toBe(15)
        // Yield mode: a yield with no other fiber ready is the run without a forced yield.
        const idle = yield* agree(
          programs["acquireRelease, and an uninterruptible stretch of work"]!.program,
          { check: worldCheck, mode: "yield" }
        )
        expect(idle.reduced.reduced!.idle).toBeGreaterThan(20)
      }),
    120_000
  )
})

describe("on effect's own modules (the findings table)", () => {
  for (const [name, program] of Object.entries(findings)) {
    for (const [mode, modeOptions] of MODES) {
      it.live(
        `${name}, ${mode}`,
        () => Effect.asVoid(agree(program, { check, hangTimeout: "2 seconds", ...modeOptions })),
        120_000
      )
    }
  }

  it.live(
    "Semaphore.withPermits and a poisoned Effect.cached",
    () =>
      Effect.gen(function* () {
        const semaphore = permits()
        yield* agree(semaphore.program, { check: semaphore.check })
        yield* agree(semaphore.program, { check: semaphore.check, mode: "yield" })
        const cache = poisonedCache()
        const { full } = yield* agree(cache.program, {
          check: cache.check,
          target: "holder",
          hangTimeout: "2 seconds"
        })
        expect(full.failures.length).toBeGreaterThan(0)
      }),
    120_000
  )
})

describe("under test services", () => {
  it.effect(
    "a program on the TestClock, each run with fresh services",
    () =>
      Effect.gen(function* () {
        const slept = yield* Ref.make(0)
        const program = Effect.gen(function* () {
          yield* Ref.set(slept, 0)
          const sleeper = yield* Effect.fork(
            Effect.zipRight(
              Effect.sleep("1 second"),
              Ref.update(slept, (n) => n + 1)
            )
          )
          yield* TestClock.adjust("1 second")
          yield* Fiber.join(sleeper)
        })
        const { full } = yield* agree(program, { fibers: false, hangTimeout: "2 seconds" })
        expect(full.isolated).toBe(true)
      }),
    120_000
  )
})
