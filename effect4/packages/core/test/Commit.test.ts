/**
 * Guarded steps and commits: an action and its compensation armed atomically, and a final
 * action that disarms without a gap. Explored at every step, in both modes, with a check on
 * the money; the hand-written pattern is pinned with the windows it has.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Scope } from "effect"
import { Guard, GuardNotArmedError } from "@scopeguard/core"
import { Interruption } from "@scopeguard/vitest"
import { expectStillWaiting, interrupted, makeLog } from "./util.js"

/** Two accounts and a ledger of what happened; a transfer must move money or not at all. */
const makeBank = () => {
  const bank = { from: 100, to: 0, debits: 0, credits: 0, refunds: 0 }
  const reset = Effect.sync(() => {
    Object.assign(bank, { from: 100, to: 0, debits: 0, credits: 0, refunds: 0 })
  })
  const debit = Effect.sync(() => {
    bank.from -= 10
    bank.debits++
  })
  const refund = Effect.sync(() => {
    bank.from += 10
    bank.refunds++
  })
  const credit = Effect.sync(() => {
    bank.to += 10
    bank.credits++
  })
  /** Money is neither lost nor made: either nothing moved, or exactly one transfer did. */
  const check = () =>
    Effect.suspend(() =>
      bank.from + bank.to === 100 && bank.debits <= 1 && bank.credits <= 1 && bank.refunds <= 1
        ? Effect.void
        : Effect.fail(`money not conserved: ${JSON.stringify(bank)}`)
    )
  return { bank, reset, debit, refund, credit, check }
}

describe("the hand-written pattern has windows (pinned)", () => {
  it.effect("debit; Guard.make(refund); credit; Guard.disarm loses or makes money", () =>
    Effect.gen(function* () {
      const { reset, debit, refund, credit, check } = makeBank()
      const handWritten = Effect.scoped(
        Effect.gen(function* () {
          yield* reset
          yield* debit
          const guard = yield* Guard.make(refund)
          yield* credit
          yield* Guard.disarm(guard)
        })
      )
      const report = yield* Interruption.explore(handWritten, { check, leaks: false })
      const messages = report.failures.map((f) => f.message)
      expect(messages.length).toBeGreaterThan(0)
      expect(messages.every((m) => m.includes("money not conserved"))).toBe(true)
      // Interrupted between the debit and the arming of the refund: money lost.
      expect(messages.some((m) => m.includes('"from":90,"to":0'))).toBe(true)
      // Interrupted between the credit and the disarm: the transfer happened and was refunded.
      expect(messages.some((m) => m.includes('"from":100,"to":10'))).toBe(true)
    })
  )
})

describe("Guard.step and Guard.commit conserve money at every step", () => {
  const transfer = ({ reset, debit, refund, credit }: ReturnType<typeof makeBank>) =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const guarded = yield* Guard.step(debit, () => refund, { label: "refund" })
        yield* Guard.commit(guarded, credit)
      })
    )

  /** Three guarded steps and a commit: a trip is booked whole or not at all. */
  const makeTrip = () => {
    const trip = { booked: [] as Array<string>, charged: 0 }
    const reset = Effect.sync(() => {
      trip.booked = []
      trip.charged = 0
    })
    const book = (what: string) =>
      Effect.sync(() => {
        trip.booked.push(what)
        return what
      })
    const cancel = (what: string) =>
      Effect.sync(() => {
        trip.booked = trip.booked.filter((b) => b !== what)
      })
    const program = Effect.scoped(
      Effect.gen(function* () {
        yield* reset
        const flight = yield* Guard.step(book("flight"), cancel)
        const hotel = yield* Guard.step(book("hotel"), cancel)
        const car = yield* Guard.step(book("car"), cancel)
        yield* Guard.commit(
          [flight, hotel, car],
          Effect.sync(() => {
            trip.charged++
          })
        )
      })
    )
    const check = () =>
      Effect.suspend(() => {
        const whole = trip.charged === 1 && trip.booked.join() === "flight,hotel,car"
        const nothing = trip.charged === 0 && trip.booked.length === 0
        return whole || nothing ? Effect.void : Effect.fail(`half a trip: ${JSON.stringify(trip)}`)
      })
    return { program, check }
  }

  for (const mode of ["interrupt", "yield"] as const) {
    it.effect(`the transfer (${mode} mode)`, () =>
      Effect.gen(function* () {
        const bank = makeBank()
        const report = yield* Interruption.assertEveryStep(transfer(bank), {
          mode,
          check: bank.check
        })
        expect(report.failures).toEqual([])
        expect(report.steps).toBeGreaterThan(20)
      })
    )

    it.effect(`a saga of three steps and a commit (${mode} mode)`, () =>
      Effect.gen(function* () {
        const { program, check } = makeTrip()
        const report = yield* Interruption.assertEveryStep(program, { mode, check })
        expect(report.failures).toEqual([])
        expect(report.steps).toBeGreaterThan(40)
      })
    )
  }
})

