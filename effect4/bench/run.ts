/**
 * The Effect 4 section of `npm run bench` (`npm run bench` in `effect4/` runs it alone). Both
 * editions, built, side by side in this one Node 22 process: the Effect 4 edition
 * (`effect4/packages/*\/dist`, which load effect 4 from `effect4/node_modules`) and the Effect 3
 * edition (`packages/*\/dist`, which load effect 3 from the root `node_modules`). Every number
 * is measured in this run and every ratio compares numbers of this run: the machines are shared
 * and noisy, so compare ratios, not absolute times, between runs.
 *
 * The method is the Effect 3 bench's (`bench/run.ts`): uses run inside one long-lived scope
 * provided once, as in a server; the cases (of both editions) are interleaved round by round,
 * with a gc before each, and the median is kept.
 *
 *   1. µs per use in a long-lived scope, against each edition's floor: `Scope.fork` +
 *      `addFinalizer` + close, and the same with registering and removing each in one
 *      uninterruptible region (the floor a removable cleanup that is safe against interruption
 *      can reach, and the one the targets are measured against);
 *   2. closing a long-lived scope that holds 100,000 live cleanups, per cleanup;
 *   (1 and 2 also with cleanups that are not constants, `Effect.sync(…)`: `Effect.void` is an
 *   `Exit`, which Effect and scopeguard both record without running anything;)
 *   3. heap kept by a long-lived scope after 100,000 and 1,000,000 disarmed guards (flat), and
 *      per use by the "committed flag" pattern against Guard.disarm and Resource.close;
 *   4. 1,000,000 live guards made, then their scope closed;
 *   5. the explorer's exhaustive mode on two small races (a Ref read-then-write, flags that
 *      need two preemptions): schedules run with and without its reduction, and the seconds;
 *   6. the explorer's interrupt mode over every point of programs of 5,000 and 20,000 points
 *      (plain Effect code, scopeguard transfers and resources): runs, points covered by the
 *      reductions, seconds; the same 5,000-point program with `reduce: false` beside it.
 *
 * It ends with the Effect 4 budget: each target of issue 17, the measured ratio, met or not,
 * and the same ratios with `Effect.sync(…)` cleanups (marked: not targets).
 */
import { Effect, Exit, Fiber, Ref, Scope } from "effect"
import { Guard, Resource } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join, relative } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
// Types only: at run time both are loaded from where the Effect 3 edition resolves them.
import type * as Effect3 from "../../node_modules/effect/dist/dts/index.js"
import type * as Core3 from "../../packages/core/dist/index.js"

// ---------------------------------------------------------------------------------------------
// Loading both editions: each one's `effect` is the one its own folder resolves.

const repo = fileURLToPath(new URL("../..", import.meta.url))

/** The package `name` as Node finds it from the file `from`: its folder, version, ESM entry. */
const packageFrom = (from: string, name: string) => {
  const manifest = createRequire(from).resolve(`${name}/package.json`)
  const json = JSON.parse(readFileSync(manifest, "utf8")) as {
    version: string
    exports: Record<string, string | Record<string, string>>
  }
  const dot = json.exports["."]!
  const entry = typeof dot === "string" ? dot : (dot["import"] ?? dot["default"]!)
  return { dir: dirname(manifest), version: json.version, entry: join(dirname(manifest), entry) }
}

