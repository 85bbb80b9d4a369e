/**
 * Resource and Guard in one program — the Effect 4 edition.
 *
 * Shows: an explicit early `close` that the scope does not repeat, and a transfer written with
 * `Guard.step` (the debit and its refund armed in one step) and `Guard.commit` in its restore
 * form (the credit, a remote write acknowledged one hop after it is applied, and the disarm
 * without a gap): the first commits, the second fails and runs its refund. Then the transfer is
 * interrupted at every step it takes, with a check that no money is lost or made.
 *
 * Run: (cd effect4 && npx tsx --conditions=@scopeguard/source examples/resource-and-guard.ts)
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
 *   interrupted at every step: 0 failures
 */
import { Console, Effect } from "effect"
import { Guard, Resource } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"

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

const accounts = { from: 100, to: 0 }

/** A remote write, as I/O is: applied, then acknowledged one hop later. */
const remoteCredit = (n: number, quiet: boolean) =>
  Effect.sync(() => void (accounts.to += 10)).pipe(
    Effect.andThen(Effect.yieldNow),
    Effect.andThen(quiet ? Effect.void : Console.log(`credit ${n}`))
  )

const transfer = (n: number, credit: Effect.Effect<void, string>, quiet = false) =>
  Effect.scoped(
    Effect.gen(function* () {
      // The debit and the arming of its refund are one uninterruptible step.
      const refund = yield* Guard.step(
        Effect.sync(() => void (accounts.from -= 10)).pipe(
          Effect.andThen(quiet ? Effect.void : Console.log(`debit ${n}`))
        ),
        (_, exit) =>
          Effect.sync(() => void (accounts.from += 10)).pipe(
            Effect.andThen(quiet ? Effect.void : Console.log(`refund ${n} (${exit._tag})`))
          )
      )
      // If the credit fails, the refund runs now; once it has started it is not interrupted
      // (an interruption waits for its acknowledgement), and once it succeeded, never.
      yield* Guard.commit(refund, () => credit)
    })
  )

const program = Effect.gen(function* () {
  yield* useDatabase
  yield* transfer(1, remoteCredit(1, false))
  const failed = yield* Effect.flip(transfer(2, Effect.fail("insufficient funds")))
  yield* Console.log(`transfer 2 failed: ${failed}`)
  // Each run starts from fresh accounts: the program is a function the harness calls per run.
  const report = yield* Interruption.explore(
    () => {
      Object.assign(accounts, { from: 100, to: 0 })
      return transfer(3, remoteCredit(3, true), true)
    },
    {
      check: () =>
        accounts.from + accounts.to === 100 ? Effect.void : Effect.fail(JSON.stringify(accounts))
    }
  )
  yield* Console.log(`interrupted at every step: ${report.failures.length} failures`)
})

Effect.runPromise(program)