describe("Guard.step", () => {
  it.effect("arms the compensation with the action's value; it runs on the scope's exit", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const exit = yield* Effect.exit(
        Effect.scoped(
          Effect.gen(function* () {
            const row = yield* Guard.step(Effect.succeed(7), (id, e) =>
              log.add(`delete ${id} (${e._tag})`)
            )
            yield* log.add(`inserted ${row.value}`)
            return yield* Effect.fail("later step failed")
          })
        )
      )
      expect(exit).toEqual(Exit.fail("later step failed"))
      expect(log.events).toEqual(["inserted 7", "delete 7 (Failure)"])
    })
  )

  it.effect("a failing action arms nothing", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const exit = yield* Effect.exit(
        Effect.scoped(Guard.step(Effect.fail("no"), () => log.add("compensate")))
      )
      expect(exit).toEqual(Exit.fail("no"))
      expect(log.events).toEqual([])
    })
  )

  it.effect("strategies: onFailure compensation is skipped when the scope succeeds", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const g = yield* Effect.scoped(
        Guard.step(Effect.void, () => log.add("rollback"), { when: "failure" })
      )
      expect(log.events).toEqual([])
      expect(yield* Guard.state(g)).toEqual({ _tag: "Skipped", scopeExit: Exit.succeed(g) })
    })
  )
})