const core4 = packageFrom(fileURLToPath(import.meta.url), "@scopeguard/core")
const core3 = packageFrom(join(repo, "package.json"), "@scopeguard/core")
const effect4 = packageFrom(core4.entry, "effect")
const effect3 = packageFrom(core3.entry, "effect")
const expected = {
  node: process.version.startsWith("v22."),
  core4: core4.dir === join(repo, "effect4/packages/core"),
  core3: core3.dir === join(repo, "packages/core"),
  effect4:
    effect4.dir === join(repo, "effect4/node_modules/effect") && /^4\./.test(effect4.version),
  effect3: effect3.dir === join(repo, "node_modules/effect") && /^3\./.test(effect3.version),
  // The modules this file uses are the ones the editions use.
  sameEffect4: packageFrom(fileURLToPath(import.meta.url), "effect").dir === effect4.dir,
  builtCore4: core4.entry === join(core4.dir, "dist/index.js")
}
const show = (path: string) => relative(repo, path)
console.log(
  `\n# The Effect 4 edition, side by side with the Effect 3 edition (${process.version})\n`
)
console.log(
  `- Effect 4 edition: ${show(core4.entry)}, effect ${effect4.version} from ${show(effect4.dir)}`
)
console.log(
  `- Effect 3 edition: ${show(core3.entry)}, effect ${effect3.version} from ${show(effect3.dir)}`
)
const wrong = Object.entries(expected).filter(([, ok]) => !ok)
if (wrong.length > 0) throw new Error(`unexpected resolution: ${wrong.map(([k]) => k).join(", ")}`)

const E3 = (await import(pathToFileURL(effect3.entry).href)) as typeof Effect3
const S3 = (await import(pathToFileURL(core3.entry).href)) as typeof Core3

// ---------------------------------------------------------------------------------------------
// Method

/** `SCOPEGUARD_BENCH_QUICK=1`: fewer rounds, no 1,000,000-guard run (as the Effect 3 bench). */
const quick = process.env["SCOPEGUARD_BENCH_QUICK"] === "1"
const rounds = quick ? 5 : 9
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
if ((globalThis as { gc?: unknown }).gc === undefined) throw new Error("run with --expose-gc")
const median = (xs: ReadonlyArray<number>) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
let sectionStarted = performance.now()
const section = (title: string) => {
  const now = performance.now()
  console.log(`\n(${((now - sectionStarted) / 1000).toFixed(0)} s)\n\n## ${title}\n`)
  sectionStarted = now
}
const budget: Array<{
  target: string
  limit: number
  measured: number
  /** Not one of the issue's targets: the same ratio with cleanups that are not constants. */
  info?: true
}> = []

/**
 * Runs every measure once per round, interleaved, a gc before each; the medians. A measure
 * with a `rounds` of its own takes part in that many of the first rounds only.
 */
const sample = (
  measures: Record<string, { readonly run: () => number; readonly rounds: number }>
): Map<string, number> => {
  const samples = new Map<string, Array<number>>()
  const most = Math.max(...Object.values(measures).map((m) => m.rounds))
  for (let round = 0; round < most; round++) {
    for (const [name, measure] of Object.entries(measures)) {
      if (round >= measure.rounds) continue
      gc()
      samples.set(name, [...(samples.get(name) ?? []), measure.run()])
    }
  }
  return new Map(Array.from(samples, ([name, list]) => [name, median(list)] as const))
}

/** A markdown table; numbers with two decimals. */
const table = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string | number>>
) => {
  console.log(`| ${header.join(" | ")} |\n| --- |${" ---: |".repeat(header.length - 1)}`)
  for (const row of rows) {
    console.log(`| ${row.map((c) => (typeof c === "number" ? c.toFixed(2) : c)).join(" | ")} |`)
  }
}

/** One edition's measures, written once per API (the names are the same, the types are not). */
interface Edition {
  /** µs per use: `count` uses in a loop inside one long-lived scope, provided once. */
  readonly perUse: Record<string, (count: number) => number>
  /** µs per cleanup: close a scope that holds 100,000 live ones. */
  readonly closing: Partial<Record<string, () => number>>
  /**
   * Bytes the heap grew by while `count` uses ran in one long-lived scope (after gc). Run by
   * `runPromise`: inside one long `runSync`, Effect 4 leaves a cancelled microtask pending per
   * scheduler yield (every 2,048 operations) until the call returns, about 0.8 bytes per use
   * here, which a heap measured inside the call would count.
   */
  readonly heap: Record<string, (count: number) => Promise<number>>
}

