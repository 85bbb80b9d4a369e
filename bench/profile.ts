/**
 * `npm run profile -- <scenario>`: runs one scenario under the V8 sampling profiler and prints
 * where its time goes (self time by function, top 25), and how much of it is Effect's own run
 * loop. Scenarios: `explorer` (exploring a 5,000-step program in full), `resource` (300,000
 * Resource.make + close in one long-lived scope), `guard` (the same for Guard.make + disarm).
 * `ops` counts the Effect operations of one use instead (the floor, Guard, Resource).
 * It profiles the built packages (`npm run profile` builds first), as users run them.
 */
import {
  Effect,
  ExecutionStrategy,
  Exit,
  RuntimeFlags,
  RuntimeFlagsPatch,
  Scope,
  Supervisor
} from "effect"
import { Session } from "node:inspector/promises"
import { Guard, Resource } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"

interface Node {
  readonly id: number
  readonly callFrame: {
    readonly functionName: string
    readonly url: string
    readonly lineNumber: number
  }
  readonly children?: ReadonlyArray<number>
}
interface Profile {
  readonly nodes: ReadonlyArray<Node>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const release = () => Effect.void
/** `count` uses run inside one long-lived scope provided once, as in `npm run bench`. */
const inScope = (use: Effect.Effect<unknown, never, Scope.Scope>, count: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      for (let i = 0; i < count; i++) yield* use
    })
  )
const scenarios: Record<string, Effect.Effect<unknown>> = {
  explorer: Interruption.explore(
    Effect.scoped(
      Effect.gen(function* () {
        const r = yield* Resource.make(Effect.succeed(1), release)
        for (let i = 0; i < 2_500; i++) yield* Resource.get(r)
        yield* Resource.close(r)
      })
    )
  ),
  resource: inScope(Effect.flatMap(Resource.make(Effect.void, release), Resource.close), 300_000),
  guard: inScope(Effect.flatMap(Guard.make(Effect.void), Guard.disarm), 300_000)
}

const name = process.argv[2] ?? "explorer"

/**
 * `ops`: how many Effect operations one use costs — the unit the run loop pays per step —
 * counted by a supervisor with operation supervision on, net of the harness's own.
 */
if (name === "ops") {
  class Counter extends Supervisor.AbstractSupervisor<void> {
    count = 0
    value = Effect.void
    override onEffect() {
      this.count++
    }
  }
  const count = (use: Effect.Effect<unknown, never, Scope.Scope>): number => {
    const counter = new Counter()
    Effect.runSync(
      Effect.scoped(
        use.pipe(
          Effect.supervised(counter),
          Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.enable(RuntimeFlags.OpSupervision))
        )
      )
    )
    return counter.count
  }
  const harness = count(Effect.void)
  const uses: Record<string, Effect.Effect<unknown, never, Scope.Scope>> = {
    "floor: Scope.fork + addFinalizer + close the child": Effect.flatMap(Effect.scope, (scope) =>
      Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (child) =>
        Effect.zipRight(Scope.addFinalizer(child, Effect.void), Scope.close(child, Exit.void))
      )
    ),
    "bound: the floor with registering and removing each uninterruptible": Effect.flatMap(
      Effect.scope,
      (scope) =>
        Effect.flatMap(
          Effect.uninterruptible(
            Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (child) =>
              Effect.as(Scope.addFinalizer(child, Effect.void), child)
            )
          ),
          (child) => Effect.uninterruptible(Scope.close(child, Exit.void))
        )
    ),
    "Guard.make + Guard.disarm": Effect.flatMap(Guard.make(Effect.void), Guard.disarm),
    "Guard.make + Guard.runNow": Effect.flatMap(Guard.make(Effect.void), Guard.runNow),
    "Resource.make + Resource.close": Effect.flatMap(
      Resource.make(Effect.void, release),
      Resource.close
    )
  }
  console.log("| use | operations |\n| --- | ---: |")
  for (const [label, use] of Object.entries(uses))
    console.log(`| ${label} | ${count(use) - harness} |`)
  process.exit(0)
}

const scenario = scenarios[name]
if (scenario === undefined) {
  console.error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(", ")}`)
  process.exit(2)
}
const session = new Session()
session.connect()
await session.post("Profiler.enable")
await session.post("Profiler.setSamplingInterval", { interval: 200 })
await session.post("Profiler.start")
const started = performance.now()
await Effect.runPromise(scenario)
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
  const file = url.replace(/^.*\/node_modules\//, "").replace(/^.*\/packages\//, "packages/")
  if (file.startsWith("effect/")) inEffect += time
  const key = `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`
  byFunction.set(key, (byFunction.get(key) ?? 0) + time)
}
console.log(
  `${name}: ${seconds.toFixed(2)} s; ${((100 * inEffect) / total).toFixed(0)}% of samples in effect's own code`
)
console.log("| self % | function |\n| ---: | --- |")
for (const [key, time] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`| ${((100 * time) / total).toFixed(1)} | ${key} |`)
}
