/**
 * Resource and Guard in one program.
 *
 * Shows: an explicit early `close` that the scope does not repeat, and a transfer written with
 * `Guard.step` (the debit and its refund armed in one step) and `Guard.commit` (the credit and
 * the disarm without a gap): the first commits, the second fails and runs its refund.
 *
 * Run: npx tsx --conditions=@scopeguard/source examples/resource-and-guard.ts
 * Prints:
 *   acquire db
 *   use db
 *   release db (Success)
 *   state of db: Released by close
 *   debit 1
 *   credit 1
 *   debit 2
 *   refund 2 (Failure)
 *   transfer 2 failed: insufficient funds
 */
import { Console, Effect } from "effect"
import { Guard, Resource } from "@scopeguard/core"

const useDatabase = Effect.scoped(
  Effect.gen(function* () {
    const db = yield* Resource.make(
      Effect.as(Console.log("acquire db"), "db"),
      (name, exit) => Console.log(`release ${name} (${exit._tag})`),
      { label: "db" }
    )
    yield* Resource.use(db, (name) => Console.log(`use ${name}`))
    yield* Resource.close(db)
    const state = yield* Resource.state(db)
    if (state._tag === "Released") {
      yield* Console.log(`state of ${db.label}: ${state._tag} by ${state.by}`)
    }
  })
)

const transfer = (n: number, credit: Effect.Effect<void, string>) =>
  Effect.scoped(
    Effect.gen(function* () {
      // The debit and the arming of its refund are one uninterruptible step.
      const refund = yield* Guard.step(Console.log(`debit ${n}`), (_, exit) =>
        Console.log(`refund ${n} (${exit._tag})`)
      )
      // If the credit fails or is interrupted, the refund runs now; if it succeeds, never.
      yield* Guard.commit(refund, Effect.zipRight(credit, Console.log(`credit ${n}`)))
    })
  )

const program = Effect.gen(function* () {
  yield* useDatabase
  yield* transfer(1, Effect.void)
  const failed = yield* Effect.flip(transfer(2, Effect.fail("insufficient funds")))
  yield* Console.log(`transfer 2 failed: ${failed}`)
})

Effect.runPromise(program)