const FLOOR = "floor: Scope.fork + addFinalizer + close the child"
const BOUND = "floor, uninterruptible: register and remove each in one uninterruptible region"
const ACQUIRE_CHILD = "Effect.acquireRelease in a child scope + close it"
const GUARD = "Guard.make + Guard.disarm"
const RESOURCE = "Resource.make + Resource.close"
const STEP = "Guard.step + Guard.commit"
const ADD = "Scope.addFinalizer"
const ACQUIRE = "Effect.acquireRelease"
const GUARD_LIVE = "Guard.make"
const RESOURCE_LIVE = "Resource.make"
const CHILDREN = "child scopes: Scope.fork + addFinalizer (Effect 4 only)"
const FLAG = "acquireRelease + committed flag (never removed)"
// The same with a cleanup that is not a constant: `Effect.void` is an `Exit`, which Effect (for
// acquireRelease and addFinalizer) and scopeguard both record without running anything; a real
// cleanup is an Effect that runs.
const BOUND_SYNC = "floor, uninterruptible, finalizer Effect.sync(…)"
const RESOURCE_SYNC = "Resource.make + Resource.close, release Effect.sync(…)"
const ACQUIRE_SYNC = "Effect.acquireRelease, release Effect.sync(…)"
const GUARD_LIVE_SYNC = "Guard.make, cleanup Effect.sync(…)"

// ---------------------------------------------------------------------------------------------
// The Effect 4 edition