describe("Guard.commit", () => {
  it.effect("success: returns the action's value; the scope runs no compensation", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const scope = yield* Scope.make()
      const a = yield* Guard.step(log.acquire("a"), () => log.add("undo a")).pipe(
        Scope.provide(scope)
      )
      const b = yield* Guard.step(log.acquire("b"), () => log.add("undo b")).pipe(
        Scope.provide(scope)
      )
      expect(yield* Guard.commit([a, b], Effect.as(log.add("final"), 42))).toBe(42)
      yield* Scope.close(scope, Exit.fail("later"))
      expect(log.events).toEqual(["acquire a", "acquire b", "final"])
      expect(yield* Guard.state(a)).toEqual({ _tag: "Disarmed" })
    })
  )

  it.effect("failure: compensations run now, newest first, with the action's exit", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const exit = yield* Effect.exit(
        Effect.scoped(
          Effect.gen(function* () {
            const a = yield* Guard.step(Effect.succeed("a"), (v, e) =>
              log.add(`undo ${v} (${e._tag})`)
            )
            const b = yield* Guard.step(
              Effect.succeed("b"),
              (v, e) => log.add(`undo ${v} (${e._tag})`),
              { when: "success" }
            )
            const c = yield* Guard.step(Effect.succeed("c"), (v, e) =>
              log.add(`undo ${v} (${e._tag})`)
            )
            const committed = yield* Effect.exit(Guard.commit([a, b, c], Effect.fail("declined")))
            yield* log.add("after commit")
            expect(yield* Guard.state(b)).toEqual({
              _tag: "Skipped",
              scopeExit: Exit.fail("declined")
            })
            return yield* committed
          })
        )
      )
      expect(exit).toEqual(Exit.fail("declined"))
      expect(log.events).toEqual(["undo c (Failure)", "undo a (Failure)", "after commit"])
    })
  )

  it.effect(
    "a guard that is not armed: a GuardNotArmedError defect, and the action does not run",
    () =>
      Effect.gen(function* () {
        const log = makeLog()
        const g = yield* Guard.step(Effect.void, () => log.add("undo"), { label: "step" })
        yield* Guard.disarm(g)
        const exit = yield* Effect.exit(Guard.commit(g, log.add("final")))
        // A programming error, not an outcome to handle: a defect, as Effect's own misuse errors.
        expect(exit).toEqual(
          Exit.die(new GuardNotArmedError({ id: g.id, label: "step", state: "Disarmed" }))
        )
        expect(log.events).toEqual([])
      }).pipe(Effect.scoped)
  )

  it.effect("the caller interrupted during the action: the action is interrupted, undo runs", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const started = yield* Deferred.make<void>()
      const fiber = yield* Effect.forkChild(
        Effect.scoped(
          Effect.gen(function* () {
            const g = yield* Guard.step(Effect.void, () => log.add("undo"))
            yield* Guard.commit(
              g,
              Effect.andThen(Deferred.succeed(started, undefined), Effect.never).pipe(
                Effect.onInterrupt(() => log.add("action interrupted"))
              )
            )
          })
        )
      )
      yield* Deferred.await(started)
      expect(Exit.hasInterrupts(yield* interrupted(fiber))).toBe(true)
      expect(log.events).toEqual(["action interrupted", "undo"])
    })
  )

  it.effect("an interruption that arrives just as the action succeeds does not undo it", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const fiber = yield* Effect.forkChild(
        Effect.scoped(
          Effect.gen(function* () {
            const caller = yield* Effect.withFiber<Fiber.Fiber<unknown, unknown>>((fiber) =>
              Effect.succeed(fiber)
            )
            const g = yield* Guard.step(Effect.void, () => log.add("undo"))
            // The action's last step asks for the caller's interruption: it arrives while the
            // commit is deciding. The decision rests on the action's own exit: success.
            yield* Guard.commit(
              g,
              Effect.andThen(
                log.add("credit"),
                Effect.sync(() => caller.interruptUnsafe())
              )
            )
          })
        )
      )
      expect(Exit.hasInterrupts(yield* Fiber.await(fiber))).toBe(true)
      expect(log.events).toEqual(["credit"])
    })
  )

  it.effect("a scope closing while the action runs waits for its decision", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const scope = yield* Scope.make()
      const g = yield* Guard.step(Effect.void, () => log.add("undo")).pipe(Scope.provide(scope))
      const started = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const committing = yield* Effect.forkChild(
        Guard.commit(
          g,
          Deferred.succeed(started, undefined).pipe(
            Effect.andThen(Deferred.await(gate)),
            Effect.andThen(log.add("final"))
          )
        )
      )
      yield* Deferred.await(started)
      expect(yield* Guard.state(g)).toEqual({ _tag: "Committing" })
      const closing = yield* Effect.forkChild(Scope.close(scope, Exit.interrupt()))
      yield* expectStillWaiting(closing)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(committing)
      yield* Fiber.join(closing)
      expect(log.events).toEqual(["final"])
    })
  )
})

describe("Guard.commit against a scope closing at the same time", () => {
  it.effect("a failed commit runs every onFailure compensation, at every interleaving", () =>
    Effect.gen(function* () {
      let log = makeLog()
      // The action fails while another fiber closes the scope with a success: the commit's
      // decision (the action failed) must decide for every guard, not the scope's exit.
      const program = () => {
        log = makeLog()
        return Effect.gen(function* () {
          const scope = yield* Scope.make()
          const a = yield* Guard.onFailure(log.add("undo a")).pipe(Scope.provide(scope))
          const b = yield* Guard.onFailure(log.add("undo b")).pipe(Scope.provide(scope))
          const started = yield* Deferred.make<void>()
          const gate = yield* Deferred.make<void>()
          const committing = yield* Effect.forkChild(
            Effect.exit(
              Guard.commit(
                [a, b],
                Effect.andThen(
                  Effect.andThen(Deferred.succeed(started, undefined), Deferred.await(gate)),
                  Effect.fail("declined")
                )
              )
            )
          )
          yield* Deferred.await(started)
          const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
          yield* Deferred.succeed(gate, undefined)
          yield* Fiber.join(closing)
          return yield* Fiber.join(committing)
        })
      }
      const report = yield* Interruption.explore(program, {
        mode: "yield",
        check: (exit) =>
          Exit.isSuccess(exit) &&
          Exit.isFailure(exit.value as Exit.Exit<unknown, unknown>) &&
          log.events.join(",") === "undo b,undo a"
            ? Effect.void
            : Effect.fail(`compensations: ${log.events.join(",") || "none"}`)
      })
      expect(report.failures).toEqual([])
      // Effect 4 counts run-loop turns, not operations: fewer steps than Effect 3's explorer.
      expect(report.steps).toBeGreaterThan(50)
    })
  )
})

