/**
 * `npm run profile -- <scenario>` (in `effect4/`): runs one scenario of the Effect 4 edition's
 * bench under the V8 sampling profiler and prints where its time goes (self time by function,
 * top 30) and how much of it is Effect's own code. It profiles the built packages, as users
 * run them (`npm run profile` builds first), on Node 22.
 *
 * Scenarios: `resource` (300,000 Resource.make + close in one long-lived scope), `guard` (the
 * same for Guard.make + disarm), `floor` (the same for fork + addFinalizer + close, each half
 * uninterruptible), and `close-guards`, `close-resources`, `close-acquire` (closing a scope
 * that holds 100,000 live guards / resources / acquireRelease finalizers, five times; only the
 * closes are profiled); `resource-sync`, `floor-sync`, `close-guards-sync` and
 * `close-acquire-sync` are the same with a cleanup that is not a constant (`Effect.sync`).
 */
import { Effect, Exit, Scope } from "effect"
import { Guard, Resource } from "@scopeguard/core"
import { Session } from "node:inspector/promises"

interface Node {
  readonly id: number
  readonly callFrame: {
    readonly functionName: string
    readonly url: string
    readonly lineNumber: number
  }
}
interface Profile {
  readonly nodes: ReadonlyArray<Node>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const release = () => Effect.void
/** A cleanup that is not a constant (`Effect.void` is an `Exit`, which runs nothing). */
const work = Effect.sync(() => undefined)

/** `count` uses inside one long-lived scope provided once, as in `npm run bench`. */
const inScope = (use: Effect.Effect<unknown, never, Scope.Scope>, count: number) => ({
  setup: Effect.void,
  run: () =>
    Effect.scoped(
      Effect.gen(function* () {
        for (let i = 0; i < count; i++) yield* use
      })
    )
})

/** Closing a scope that holds 100,000 live cleanups, five times; only the closes are timed. */
const closing = (register: Effect.Effect<unknown, never, Scope.Scope>) => ({
  setup: Effect.gen(function* () {
    const scopes: Array<Scope.Closeable> = []
    for (let s = 0; s < 5; s++) {
      const scope = yield* Scope.make()
      yield* Effect.provideService(
        Effect.gen(function* () {
          for (let i = 0; i < 100_000; i++) yield* register
        }),
        Scope.Scope,
        scope
      )
      scopes.push(scope)
    }
    return scopes
  }),
  run: (scopes: unknown) =>
    Effect.forEach(scopes as Array<Scope.Closeable>, (scope) => Scope.close(scope, Exit.void), {
      discard: true
    })
})

const scenarios: Record<
  string,
  { setup: Effect.Effect<unknown>; run: (setup: unknown) => Effect.Effect<unknown> }
> = {
  resource: inScope(Effect.flatMap(Resource.make(Effect.void, release), Resource.close), 300_000),
  guard: inScope(Effect.flatMap(Guard.make(Effect.void), Guard.disarm), 300_000),
  floor: inScope(
    Effect.flatMap(
      Effect.uninterruptible(
        Effect.flatMap(Effect.scope, (scope) =>
          Effect.tap(Scope.fork(scope, "sequential"), (child) =>
            Scope.addFinalizer(child, Effect.void)
          )
        )
      ),
      (child) => Effect.uninterruptible(Scope.close(child, Exit.void))
    ),
    300_000
  ),
  "resource-sync": inScope(
    Effect.flatMap(
      Resource.make(Effect.void, () => work),
      Resource.close
    ),
    300_000
  ),
  "floor-sync": inScope(
    Effect.flatMap(
      Effect.uninterruptible(
        Effect.flatMap(Effect.scope, (scope) =>
          Effect.tap(Scope.fork(scope, "sequential"), (child) => Scope.addFinalizer(child, work))
        )
      ),
      (child) => Effect.uninterruptible(Scope.close(child, Exit.void))
    ),
    300_000
  ),
  "close-guards": closing(Guard.make(Effect.void)),
  "close-guards-sync": closing(Guard.make(work)),
  "close-acquire-sync": closing(Effect.acquireRelease(Effect.void, () => work)),
  "close-resources": closing(Resource.make(Effect.void, release)),
  "close-acquire": closing(Effect.acquireRelease(Effect.void, release))
}

const name = process.argv[2] ?? "resource"
const scenario = scenarios[name]
if (scenario === undefined) {
  console.error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(", ")}`)
  process.exit(2)
}
const prepared = Effect.runSync(scenario.setup)
const session = new Session()
session.connect()
await session.post("Profiler.enable")
await session.post("Profiler.setSamplingInterval", { interval: 200 })
await session.post("Profiler.start")
const started = performance.now()
Effect.runSync(scenario.run(prepared))
const seconds = (performance.now() - started) / 1000
const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: Profile }

const self = new Map<number, number>()
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
const byFunction = new Map<string, number>()
let total = 0
let inEffect = 0
for (const node of profile.nodes) {
  const time = self.get(node.id) ?? 0
  total += time
  const { functionName, url, lineNumber } = node.callFrame
  const file = url
    .replace(/^.*\/node_modules\//, "")
    .replace(/^.*\/effect4\/packages\//, "packages/")
  if (file.startsWith("effect/")) inEffect += time
  const key = `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`
  byFunction.set(key, (byFunction.get(key) ?? 0) + time)
}
console.log(
  `${name}: ${seconds.toFixed(2)} s; ${((100 * inEffect) / total).toFixed(0)}% of samples in effect's own code`
)
console.log("| self % | function |\n| ---: | --- |")
for (const [key, time] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  console.log(`| ${((100 * time) / total).toFixed(1)} | ${key} |`)
}
