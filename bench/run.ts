/**
 * npm run bench — every number is measured in this one run, side by side, and every ratio
 * compares numbers from the same run (the machines are shared and noisy: compare ratios, not
 * absolute times, between runs). Uses run *inside* one long-lived scope provided once, as in
 * a server; cases are interleaved round by round and the median is kept.
 *
 *   1. µs per use in a long-lived scope, against the floor Effect 3 allows;
 *   2. `Resource.use` (a lease) against a bare `Resource.get`;
 *   3. closing a long-lived scope that holds 100,000 live cleanups, per cleanup;
 *   4. 1,000,000 live guards made and closed;
 *   5. heap kept by a long-lived scope after 1,000,000 disarmed guards, and per use by the
 *      "committed flag" pattern against Guard.disarm and Resource.close;
 *   6. the Tracking hook when no probe is installed;
 *   7. the interruption explorer, every point explored (run, or covered by an equivalent
 *      point's run): plain Effect code at 500, 5,000 and 20,000 steps, scopeguard code at
 *      5,000 steps reduced and with reduce: false, and at 20,000 steps, with the points run and
 *      covered (SCOPEGUARD_BENCH_QUICK=1 skips the 20,000-step programs); 7b. the same
 *      exploration under test services (as in it.effect) against Effect.runPromise.
 *
 * It ends with the budget: each target, the measured ratio, met or not.
 *
 * It measures the built packages (`npm run bench` builds first), as users run them: loaded
 * through tsx from source, every closure of ours would also pay esbuild's `__name` helper
 * (`keepNames`), which a profile showed costing Resource make+close about 14% on its own.
 */
import { Effect, Exit, ExecutionStrategy, Scope, TestContext } from "effect"
import { Guard, Resource, Tracking } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"

const rounds = 9
const n = 30_000
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const median = (xs: ReadonlyArray<number>) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const section = (title: string) => console.log(`\n## ${title}\n`)
const budget: Array<{ target: string; limit: number; measured: number }> = []

/** µs per use: `n` uses in a loop inside one scope, provided once. */
const timePerUse = (use: Effect.Effect<unknown, never, Scope.Scope>, count = n): number =>
  Effect.runSync(
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const loop = Effect.provideService(
        Effect.gen(function* () {
          for (let i = 0; i < count; i++) yield* use
        }),
        Scope.Scope,
        scope
      )
      const start = performance.now()
      yield* loop
      const elapsed = performance.now() - start
      yield* Scope.close(scope, Exit.void)
      return (elapsed * 1000) / count
    })
  )

/** Runs every measure once per round, interleaved; prints medians and ratios to `baseline`. */
const compare = (
  measures: Record<string, () => number>,
  baseline: string,
  columns: readonly [string, string, string]
): Map<string, number> => {
  const samples = new Map<string, Array<number>>()
  for (let round = 0; round < rounds; round++) {
    for (const [name, measure] of Object.entries(measures)) {
      gc()
      samples.set(name, [...(samples.get(name) ?? []), measure()])
    }
  }
  const medians = new Map(Array.from(samples, ([name, list]) => [name, median(list)] as const))
  const base = medians.get(baseline)!
  console.log(`| ${columns.join(" | ")} |\n| --- | ---: | ---: |`)
  for (const [name, m] of medians) {
    console.log(`| ${name} | ${m.toFixed(2)} | ${(m / base).toFixed(2)} |`)
  }
  return medians
}

const noop = Effect.void
const release = () => noop