/**
 * A write to a remote system is applied, then acknowledged one async hop later. Interrupted in
 * between, the effect that made it ends with an interruption although the write happened.
 */
const makeRemoteBank = () => {
  const bank = makeBank()
  const applied = { credit: false }
  const remoteCredit = Effect.andThen(
    Effect.sync(() => {
      bank.bank.to += 10
      bank.bank.credits++
      applied.credit = true
    }),
    // The acknowledgement comes back one hop later.
    Effect.yieldNow
  )
  // The card gateway's approval: interruptible, and nothing has happened until it answers.
  const gateway = Effect.yieldNow
  return { ...bank, remoteCredit, gateway }
}

describe("Guard.commit with restore: a final write acknowledged later", () => {
  it.effect("the plain form compensates a credit that happened (pinned)", () =>
    Effect.gen(function* () {
      const bank = makeRemoteBank()
      const program = Effect.scoped(
        Effect.gen(function* () {
          yield* bank.reset
          const refund = yield* Guard.step(bank.debit, () => bank.refund)
          yield* Guard.commit(refund, Effect.andThen(bank.gateway, bank.remoteCredit))
        })
      )
      const report = yield* Interruption.explore(program, { check: bank.check, leaks: false })
      const messages = report.failures.map((f) => f.message)
      expect(messages.length).toBeGreaterThan(0)
      // Credited and refunded: money made.
      expect(messages.every((m) => m.includes('"from":100,"to":10'))).toBe(true)
    })
  )

  for (const mode of ["interrupt", "yield"] as const) {
    it.effect(`the restore form conserves money at every step (${mode} mode)`, () =>
      Effect.gen(function* () {
        const bank = makeRemoteBank()
        const program = Effect.scoped(
          Effect.gen(function* () {
            yield* bank.reset
            const refund = yield* Guard.step(bank.debit, () => bank.refund)
            yield* Guard.commit(refund, (restore) =>
              Effect.andThen(restore(bank.gateway), bank.remoteCredit)
            )
          })
        )
        // Money is conserved at every step, and a transfer that returns success has moved it.
        const check = (exit: Exit.Exit<unknown, unknown>) =>
          Effect.andThen(
            bank.check(),
            Effect.suspend(() =>
              Exit.isSuccess(exit) && (bank.bank.to !== 10 || bank.bank.refunds !== 0)
                ? Effect.fail(`succeeded without a transfer: ${JSON.stringify(bank.bank)}`)
                : Exit.isFailure(exit) && !Exit.hasInterrupts(exit)
                  ? Effect.fail(`failed: ${exit.cause}`)
                  : Effect.void
            )
          )
        const report = yield* Interruption.assertEveryStep(program, { mode, check })
        expect(report.failures).toEqual([])
        expect(report.steps).toBeGreaterThan(20)
      })
    )
  }

  it.effect("only what restore wraps is interrupted; the decision follows the action's exit", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const inGateway = yield* Deferred.make<void>()
      const fiber = yield* Effect.forkChild(
        Effect.scoped(
          Effect.gen(function* () {
            const g = yield* Guard.step(Effect.void, () => log.add("undo"))
            yield* Guard.commit(g, (restore) =>
              Effect.andThen(
                restore(
                  Effect.andThen(Deferred.succeed(inGateway, undefined), Effect.never).pipe(
                    Effect.onInterrupt(() => log.add("gateway interrupted"))
                  )
                ),
                log.add("credit")
              )
            )
          })
        )
      )
      yield* Deferred.await(inGateway)
      expect(Exit.hasInterrupts(yield* interrupted(fiber))).toBe(true)
      expect(log.events).toEqual(["gateway interrupted", "undo"])
    })
  )

  it.effect("an interruption during the unrestored part waits; the credit commits", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const crediting = yield* Deferred.make<void>()
      const acknowledged = yield* Deferred.make<void>()
      const fiber = yield* Effect.forkChild(
        Effect.scoped(
          Effect.gen(function* () {
            const g = yield* Guard.step(Effect.void, () => log.add("undo"))
            yield* Guard.commit(g, (restore) =>
              Effect.andThen(
                restore(Effect.void),
                Effect.andThen(
                  Effect.andThen(log.add("credit applied"), Deferred.succeed(crediting, undefined)),
                  Effect.andThen(Deferred.await(acknowledged), log.add("credit acknowledged"))
                )
              )
            )
            yield* log.add("after commit")
          })
        )
      )
      yield* Deferred.await(crediting)
      const interrupting = yield* Effect.forkChild(interrupted(fiber))
      yield* expectStillWaiting(interrupting)
      yield* Deferred.succeed(acknowledged, undefined)
      expect(Exit.hasInterrupts(yield* Fiber.join(interrupting))).toBe(true)
      expect(log.events).toEqual(["credit applied", "credit acknowledged"])
    })
  )

  it.effect(
    "an interruption during the unrestored part waits; a failed action's cause and its compensation's defect are kept",
    () =>
      Effect.gen(function* () {
        // The exit is the action's failure, the compensation's defect and the interruption
        // that waited.
        const log = makeLog()
        const crediting = yield* Deferred.make<void>()
        const answered = yield* Deferred.make<void>()
        const fiber = yield* Effect.forkChild(
          Effect.scoped(
            Effect.gen(function* () {
              const g = yield* Guard.step(Effect.void, () =>
                Effect.andThen(log.add("undo"), Effect.die("undo died"))
              )
              yield* Guard.commit(g, () =>
                Effect.andThen(
                  Effect.andThen(log.add("credit sent"), Deferred.succeed(crediting, undefined)),
                  Effect.andThen(Deferred.await(answered), Effect.fail("declined"))
                )
              )
            })
          )
        )
        yield* Deferred.await(crediting)
        const interrupting = yield* Effect.forkChild(interrupted(fiber))
        yield* expectStillWaiting(interrupting)
        yield* Deferred.succeed(answered, undefined)
        const exit = yield* Fiber.join(interrupting)
        expect(Exit.isFailure(exit)).toBe(true)
        const reasons = (exit as Exit.Failure<unknown, unknown>).cause.reasons
        expect(reasons.filter(Cause.isFailReason).map((r) => r.error)).toEqual(["declined"])
        expect(reasons.filter(Cause.isDieReason).map((r) => r.defect)).toEqual(["undo died"])
        expect(Exit.hasInterrupts(exit)).toBe(true)
        expect(log.events).toEqual(["credit sent", "undo"])
      })
  )

  it.effect("a function that throws is a defect of the action: compensations run", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const boom = new Error("boom")
      const exit = yield* Effect.exit(
        Effect.scoped(
          Effect.gen(function* () {
            const g = yield* Guard.step(Effect.void, (_, e) => log.add(`undo (${e._tag})`))
            yield* Guard.commit(g, (): Effect.Effect<void> => {
              throw boom
            })
          })
        )
      )
      expect(exit).toEqual(Exit.die(boom))
      expect(log.events).toEqual(["undo (Failure)"])
    })
  )

  it.effect("both forms are dual", () =>
    Effect.gen(function* () {
      const g = yield* Guard.make(Effect.void)
      const h = yield* Guard.make(Effect.void)
      expect(yield* g.pipe(Guard.commit(Effect.succeed(1)))).toBe(1)
      expect(yield* h.pipe(Guard.commit((restore) => restore(Effect.succeed(2))))).toBe(2)
    }).pipe(Effect.scoped)
  )
})