const edition4 = ((): Edition => {
  const noop = Effect.void
  const release = () => noop
  // A cleanup that is not a constant: it runs (and does nothing).
  const work = Effect.sync(() => undefined)
  const inScope =
    (use: Effect.Effect<unknown, never, Scope.Scope>) =>
    (count: number): number =>
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
  const heap =
    (use: Effect.Effect<unknown, never, Scope.Scope>) =>
    (count: number): Promise<number> =>
      Effect.runPromise(
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
  const guard = Effect.flatMap(Guard.make(noop), Guard.disarm)
  const resource = Effect.flatMap(Resource.make(noop, release), Resource.close)
  return {
    perUse: {
      [FLOOR]: inScope(
        Effect.flatMap(Effect.scope, (scope) =>
          Effect.flatMap(Scope.fork(scope, "sequential"), (child) =>
            Effect.andThen(Scope.addFinalizer(child, noop), Scope.close(child, Exit.void))
          )
        )
      ),
      [BOUND]: inScope(
        Effect.flatMap(
          Effect.uninterruptible(
            Effect.flatMap(Effect.scope, (scope) =>
              Effect.tap(Scope.fork(scope, "sequential"), (child) =>
                Scope.addFinalizer(child, noop)
              )
            )
          ),
          (child) => Effect.uninterruptible(Scope.close(child, Exit.void))
        )
      ),
      [ACQUIRE_CHILD]: inScope(
        Effect.flatMap(Effect.scope, (scope) =>
          Effect.flatMap(Scope.fork(scope, "sequential"), (child) =>
            Effect.andThen(
              Scope.provide(Effect.acquireRelease(noop, release), child),
              Scope.close(child, Exit.void)
            )
          )
        )
      ),
      [GUARD]: inScope(guard),
      [RESOURCE]: inScope(resource),
      [STEP]: inScope(
        Effect.flatMap(Guard.step(noop, release), (g) => Effect.orDie(Guard.commit(g, noop)))
      ),
      [BOUND_SYNC]: inScope(
        Effect.flatMap(
          Effect.uninterruptible(
            Effect.flatMap(Effect.scope, (scope) =>
              Effect.tap(Scope.fork(scope, "sequential"), (child) =>
                Scope.addFinalizer(child, work)
              )
            )
          ),
          (child) => Effect.uninterruptible(Scope.close(child, Exit.void))
        )
      ),
      [RESOURCE_SYNC]: inScope(
        Effect.flatMap(
          Resource.make(noop, () => work),
          Resource.close
        )
      )
    },
    closing: {
      [ADD]: closing(Effect.addFinalizer(() => noop)),
      [ACQUIRE]: closing(Effect.acquireRelease(noop, release)),
      [ACQUIRE_SYNC]: closing(Effect.acquireRelease(noop, () => work)),
      [CHILDREN]: closing(
        Effect.flatMap(Effect.scope, (scope) =>
          Effect.flatMap(Scope.fork(scope, "sequential"), (child) =>
            Scope.addFinalizer(child, noop)
          )
        )
      ),
      [GUARD_LIVE]: closing(Guard.make(noop)),
      [GUARD_LIVE_SYNC]: closing(Guard.make(work)),
      [RESOURCE_LIVE]: closing(Resource.make(noop, release))
    },
    heap: {
      [FLAG]: heap(
        Effect.flatMap(
          Effect.sync(() => ({ committed: false })),
          (flag) =>
            Effect.andThen(
              Effect.addFinalizer(() => noop),
              Effect.sync(() => {
                flag.committed = true
              })
            )
        )
      ),
      [GUARD]: heap(guard),
      [RESOURCE]: heap(resource)
    }
  }
})()

// ---------------------------------------------------------------------------------------------
// The Effect 3 edition: the same measures on Effect 3's API (`bench/run.ts`'s)

const edition3 = ((): Edition => {
  const { Effect, ExecutionStrategy, Exit, Scope } = E3
  const { Guard, Resource } = S3
  type Use = Effect3.Effect.Effect<unknown, never, Effect3.Scope.Scope>
  const noop = Effect.void
  const release = () => noop
  // A cleanup that is not a constant: it runs (and does nothing).
  const work = Effect.sync(() => undefined)
  const inScope =
    (use: Use) =>
    (count: number): number =>
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
  const closing = (register: Use) => (): number =>
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
  const heap =
    (use: Use) =>
    (count: number): Promise<number> =>
      Effect.runPromise(
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
  const guard = Effect.flatMap(Guard.make(noop), Guard.disarm)
  const resource = Effect.flatMap(Resource.make(noop, release), Resource.close)
  return {
    perUse: {
      [FLOOR]: inScope(
        Effect.flatMap(Effect.scope, (scope) =>
          Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (child) =>
            Effect.zipRight(Scope.addFinalizer(child, noop), Scope.close(child, Exit.void))
          )
        )
      ),
      [BOUND]: inScope(
        Effect.flatMap(
          Effect.uninterruptible(
            Effect.flatMap(Effect.scope, (scope) =>
              Effect.tap(Scope.fork(scope, ExecutionStrategy.sequential), (child) =>
                Scope.addFinalizer(child, noop)
              )
            )
          ),
          (child) => Effect.uninterruptible(Scope.close(child, Exit.void))
        )
      ),
      [ACQUIRE_CHILD]: inScope(
        Effect.flatMap(Effect.scope, (scope) =>
          Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (child) =>
            Effect.zipRight(
              Scope.extend(Effect.acquireRelease(noop, release), child),
              Scope.close(child, Exit.void)
            )
          )
        )
      ),
      [GUARD]: inScope(guard),
      [RESOURCE]: inScope(resource),
      [STEP]: inScope(
        Effect.flatMap(Guard.step(noop, release), (g) => Effect.orDie(Guard.commit(g, noop)))
      ),
      [BOUND_SYNC]: inScope(
        Effect.flatMap(
          Effect.uninterruptible(
            Effect.flatMap(Effect.scope, (scope) =>
              Effect.tap(Scope.fork(scope, ExecutionStrategy.sequential), (child) =>
                Scope.addFinalizer(child, work)
              )
            )
          ),
          (child) => Effect.uninterruptible(Scope.close(child, Exit.void))
        )
      ),
      [RESOURCE_SYNC]: inScope(
        Effect.flatMap(
          Resource.make(noop, () => work),
          Resource.close
        )
      )
    },
    closing: {
      [ADD]: closing(Effect.addFinalizer(() => noop)),
      [ACQUIRE]: closing(Effect.acquireRelease(noop, release)),
      [ACQUIRE_SYNC]: closing(Effect.acquireRelease(noop, () => work)),
      [GUARD_LIVE]: closing(Guard.make(noop)),
      [GUARD_LIVE_SYNC]: closing(Guard.make(work)),
      [RESOURCE_LIVE]: closing(Resource.make(noop, release))
    },
    heap: {
      [FLAG]: heap(
        Effect.flatMap(
          Effect.sync(() => ({ committed: false })),
          (flag) =>
            Effect.zipRight(
              Effect.addFinalizer(() => noop),
              Effect.sync(() => {
                flag.committed = true
              })
            )
        )
      ),
      [GUARD]: heap(guard),
      [RESOURCE]: heap(resource)
    }
  }
})()

