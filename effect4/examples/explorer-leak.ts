/**
 * The interruption harness catching a leak in a deliberately broken program, and passing the
 * fixed one — the Effect 4 edition.
 *
 * Shows: a connection opened in one step and its close registered in the next: interrupted in
 * between, the connection leaks. `Interruption.assertEveryStep` runs the program once per step
 * it takes (a step is a point where Effect 4's runtime asks the scheduler whether the fiber
 * should yield), interrupted exactly there (by default in four passes, as on Effect 3: the
 * runtime's own turn ends at budgets 10, 12 and 32 with the root interrupted, then with the
 * program's own fibers cut off alone, every step with the root interrupted, every step of the
 * program's own fibers cut off alone — this program forks none), and its report names each
 * failing step, its pass and why.
 * `Interruption.replay` runs one of them again from the schedule it prints. Points the runtime guarantees to behave like the
 * one before share its run (the note: inside an uninterruptible region an interruption waits
 * for its end), and are still reported one by one. The same program written with
 * `Effect.acquireRelease` passes at every step.
 *
 * This edition's explorer runs every fiber on a scheduler of its own: its report lists the
 * failing steps as ranges (consecutive steps that failed the same way: one line), each with the
 * schedule `Interruption.replay` reproduces its first step from (`"i13"`: preempt at point 13
 * and interrupt the root); the step numbers count Effect 4's
 * scheduler checks, not Effect 3's operations.
 *
 * Run: (cd effect4 && npx tsx --conditions=@scopeguard/source examples/explorer-leak.ts)
 * Prints:
 *   broken: 5 of 40 points failed (passes budget/root 10, 12, 32: 11 turn ends and budget runs; budget/holder 10, 12, 32: 0 turn ends; interrupt/root: 28 points; interrupt/holder: 0 points; point 0 is the run without interruption):
 *   broken:   interrupt/root steps 13-17 (check, fiber 1 (the root)): 1 connection(s) left open [replay: "i13"]
 *   broken:   note: 11 of the 29 points shared an equivalent point's run (deferred interruption 7, continuation 4; reduce: false runs each)
 *   broken: replayed with Interruption.replay(broken, "i13", { check }): 1 connection(s) left open
 *   fixed: 31 interruption points, 0 failures
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
  // The message names the user's line of each range (`near examples/explorer-leak.ts:49:5`);
  // it depends on how this file is run (from source, or compiled), so it is left out here.
  const message = failed.message.replace(/, near [^)]+\)/g, ")")
  for (const line of message.split("\n")) yield* Console.log(`broken: ${line}`)

  // Replay the first failure from its schedule, judged by the same check.
  const { schedule } = failed.report.failures[0]!
  const replayed = yield* Interruption.replay(broken, schedule, { check })
  yield* Console.log(
    `broken: replayed with Interruption.replay(broken, "${schedule}", { check }): ${
      replayed.failure?.message ?? "no leak"
    }`
  )

  const report = yield* Interruption.assertEveryStep(fixed, { check })
  yield* Console.log(
    `fixed: ${report.steps} interruption points, ${report.failures.length} failures`
  )
})

Effect.runPromise(program)