// 1. ---------------------------------------------------------------------------------------
section(`1. µs per use in a long-lived scope (median of ${rounds} interleaved rounds of ${n})`)
const FLOOR = "floor: Scope.fork + addFinalizer + close the child"
const BOUND = "bound: the floor with registering and removing each uninterruptible"
const uses: Record<string, Effect.Effect<unknown, never, Scope.Scope>> = {
  [FLOOR]: Effect.flatMap(Effect.scope, (scope) =>
    Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (child) =>
      Effect.zipRight(Scope.addFinalizer(child, noop), Scope.close(child, Exit.void))
    )
  ),
  // The lower bound for a removable cleanup that is safe against interruption: registering
  // (fork + addFinalizer) and removing (close) must each be atomic, so each pays for one
  // uninterruptible region.
  [BOUND]: Effect.flatMap(
    Effect.uninterruptible(
      Effect.flatMap(Effect.scope, (scope) =>
        Effect.tap(Scope.fork(scope, ExecutionStrategy.sequential), (child) =>
          Scope.addFinalizer(child, noop)
        )
      )
    ),
    (child) => Effect.uninterruptible(Scope.close(child, Exit.void))
  ),
  "Effect.acquireRelease in a child scope + close it": Effect.flatMap(Effect.scope, (scope) =>
    Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (child) =>
      Effect.zipRight(
        Scope.extend(Effect.acquireRelease(noop, release), child),
        Scope.close(child, Exit.void)
      )
    )
  ),
  "Guard.make + Guard.disarm": Effect.flatMap(Guard.make(noop), Guard.disarm),
  "Resource.make + Resource.close": Effect.flatMap(Resource.make(noop, release), Resource.close),
  "Guard.step + Guard.commit": Effect.flatMap(Guard.step(noop, release), (g) =>
    Effect.orDie(Guard.commit(g, noop))
  ),
  "Effect.acquireRelease, never removed (the scope grows)": Effect.acquireRelease(noop, release),
  "Resource.make + close, with a Scope.extend per use (the old bench)": Effect.flatMap(
    Effect.scope,
    (scope) => Scope.extend(Effect.flatMap(Resource.make(noop, release), Resource.close), scope)
  )
}
for (const use of Object.values(uses)) timePerUse(use, 3_000) // warm up
const perUse = compare(
  Object.fromEntries(Object.entries(uses).map(([name, use]) => [name, () => timePerUse(use)])),
  FLOOR,
  ["use", "µs", "× floor"]
)
const floor = perUse.get(FLOOR)!
const bound = perUse.get(BOUND)!
console.log(
  `\nAgainst the bound (${(bound / floor).toFixed(2)}× the floor): Guard make+disarm ${(perUse.get("Guard.make + Guard.disarm")! / bound).toFixed(2)}×, Resource make+close ${(perUse.get("Resource.make + Resource.close")! / bound).toFixed(2)}×`
)
budget.push(
  {
    target: "Guard make+disarm ≤ 1.15× the floor",
    limit: 1.15,
    measured: perUse.get("Guard.make + Guard.disarm")! / floor
  },
  {
    target: "Resource make+close ≤ 1.3× the floor",
    limit: 1.3,
    measured: perUse.get("Resource.make + Resource.close")! / floor
  }
)

// 2. ---------------------------------------------------------------------------------------
section("2. Resource.use (holds a lease) against Resource.get, µs per call")
const perCall = (effect: Effect.Effect<unknown, unknown>) => () =>
  Effect.runSync(
    Effect.gen(function* () {
      const start = performance.now()
      for (let i = 0; i < n; i++) yield* Effect.ignore(effect)
      return ((performance.now() - start) * 1000) / n
    })
  )
const live = Effect.runSync(
  Effect.flatMap(Scope.make(), (scope) =>
    Scope.extend(Resource.make(Effect.succeed(1), release), scope)
  )
)
compare(
  {
    "Resource.get": perCall(Resource.get(live)),
    "Resource.use(r, succeed)": perCall(Resource.use(live, (x) => Effect.succeed(x)))
  },
  "Resource.get",
  ["call", "µs", "× get"]
)

// 3. ---------------------------------------------------------------------------------------
section("3. closing a scope that holds 100,000 live cleanups, µs per cleanup")
const closing = (register: Effect.Effect<unknown, never, Scope.Scope>) => (): number =>
  Effect.runSync(
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      yield* Effect.provideService(
        Effect.gen(function* () {
          for (let i = 0; i < 100_000; i++) yield* register
        }),
        Scope.Scope,
        scope
      )
      const start = performance.now()
      yield* Scope.close(scope, Exit.void)
      return ((performance.now() - start) * 1000) / 100_000
    })
  )