describe("Guard.commit: the guards it is given", () => {
  it.effect("a guard listed twice is one guard: its compensation runs once", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const exit = yield* Effect.exit(
        Effect.scoped(
          Effect.gen(function* () {
            const g = yield* Guard.step(Effect.void, () => log.add("undo"))
            yield* Guard.commit([g, g], Effect.fail("declined"))
          })
        )
      )
      expect(exit).toEqual(Exit.fail("declined"))
      expect(log.events).toEqual(["undo"])
    })
  )

  it.effect("a guard listed twice in a successful commit is disarmed once", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const g = yield* Guard.make(log.add("cleanup"))
      expect(yield* Guard.commit([g, g, g], Effect.succeed("ok"))).toBe("ok")
      expect(yield* Guard.state(g)).toEqual({ _tag: "Disarmed" })
      expect(log.events).toEqual([])
    }).pipe(Effect.scoped)
  )
})

describe("Guard.commit: compensations and actions that call back into scopeguard", () => {
  it.live("a compensation that runs an older guard inside a failed commit", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const exit = yield* Effect.exit(
        Effect.scoped(
          Effect.gen(function* () {
            const older = yield* Guard.step(Effect.void, () => log.add("undo older"))
            const newer = yield* Guard.step(Effect.void, () =>
              Effect.andThen(
                log.add("undo newer"),
                Effect.flatMap(Guard.runNow(older), (ran) => log.add(`runNow older: ${ran}`))
              )
            )
            yield* Guard.commit([older, newer], Effect.fail("declined"))
          })
        )
      ).pipe(Effect.timeoutOrElse({ duration: "1 second", orElse: () => Effect.fail("hung") }))
      expect(exit).toEqual(Exit.fail("declined"))
      expect(log.events).toEqual(["undo newer", "undo older", "runNow older: true"])
    })
  )

  it.live("the same compensation behaves alike when the scope rolls back", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const exit = yield* Effect.exit(
        Effect.scoped(
          Effect.gen(function* () {
            const older = yield* Guard.step(Effect.void, () => log.add("undo older"))
            yield* Guard.step(Effect.void, () =>
              Effect.andThen(
                log.add("undo newer"),
                Effect.flatMap(Guard.runNow(older), (ran) => log.add(`runNow older: ${ran}`))
              )
            )
            return yield* Effect.fail("declined")
          })
        )
      )
      expect(exit).toEqual(Exit.fail("declined"))
      expect(log.events).toEqual(["undo newer", "undo older", "runNow older: true"])
    })
  )

  it.live("Guard.runNow of a guard from inside its own commit action returns false at once", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const g = yield* Guard.step(Effect.void, () => log.add("undo"))
      const result = yield* Guard.commit(
        g,
        Effect.flatMap(Guard.runNow(g), (ran) => Effect.as(log.add(`runNow: ${ran}`), "done"))
      ).pipe(Effect.timeoutOrElse({ duration: "1 second", orElse: () => Effect.fail("hung") }))
      expect(result).toBe("done")
      expect(log.events).toEqual(["runNow: false"])
      expect(yield* Guard.state(g)).toEqual({ _tag: "Disarmed" })
    }).pipe(Effect.scoped)
  )

  it.live("Guard.runNow from inside the restore form's action returns false at once", () =>
    Effect.gen(function* () {
      const log = makeLog()
      const g = yield* Guard.step(Effect.void, () => log.add("undo"))
      const exit = yield* Effect.exit(
        Guard.commit(g, (restore) =>
          Effect.andThen(
            restore(Effect.flatMap(Guard.runNow(g), (ran) => log.add(`runNow: ${ran}`))),
            Effect.fail("declined")
          )
        ).pipe(Effect.timeoutOrElse({ duration: "1 second", orElse: () => Effect.fail("hung") }))
      )
      expect(exit).toEqual(Exit.fail("declined"))
      expect(log.events).toEqual(["runNow: false", "undo"])
    }).pipe(Effect.scoped)
  )

  for (const outcome of ["succeeds", "fails"] as const) {
    it.live(`Scope.close of the guards' scope from inside the commit action (${outcome})`, () =>
      Effect.gen(function* () {
        const log = makeLog()
        const scope = yield* Scope.make()
        const g = yield* Guard.step(Effect.void, (_, e) => log.add(`undo (${e._tag})`)).pipe(
          Scope.provide(scope)
        )
        yield* Effect.addFinalizer(() => log.add("other finalizer")).pipe(Scope.provide(scope))
        const exit = yield* Effect.exit(
          Guard.commit(
            g,
            Effect.andThen(
              Effect.andThen(Scope.close(scope, Exit.void), log.add("scope closed")),
              outcome === "succeeds" ? Effect.void : Effect.fail("declined")
            )
          ).pipe(Effect.timeoutOrElse({ duration: "1 second", orElse: () => Effect.fail("hung") }))
        )
        if (outcome === "succeeds") {
          expect(exit).toEqual(Exit.void)
          expect(log.events).toEqual(["other finalizer", "scope closed"])
          expect(yield* Guard.state(g)).toEqual({ _tag: "Disarmed" })
        } else {
          expect(exit).toEqual(Exit.fail("declined"))
          expect(log.events).toEqual(["other finalizer", "scope closed", "undo (Failure)"])
        }
      })
    )
  }
})
