/**
 * The interruption explorer catching a leak in a deliberately broken program, and passing
 * the fixed one.
 *
 * Shows: a connection opened in one step and its close registered in the next: interrupted in
 * between, the connection leaks. `Interruption.assertEveryStep` runs the program once per step
 * it takes, interrupted exactly there (by default in four passes: the runtime's own turn ends
 * at budgets 12 and 32 with the root interrupted, then with the program's own fibers cut off
 * alone, every step with the root interrupted, every step of the program's own fibers cut off
 * alone), and its report groups the failing steps into ranges, names the pass, the
 * fiber, the operation and the user's line of each, and how far into the fiber's turn it is — here 32
 * operations, so Effect's default scheduler reaches it with `withMaxOpsBeforeYield(32)`: a
 * real bug, not an artefact of the explorer — and prints the schedule that replays each (`Interruption.replay`). The same program
 * written with `Effect.acquireRelease` passes at every step.
 *
 * Run: npx tsx --conditions=@scopeguard/source examples/explorer-leak.ts
 * Prints:
 *   broken: 7 of 113 points failed (79 steps; passes budget 12, 32: 33 turn ends and budget runs; budget 12, 32 holder: 0 turn ends; interrupt/root: 79 steps; interrupt/holder: 0 steps of the program's own fibers; point 0 is the run without interruption):
 *   broken:   budget/root budget 12, steps 338-366 [check] 1 connection(s) left open (root, OnSuccess, turn: 12, reached with budget 12) [replay: "b12 i338"]
 *   broken:   interrupt/root steps 33-37 [check] 1 connection(s) left open (root, WithRuntime, turn: 32, reachable with budget 32) [replay: "i33"]
 *   broken: note: 56 of the 80 points shared an equivalent point's run (deferred interruption 33, continuation 23; reduce: false runs each)
 *   broken: replay one with: Interruption.replay(program, "b12 i338", { check })
 *   fixed: 85 interruption points, 0 failures
 */
import { Console, Effect } from "effect"
import { Interruption } from "@scopeguard/vitest"

let open = 0
const connect = Effect.sync(() => {
  open++
})
const disconnect = Effect.sync(() => {
  open--
})
const check = () => (open === 0 ? Effect.void : Effect.fail(`${open} connection(s) left open`))

// Broken: opening and registering the close are two steps; an interruption between them leaks.
const broken = Effect.scoped(
  Effect.gen(function* () {
    open = 0
    yield* connect
    yield* Effect.addFinalizer(() => disconnect)
  })
)

// Fixed: acquireRelease makes the two one uninterruptible step.
const fixed = Effect.scoped(
  Effect.gen(function* () {
    open = 0
    yield* Effect.acquireRelease(connect, () => disconnect)
  })
)

const program = Effect.gen(function* () {
  const failed = yield* Effect.flip(Interruption.assertEveryStep(broken, { check }))
  // The message names the user's line of each range (`near examples/explorer-leak.ts:40:5`);
  // it depends on how this file is run (from source, or compiled), so it is left out here.
  const message = failed.message.replace(/ near [^,]+,/g, "")
  for (const line of message.split("\n")) yield* Console.log(`broken: ${line}`)
  const report = yield* Interruption.assertEveryStep(fixed, { check })
  yield* Console.log(
    `fixed: ${report.steps + 1} interruption points, ${report.failures.length} failures`
  )
})

Effect.runPromise(program)