/**
 * Both editions' measures of one kind, interleaved in one sampling. A name only the Effect 4
 * edition has is measured on it alone (`undefined` for Effect 3).
 */
const both = <A>(
  of: (edition: Edition) => Partial<Record<string, A>>,
  measure: (a: A, edition: 3 | 4) => () => number,
  count: { readonly 3: number; readonly 4: number } = { 3: rounds, 4: rounds }
) => {
  const measures: Record<string, { run: () => number; rounds: number }> = {}
  for (const name of Object.keys(of(edition4))) {
    const three = of(edition3)[name]
    if (three !== undefined) measures[`3 ${name}`] = { run: measure(three, 3), rounds: count[3] }
    measures[`4 ${name}`] = { run: measure(of(edition4)[name]!, 4), rounds: count[4] }
  }
  const medians = sample(measures)
  return {
    names: Object.keys(of(edition4)),
    get: (edition: 3 | 4, name: string) => medians.get(`${edition} ${name}`)!,
    get3: (name: string): number | undefined => medians.get(`3 ${name}`)
  }
}
const speedUp = (three: number | undefined, four: number) =>
  three === undefined ? "—" : `${(three / four).toFixed(1)}×`
const maybe = (x: number | undefined) => (x === undefined ? "—" : x)

// 1. ------------------------------------------------------------------------------------------
const n3 = 10_000
const n4 = 50_000
section(
  `1. µs per use in a long-lived scope (median of ${rounds} interleaved rounds; ${n3.toLocaleString("en")} uses per sample on Effect 3, ${n4.toLocaleString("en")} on Effect 4)`
)
for (const e of [edition3, edition4]) for (const use of Object.values(e.perUse)) use(3_000) // warm up
const perUse = both(
  (e) => e.perUse,
  (use, edition) => () => use(edition === 3 ? n3 : n4)
)
table(
  [
    "use",
    "Effect 3 µs",
    "× floor",
    "× unint. floor",
    "Effect 4 µs",
    "× floor",
    "× unint. floor",
    "Effect 3 → 4 speed-up"
  ],
  perUse.names.map((name) => [
    name,
    perUse.get(3, name),
    perUse.get(3, name) / perUse.get(3, FLOOR),
    perUse.get(3, name) / perUse.get(3, BOUND),
    perUse.get(4, name),
    perUse.get(4, name) / perUse.get(4, FLOOR),
    perUse.get(4, name) / perUse.get(4, BOUND),
    speedUp(perUse.get(3, name), perUse.get(4, name))
  ])
)
console.log(
  "\n(× unint. floor: against the floor with registering and removing each uninterruptible, which the targets use)"
)
budget.push(
  {
    target:
      "Guard make+disarm ≤ 1.15× the floor (fork + addFinalizer + close, each half uninterruptible)",
    limit: 1.15,
    measured: perUse.get(4, GUARD) / perUse.get(4, BOUND)
  },
  {
    target:
      "Resource make+close ≤ 1.3× the floor (fork + addFinalizer + close, each half uninterruptible)",
    limit: 1.3,
    measured: perUse.get(4, RESOURCE) / perUse.get(4, BOUND)
  },
  {
    target:
      "(info) the same with a release Effect.sync(…), against the floor with a finalizer Effect.sync(…)",
    limit: 1.3,
    measured: perUse.get(4, RESOURCE_SYNC) / perUse.get(4, BOUND_SYNC),
    info: true
  }
)

