/**
 * npm run bench — every number below is measured in this one run, side by side, and the
 * ratios compare numbers from the same run (the machines are shared and noisy: compare
 * ratios, not absolute times, between runs).
 *
 * 1. cost per use in a long-lived scope: Resource / Guard against the alternatives;
 * 2. memory kept per use in a long-lived scope: the "committed flag" against Guard.disarm;
 * 3. the Tracking hook when no probe is installed;
 * 4. the interruption explorer on a 500-step program (target: under 2 s).
 */
import { Effect, Exit, ExecutionStrategy, Scope } from "effect"
import { Guard, Resource, Tracking } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"

const rounds = 7
const n = 20_000

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Runs `n` uses inside one long-lived scope; returns µs per use. */
const timePerUse = (use: Effect.Effect<unknown, never, Scope.Scope>, n: number): number => {
  const program = Effect.gen(function* () {
    const scope = yield* Scope.make()
    const body = Scope.extend(use, scope)
    const start = performance.now()
    for (let i = 0; i < n; i++) yield* body
    const elapsed = performance.now() - start
    yield* Scope.close(scope, Exit.void)
    return (elapsed * 1000) / n
  })
  return Effect.runSync(program)
}

const noop = Effect.void
const release = () => noop

const uses: Record<string, Effect.Effect<unknown, never, Scope.Scope>> = {
  "Scope.fork + addFinalizer + close (the floor)": Effect.flatMap(Effect.scope, (scope) =>
    Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (child) =>
      Effect.zipRight(Scope.addFinalizer(child, noop), Scope.close(child, Exit.void))
    )
  ),
  "Resource.make + Resource.close": Effect.flatMap(Resource.make(noop, release), Resource.close),
  "Guard.make + Guard.disarm": Effect.flatMap(Guard.make(noop), Guard.disarm),
  "acquireRelease through Scope.extend(child) + close": Effect.flatMap(Effect.scope, (scope) =>
    Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (child) =>
      Effect.zipRight(
        Scope.extend(Effect.acquireRelease(noop, release), child),
        Scope.close(child, Exit.void)
      )
    )
  ),
  "acquireRelease + committed flag (never removed)": Effect.flatMap(
    Effect.sync(() => ({ committed: false })),
    (flag) =>
      Effect.zipRight(
        Effect.addFinalizer(() => (flag.committed ? noop : noop)),
        Effect.sync(() => {
          flag.committed = true
        })
      )
  )
}

const section = (title: string) => console.log(`\n## ${title}\n`)

/**
 * Runs every measurement once per round, interleaved (so that a noisy moment hits them all),
 * and prints the medians with their ratio to the `baseline` row.
 */
const compare = (
  measures: Record<string, () => number>,
  baseline: string,
  columns: readonly [string, string, string]
) => {
  const samples = new Map<string, Array<number>>()
  for (let round = 0; round < rounds; round++) {
    for (const [name, measure] of Object.entries(measures)) {
      gc()
      samples.set(name, [...(samples.get(name) ?? []), measure()])
    }
  }
  const base = median(samples.get(baseline)!)
  console.log(`| ${columns.join(" | ")} |\n| --- | ---: | ---: |`)
  for (const [name, list] of samples) {
    const m = median(list)
    console.log(`| ${name} | ${m.toFixed(2)} | ${(m / base).toFixed(2)} |`)
  }
}

// 1. -------------------------------------------------------------------------------------
section("1. µs per use in a long-lived scope (median of 7 interleaved rounds of 20,000)")
for (const use of Object.values(uses)) timePerUse(use, 2_000) // warm up
compare(
  Object.fromEntries(Object.entries(uses).map(([name, use]) => [name, () => timePerUse(use, n)])),
  "Scope.fork + addFinalizer + close (the floor)",
  ["use", "µs", "× floor"]
)

// 2. -------------------------------------------------------------------------------------
section("2. bytes kept per use by a long-lived scope after 100,000 uses (heap after gc)")
const retained = (use: Effect.Effect<unknown, never, Scope.Scope>): number => {
  const count = 100_000
  return Effect.runSync(
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      gc()
      const before = process.memoryUsage().heapUsed
      const body = Scope.extend(use, scope)
      for (let i = 0; i < count; i++) yield* body
      gc()
      const after = process.memoryUsage().heapUsed
      yield* Scope.close(scope, Exit.void)
      return (after - before) / count
    })
  )
}
console.log("| use | bytes per use |\n| --- | ---: |")
for (const name of [
  "acquireRelease + committed flag (never removed)",
  "Guard.make + Guard.disarm",
  "Resource.make + Resource.close"
]) {
  console.log(`| ${name} | ${Math.max(0, retained(uses[name]!)).toFixed(0)} |`)
}

// 3. -------------------------------------------------------------------------------------
section("3. the Tracking hook (median µs per Resource.make + close, 7 interleaved rounds)")
const makeClose = uses["Resource.make + Resource.close"]!
const tracker: Tracking.Tracker = { opened: () => {}, settled: () => {} }
const hook: Record<string, () => number> = {
  "no tracker installed anywhere (the hook is one comparison)": () => timePerUse(makeClose, n),
  "a tracker installed on another fiber (the hook reads a fiber ref)": () =>
    Effect.runSync(
      Effect.gen(function* () {
        const elsewhere = yield* Effect.fork(Effect.never.pipe(Tracking.withTracker(tracker)))
        yield* Effect.yieldNow()
        const us = timePerUse(makeClose, n)
        yield* Effect.interruptWith(elsewhere.id()).pipe(Effect.ignore, Effect.fork)
        return us
      }).pipe(Effect.scoped)
    ),
  "a tracker installed on this fiber": () =>
    Effect.runSync(Effect.sync(() => timePerUse(makeClose, n)).pipe(Tracking.withTracker(tracker)))
}
compare(hook, "no tracker installed anywhere (the hook is one comparison)", [
  "setting",
  "µs",
  "× none"
])

// 4. -------------------------------------------------------------------------------------
section("4. exploring every step of a 500-step program")
const program = Effect.scoped(
  Effect.gen(function* () {
    const r = yield* Resource.make(Effect.succeed(1), release)
    for (let i = 0; i < 100; i++) yield* Resource.use(r, (x) => Effect.succeed(x + 1))
    yield* Resource.close(r)
  })
)
const started = performance.now()
const report = await Effect.runPromise(Interruption.explore(program))
const seconds = (performance.now() - started) / 1000
console.log(
  `${report.steps} steps, ${report.runs} runs, ${report.failures.length} failures: ${seconds.toFixed(2)} s (target: under 2 s for 500 steps)`
)