const ADD = "Scope.addFinalizer"
const closeCosts = compare(
  {
    [ADD]: closing(Effect.addFinalizer(() => noop)),
    "Effect.acquireRelease": closing(Effect.acquireRelease(noop, release)),
    "Guard.make": closing(Guard.make(noop)),
    "Resource.make": closing(Resource.make(noop, release))
  },
  ADD,
  ["cleanup", "µs", "× addFinalizer"]
)
budget.push(
  {
    target: "closing live guards ≤ 1.0× acquireRelease's close",
    limit: 1.0,
    measured: closeCosts.get("Guard.make")! / closeCosts.get("Effect.acquireRelease")!
  },
  {
    target: "closing live guards ≤ 2× Scope.addFinalizer's close",
    limit: 2.0,
    measured: closeCosts.get("Guard.make")! / closeCosts.get(ADD)!
  }
)

// 4. ---------------------------------------------------------------------------------------
section("4. 1,000,000 live guards made, then their scope closed")
{
  const result = Effect.runSync(
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const started = performance.now()
      yield* Effect.provideService(
        Effect.gen(function* () {
          for (let i = 0; i < 1_000_000; i++) yield* Guard.make(noop)
        }),
        Scope.Scope,
        scope
      )
      const made = performance.now()
      yield* Scope.close(scope, Exit.void)
      return { make: made - started, close: performance.now() - made }
    })
  )
  console.log(
    `made in ${(result.make / 1000).toFixed(1)} s, closed in ${(result.close / 1000).toFixed(1)} s (no stack overflow)`
  )
}

// 5. ---------------------------------------------------------------------------------------
section("5. heap kept by a long-lived scope after 1,000,000 disarmed guards")
/** Bytes the heap grew by while `count` uses ran in one long-lived scope (after gc). */
const heapGrowth = (use: Effect.Effect<unknown, never, Scope.Scope>, count: number): number =>
  Effect.runSync(
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      gc()
      const before = process.memoryUsage().heapUsed
      yield* Effect.provideService(
        Effect.gen(function* () {
          for (let i = 0; i < count; i++) yield* use
        }),
        Scope.Scope,
        scope
      )
      gc()
      const after = process.memoryUsage().heapUsed
      yield* Scope.close(scope, Exit.void)
      return after - before
    })
  )
{
  const growth = heapGrowth(Effect.flatMap(Guard.make(noop), Guard.disarm), 1_000_000)
  console.log(`heap growth: ${(growth / 1024).toFixed(0)} KiB`)
  budget.push({
    target: "heap growth < 1 MB after 1,000,000 disarmed guards (limit in MB)",
    limit: 1,
    measured: growth / 1_000_000
  })
}

{
  // What the usual "committed flag" keeps instead: a finalizer per use, never removed.
  const keptPerUse = (use: Effect.Effect<unknown, never, Scope.Scope>): number =>
    heapGrowth(use, 100_000) / 100_000
  const committedFlag = Effect.flatMap(
    Effect.sync(() => ({ committed: false })),
    (flag) =>
      Effect.zipRight(
        Effect.addFinalizer(() => noop),
        Effect.sync(() => {
          flag.committed = true
        })
      )
  )
  console.log("\n| 100,000 uses in a long-lived scope | bytes kept per use |\n| --- | ---: |")
  for (const [name, use] of [
    ["acquireRelease + committed flag (never removed)", committedFlag],
    ["Guard.make + Guard.disarm", uses["Guard.make + Guard.disarm"]!],
    ["Resource.make + Resource.close", uses["Resource.make + Resource.close"]!]
  ] as const) {
    console.log(`| ${name} | ${Math.max(0, keptPerUse(use)).toFixed(0)} |`)
  }
}

// 6. ---------------------------------------------------------------------------------------
section("6. the Tracking hook (µs per Resource.make + close)")
const makeClose = uses["Resource.make + Resource.close"]!
const tracker: Tracking.Tracker = { opened: () => {}, settled: () => {} }
const NONE = "no tracker installed anywhere (one comparison)"
const hook = compare(
  {
    [NONE]: () => timePerUse(makeClose),
    "a tracker installed on another fiber (reads a fiber ref)": () =>
      Effect.runSync(
        Effect.gen(function* () {
          const elsewhere = yield* Effect.fork(Effect.never.pipe(Tracking.withTracker(tracker)))
          yield* Effect.yieldNow()
          const us = timePerUse(makeClose)
          yield* Effect.interruptWith(elsewhere.id()).pipe(Effect.ignore, Effect.fork)
          return us
        }).pipe(Effect.scoped)
      )
  },
  NONE,
  ["setting", "µs", "× none"]
)
budget.push({
  target: "a tracker installed on another fiber costs < 3% (with none anywhere: one comparison)",
  limit: 1.03,
  measured: hook.get("a tracker installed on another fiber (reads a fiber ref)")! / hook.get(NONE)!
})