// 2. ------------------------------------------------------------------------------------------
const closingRounds = { 3: quick ? 1 : 3, 4: quick ? 3 : 7 }
section(
  `2. closing a scope that holds 100,000 live cleanups, µs per cleanup (median of ${closingRounds[4]} interleaved rounds on Effect 4, the first ${closingRounds[3]} of them on Effect 3 too)`
)
const closeCosts = both(
  (e) => e.closing,
  (close) => close,
  closingRounds
)
table(
  [
    "cleanup",
    "Effect 3 µs",
    "× acquireRelease",
    "Effect 4 µs",
    "× acquireRelease",
    "× child scopes",
    "Effect 3 → 4 speed-up"
  ],
  closeCosts.names.map((name) => {
    const three = closeCosts.get3(name)
    // Against acquireRelease with the same kind of cleanup (a constant, or Effect.sync).
    const against = name.endsWith("Effect.sync(…)") ? ACQUIRE_SYNC : ACQUIRE
    const acquire3 = closeCosts.get(3, against)
    return [
      name,
      maybe(three),
      three === undefined ? "—" : three / acquire3,
      closeCosts.get(4, name),
      closeCosts.get(4, name) / closeCosts.get(4, against),
      closeCosts.get(4, name) / closeCosts.get(4, CHILDREN),
      speedUp(three, closeCosts.get(4, name))
    ]
  })
)
console.log(
  "\n(child scopes: each cleanup registered on a child scope of its own, as a removable one must be on Effect 4's public API, and the child left open: what closing live guards cost when each had an entry of its own. × acquireRelease: against acquireRelease with the same kind of cleanup — Effect.void is an Exit, which Effect and scopeguard record without running it; Effect.sync(…) runs)"
)
budget.push(
  {
    target: "closing 100,000 live guards ≤ 1.0× acquireRelease's close",
    limit: 1.0,
    measured: closeCosts.get(4, GUARD_LIVE) / closeCosts.get(4, ACQUIRE)
  },
  {
    target: "(info) the same with cleanups Effect.sync(…) on both sides",
    limit: 1.0,
    measured: closeCosts.get(4, GUARD_LIVE_SYNC) / closeCosts.get(4, ACQUIRE_SYNC),
    info: true
  }
)

// 3. ------------------------------------------------------------------------------------------
section("3. heap kept by a long-lived scope (runPromise)")
{
  // The sections before ran in `runSync` and left microtasks pending (see `Edition.heap`):
  // let them run before each measure, or the garbage they hold is counted as freed.
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve))
  await settle()
  const at100k = await edition4.heap[GUARD]!(100_000)
  await settle()
  const at1m = await edition4.heap[GUARD]!(1_000_000)
  console.log(
    `Effect 4, Guard.make + Guard.disarm: heap growth ${(at100k / 1024).toFixed(0)} KiB after 100,000, ${(at1m / 1024).toFixed(0)} KiB after 1,000,000\n`
  )
  budget.push({
    target: "heap flat after 1,000,000 disarms: growth < 1 MB (measured in MB)",
    limit: 1,
    measured: Math.max(at100k, at1m) / 1_000_000
  })
  const perUseKept = async (heap: (count: number) => Promise<number>) => {
    await settle()
    return Math.max(0, (await heap(100_000)) / 100_000).toFixed(0)
  }
  const rows: Array<Array<string>> = []
  for (const name of Object.keys(edition4.heap)) {
    rows.push([
      name,
      await perUseKept(edition3.heap[name]!),
      await perUseKept(edition4.heap[name]!)
    ])
  }
  table(
    [
      "100,000 uses in a long-lived scope",
      "Effect 3 bytes kept per use",
      "Effect 4 bytes kept per use"
    ],
    rows
  )
}

