/**
 * `npm run survey`: the findings table of packages/vitest/README.md, re-run in every mode
 * (interrupt, yield, budget; the root or the fiber holding the step as the target). For each
 * program and mode: failing points, how many of them Effect's default scheduler reaches, the
 * kinds found, and the seconds it took. Several minutes: hangs cost their timeout each.
 *
 * `npm run survey -- ScopedRef.set,Pool.get` runs only those programs.
 */
import { Effect } from "effect"
import { Interruption } from "@scopeguard/vitest"
import {
  check,
  findings,
  permits,
  poisonedCache,
  reset,
  world
} from "../packages/vitest/test/programs.js"

type Entry = readonly [Effect.Effect<unknown, unknown>, Interruption.Options<never>]
const permitsProgram = permits()
const cached = poisonedCache()
const programs: Record<string, Entry> = {
  "acquire, then addFinalizer (broken)": [
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        yield* Effect.sync(() => world.open++)
        yield* Effect.addFinalizer(() => Effect.sync(() => world.open--))
        yield* Effect.yieldNow()
      })
    ),
    { check }
  ],
  "ScopedRef.set": [findings["ScopedRef.set"]!, { check }],
  "RcRef.get twice": [findings["RcRef.get"]!, { check }],
  "Semaphore.withPermits(1)": [permitsProgram.program, { check: permitsProgram.check }],
  // Only a hang to find: it opens no handle, so no check.
  "Effect.all, unbounded": [findings["Effect.all"]!, {}],
  "FiberSet.run": [findings["FiberSet.run"]!, { check }],
  "Scope.close in user code": [findings["Scope.close"]!, { check }],
  "Pool.get": [findings["Pool.get"]!, { check }],
  "KeyedPool.get": [findings["KeyedPool.get"]!, { check }],
  "ScopedCache.get twice": [findings["ScopedCache.get"]!, { check }],
  "Effect.cached, first caller in a fiber": [cached.program, { check: cached.check }]
}

const modes: ReadonlyArray<readonly [Interruption.Mode, Interruption.Target]> = [
  ["interrupt", "root"],
  ["yield", "root"],
  ["budget", "root"],
  ["interrupt", "holder"],
  ["budget", "holder"]
]
const only = process.argv[2]?.split(",")
console.log("| program | mode | target | steps | runs | failing | reachable | kinds | s |")
console.log("| --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: |")
for (const [name, [program, options]] of Object.entries(programs)) {
  if (only !== undefined && !only.includes(name)) continue
  for (const [mode, target] of modes) {
    const started = performance.now()
    const report = await Effect.runPromise(
      Interruption.explore(program, { hangTimeout: "100 millis", ...options, mode, target })
    )
    const seconds = (performance.now() - started) / 1000
    const kinds = [...new Set(report.failures.map((f) => f.kind))].sort().join(", ")
    console.log(
      `| ${name} | ${mode} | ${target} | ${report.steps} | ${report.runs} | ${report.failures.length} | ${report.reachable} | ${kinds} | ${seconds.toFixed(1)} |`
    )
  }
}
// Runs abandoned as hung may still hold timers: the table is complete, so end here.
process.exit(0)