// 7. ---------------------------------------------------------------------------------------
section("7. the interruption explorer: every point explored, run or covered by equivalence")
const quick = process.env["SCOPEGUARD_BENCH_QUICK"] === "1"
/** Plain Effect code between steps: interruptible user code, nothing for a reduction. */
const gets = (steps: number) => {
  // About two steps per get.
  const uses = Math.round(steps / 2)
  return {
    label: `${uses} Resource.get`,
    program: Effect.scoped(
      Effect.gen(function* () {
        const r = yield* Resource.make(Effect.succeed(1), release)
        for (let i = 0; i < uses; i++) yield* Resource.get(r)
        yield* Resource.close(r)
      })
    ),
    check: undefined
  }
}
/** scopeguard code: a debit and the arming of its refund in one step, then the credit. */
const transfers = (steps: number) => {
  const n = Math.max(1, Math.round(steps / 112))
  const accounts = { from: 0, to: 0 }
  const transfer = Effect.scoped(
    Effect.gen(function* () {
      const refund = yield* Guard.step(
        Effect.sync(() => void (accounts.from -= 10)),
        () => Effect.sync(() => void (accounts.from += 10))
      )
      yield* Guard.commit(refund, () =>
        Effect.zipRight(
          Effect.sync(() => void (accounts.to += 10)),
          Effect.yieldNow()
        )
      )
    })
  )
  return {
    label: `${n} transfers (Guard.step, Guard.commit)`,
    program: Effect.gen(function* () {
      accounts.from = 10 * n
      accounts.to = 0
      for (let i = 0; i < n; i++) yield* transfer
    }),
    check: () => (accounts.from + accounts.to === 10 * n ? Effect.void : Effect.fail("money lost"))
  }
}
/** scopeguard code: resources made, used and closed one after the other. */
const resources = (steps: number) => {
  const n = Math.max(1, Math.round(steps / 51))
  return {
    label: `${n} Resource.make, use, close`,
    program: Effect.scoped(
      Effect.gen(function* () {
        for (let i = 0; i < n; i++) {
          const r = yield* Resource.make(Effect.succeed(i), release)
          yield* Resource.use(r, () => Effect.void)
          yield* Resource.close(r)
        }
      })
    ),
    check: undefined
  }
}
type Case = ReturnType<typeof gets> | ReturnType<typeof transfers>
const explored = async (
  c: Case,
  options: Interruption.Options = {}
): Promise<{ report: Interruption.Report; seconds: number }> => {
  const started = performance.now()
  const report = await Effect.runPromise(
    Interruption.explore(c.program, {
      // Interrupt mode, the root as target: every step (the defaults add budget passes).
      mode: "interrupt",
      progress: false,
      ...(c.check === undefined ? {} : { check: c.check }),
      ...options
    })
  )
  return { report, seconds: (performance.now() - started) / 1000 }
}
console.log(
  "| program | steps | points | runs | covered: deferred / continuation / idle | hangs (stuck) | seconds | steps/s |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)
const row = (label: string, { report, seconds }: Awaited<ReturnType<typeof explored>>) => {
  const r = report.reduced
  const covered =
    r === undefined ? "—" : `${r.points}: ${r.deferred} / ${r.continuation} / ${r.idle}`
  const hangs = report.hangs.stuck + report.hangs.timedOut
  const points = report.sampled?.runs ?? report.steps
  console.log(
    `| ${label} | ${report.steps} | ${points + 1} | ${report.runs} | ${covered} | ${hangs} (${report.hangs.stuck}) | ${seconds.toFixed(1)} | ${(report.steps / seconds).toFixed(0)} |`
  )
  return seconds
}
const full20k: Array<{ label: string; seconds: number }> = []
for (const size of quick ? [500, 5_000] : [500, 5_000, 20_000]) {
  const c = gets(size)
  const seconds = row(c.label, await explored(c))
  if (size === 20_000) full20k.push({ label: "Resource.get, plain Effect code", seconds })
}
// The reductions side by side: the same 5,000-step program, reduced and every point run.
{
  const c = transfers(5_000)
  const reduced = row(c.label, await explored(c))
  const all = row(`${c.label}, reduce: false`, await explored(c, { reduce: false }))
  budget.push({
    target:
      "the reductions on scopeguard code: time reduced / time with reduce: false (5,000 steps)",
    limit: 0.5,
    measured: reduced / all
  })
}
if (!quick) {
  for (const c of [transfers(20_000), resources(20_000)]) {
    full20k.push({ label: c.label, seconds: row(c.label, await explored(c)) })
  }
  const c = gets(20_000)
  const sampled = row(
    `${c.label}, sample of 5,000 (seed 1)`,
    await explored(c, { sample: { runs: 5_000, seed: 1 } })
  )
  // Budget mode explores only the turn ends the runtime makes: with large budgets, few.
  const budgeted = row(
    `${c.label}, budget mode, budgets 64 and 2048`,
    await explored(c, { mode: "budget", budgets: [64, 2048] })
  )
  for (const { label, seconds } of full20k) {
    budget.push({
      target: `a 20,000-step program explored in full in < 15 s (seconds): ${label}`,
      limit: 15,
      measured: seconds
    })
  }
  budget.push({
    target: "the same, fewer points: a seeded sample or budget mode (seconds)",
    limit: 15,
    measured: Math.min(sampled, budgeted)
  })
}

// Under it.effect every run gets fresh test services (its own TestClock): the same
// exploration with the test services provided, against Effect.runPromise, rounds interleaved.
section("7b. the explorer under test services (as in it.effect) against Effect.runPromise")
{
  const c = transfers(500)
  const options = { check: c.check, progress: false } as const
  const plain = (reduce: boolean) => () =>
    Effect.runPromise(Interruption.explore(c.program, { ...options, reduce }))
  const underTest = (reduce: boolean) => () =>
    Effect.runPromise(
      Effect.provide(
        Interruption.explore(c.program, { ...options, reduce }),
        TestContext.TestContext
      )
    )
  const cases = {
    "Effect.runPromise": plain(true),
    "under test services (fresh TestClock per run)": underTest(true),
    "Effect.runPromise, reduce: false": plain(false),
    "under test services, reduce: false": underTest(false)
  }
  const samples = new Map<string, Array<number>>()
  let steps = 0
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(cases)) {
      gc()
      const started = performance.now()
      steps = (await run()).steps
      samples.set(name, [...(samples.get(name) ?? []), performance.now() - started])
    }
  }
  const ms = new Map(Array.from(samples, ([name, list]) => [name, median(list)] as const))
  console.log(`${c.label}: ${steps} steps, median of ${rounds} interleaved rounds\n`)
  console.log("| exploration | ms | × Effect.runPromise |\n| --- | ---: | ---: |")
  const base = (name: string) =>
    ms.get(
      name.endsWith("reduce: false") ? "Effect.runPromise, reduce: false" : "Effect.runPromise"
    )!
  for (const [name, m] of ms) {
    console.log(`| ${name} | ${m.toFixed(0)} | ${(m / base(name)).toFixed(2)} |`)
  }
  budget.push(
    {
      target: "under it.effect (fresh test services per run) ≤ 2× Effect.runPromise (~500 steps)",
      limit: 2,
      measured:
        ms.get("under test services (fresh TestClock per run)")! / ms.get("Effect.runPromise")!
    },
    {
      target: "the same, every point run (reduce: false)",
      limit: 2,
      measured:
        ms.get("under test services, reduce: false")! / ms.get("Effect.runPromise, reduce: false")!
    }
  )
}

// -------------------------------------------------------------------------------------------
section("Budget (ratios from this run)")
console.log("| target | measured | met |\n| --- | ---: | :---: |")
for (const { target, limit, measured } of budget) {
  console.log(`| ${target} | ${measured.toFixed(2)} | ${measured <= limit ? "yes" : "no"} |`)
}