// 4. ------------------------------------------------------------------------------------------
if (!quick) {
  section("4. Effect 4: 1,000,000 live guards made, then their scope closed")
  const result = Effect.runSync(
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const started = performance.now()
      yield* Effect.provideService(
        Effect.gen(function* () {
          for (let i = 0; i < 1_000_000; i++) yield* Guard.make(Effect.void)
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

// 5. ------------------------------------------------------------------------------------------
section("5. Effect 4 explorer: exhaustive mode (every schedule within the preemption bound)")
{
  /** Two fibers bump a Ref by a read then a write: one preemption loses an update. */
  const refRace = () => {
    const state = { value: 0 }
    const program = () =>
      Effect.gen(function* () {
        state.value = 0
        const ref = yield* Ref.make(0)
        const bump = Effect.flatMap(Ref.get(ref), (read) => Ref.set(ref, read + 1))
        const a = yield* Effect.forkChild(bump)
        const b = yield* Effect.forkChild(bump)
        yield* Fiber.join(a)
        yield* Fiber.join(b)
        state.value = yield* Ref.get(ref)
      })
    const check = () =>
      Effect.suspend(() => (state.value === 2 ? Effect.void : Effect.fail("lost an update")))
    return { program, check }
  }
  /** Each fiber raises its flag, reads the other's, lowers its own: both see a raised flag
   * only with two preemptions. */
  const flags = () => {
    const state = { a: 0, b: 0, seenA: 0, seenB: 0 }
    const fiber = (mine: "a" | "b", theirs: "a" | "b", seen: "seenA" | "seenB") =>
      Effect.gen(function* () {
        yield* Effect.sync(() => void (state[mine] = 1))
        yield* Effect.sync(() => void (state[seen] = state[theirs]))
        yield* Effect.sync(() => void (state[mine] = 0))
      })
    const program = () =>
      Effect.gen(function* () {
        Object.assign(state, { a: 0, b: 0, seenA: 0, seenB: 0 })
        const a = yield* Effect.forkChild(fiber("a", "b", "seenB"))
        const b = yield* Effect.forkChild(fiber("b", "a", "seenA"))
        yield* Fiber.join(a)
        yield* Fiber.join(b)
      })
    const check = () =>
      Effect.suspend(() =>
        state.seenA === 1 && state.seenB === 1 ? Effect.fail("both saw a flag") : Effect.void
      )
    return { program, check }
  }
  const rows: Array<Array<string | number>> = []
  for (const [name, make] of [
    ["Ref read-then-write, 2 fibers", refRace],
    ["flags (needs 2 preemptions), 2 fibers", flags]
  ] as const) {
    for (const preemptions of [1, 2, 3]) {
      for (const reduce of [true, false]) {
        const { program, check } = make()
        const started = performance.now()
        const report = await Effect.runPromise(
          Interruption.explore(program, {
            mode: "exhaustive",
            preemptions,
            reduce,
            check,
            shrink: false,
            progress: false
          })
        )
        rows.push([
          name,
          `${preemptions}`,
          reduce ? "yes" : "no",
          `${report.steps}`,
          `${report.exhaustive?.schedules}`,
          `${report.exhaustive?.reduced}`,
          report.exhaustive?.exhausted === true ? "yes" : "no",
          `${report.failures.length}`,
          (performance.now() - started) / 1000
        ])
      }
    }
  }
  table(
    [
      "program",
      "preemptions",
      "reduce",
      "points",
      "schedules",
      "skipped points",
      "exhausted",
      "failing",
      "s"
    ],
    rows
  )
}

// ---------------------------------------------------------------------------------------------
section(
  "6. Effect 4 explorer: interrupt mode, every point explored (run, or covered by equivalence)"
)
{
  const noRelease = () => Effect.void
  /** Plain Effect code between points: interruptible, little for a reduction (2 a get). */
  const gets = (points: number) => {
    const uses = Math.round(points / 2)
    return {
      label: `${uses} Resource.get`,
      program: Effect.scoped(
        Effect.gen(function* () {
          const r = yield* Resource.make(Effect.succeed(1), noRelease)
          for (let i = 0; i < uses; i++) yield* Resource.get(r)
          yield* Resource.close(r)
        })
      ),
      check: undefined
    }
  }
  /** scopeguard code: a debit and the arming of its refund in one step, then the credit. */
  const transfers = (points: number) => {
    const n = Math.max(1, Math.round(points / 26))
    const accounts = { from: 0, to: 0 }
    const transfer = Effect.scoped(
      Effect.gen(function* () {
        const refund = yield* Guard.step(
          Effect.sync(() => void (accounts.from -= 10)),
          () => Effect.sync(() => void (accounts.from += 10))
        )
        yield* Guard.commit(refund, () =>
          Effect.andThen(
            Effect.sync(() => void (accounts.to += 10)),
            Effect.yieldNow
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
      check: () =>
        Effect.suspend(() =>
          accounts.from + accounts.to === 10 * n ? Effect.void : Effect.fail("money lost")
        )
    }
  }
  /** scopeguard code: resources made, used and closed one after the other (~23 a resource). */
  const resources = (points: number) => {
    const n = Math.max(1, Math.round(points / 23))
    return {
      label: `${n} Resource.make, use, close`,
      program: Effect.scoped(
        Effect.gen(function* () {
          for (let i = 0; i < n; i++) {
            const r = yield* Resource.make(Effect.succeed(i), noRelease)
            yield* Resource.use(r, () => Effect.void)
            yield* Resource.close(r)
          }
        })
      ),
      check: undefined
    }
  }
  type Case = ReturnType<typeof gets> | ReturnType<typeof transfers>
  const rows: Array<Array<string | number>> = []
  const explored = async (c: Case, options: Interruption.Options<never> = {}, note = "") => {
    gc()
    const started = performance.now()
    const report = await Effect.runPromise(
      Interruption.explore(c.program, {
        mode: "interrupt",
        progress: false,
        ...(c.check === undefined ? {} : { check: c.check }),
        ...options
      })
    )
    const seconds = (performance.now() - started) / 1000
    const r = report.reduced
    rows.push([
      `${c.label}${note}`,
      `${report.steps}`,
      `${report.sampled?.runs ?? report.steps}`,
      `${report.runs}`,
      r === undefined ? "—" : `${r.points}: ${r.deferred} / ${r.continuation} / ${r.idle}`,
      `${report.failures.length}`,
      seconds,
      `${Math.round(report.steps / seconds)}`
    ])
    return seconds
  }
  // The reductions side by side: the same 5,000-point program, reduced and every point run.
  {
    const c = transfers(5_000)
    const reduced = await explored(c)
    const all = await explored(c, { reduce: false }, ", reduce: false")
    budget.push({
      target:
        "(info) the reductions on scopeguard code: time reduced / with reduce: false (5,000 points)",
      limit: 1,
      measured: reduced / all,
      info: true
    })
  }
  const full20k: Array<{ label: string; seconds: number }> = []
  for (const make of [gets, transfers, resources]) {
    const c = make(quick ? 5_000 : 20_000)
    const seconds = await explored(c)
    if (!quick) full20k.push({ label: c.label, seconds })
  }
  if (!quick) {
    const c = gets(20_000)
    const sampled = await explored(
      c,
      { sample: { runs: 5_000, seed: 1 } },
      ", sample of 5,000 (seed 1)"
    )
    for (const { label, seconds } of full20k) {
      budget.push({
        target: `20,000 points of one program explored in full in < 10 s (seconds): ${label}`,
        limit: 10,
        measured: seconds
      })
    }
    budget.push({
      target: "the same, fewer points: a seeded sample of 5,000 (seconds)",
      limit: 10,
      measured: sampled
    })
  }
  table(
    [
      "program",
      "points",
      "explored",
      "runs",
      "covered: deferred / continuation / idle",
      "failing",
      "s",
      "points/s"
    ],
    rows
  )
  console.log(
    "\n(every point costs a run of the program up to it: about points² / 2 steps, less the points covered; a run costs what the program costs under Effect.runPromise up to that point)"
  )
}

// ---------------------------------------------------------------------------------------------
section("Effect 4 budget (ratios from this run)")
table(
  ["target", "measured", "met"],
  budget.map(({ target, limit, measured, info }) => [
    target,
    measured,
    `${measured <= limit ? "yes" : "no"}${info ? " (not a target)" : ""}`
  ])
)
