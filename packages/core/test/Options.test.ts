/**
 * One rule for every option, checked when the effect runs: the tests the Effect 4 edition has
 * under these names (effect4/packages/core/test/Hardening.test.ts), for Effect 3's inputs. The
 * durations differ where the two `DurationInput`s do: Effect 3 has no `{ seconds }` objects and
 * no `"Infinity"` string (both unreadable here, both accepted by Effect 4), and `Duration.millis`
 * of a negative number is `Duration.zero` (a valid bound), not a negative duration.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, type Scope } from "effect"
import { Guard, InvalidOptionsError, Resource, Using, UsingError } from "@scopeguard/core"
import { makeLog } from "./util.js"

describe("every option is checked by one rule when the effect runs", () => {
  /** The option a run dies for, or `undefined` if it did not die with an InvalidOptionsError. */
  const refusal = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) =>
    Effect.map(Effect.exit(Effect.scoped(effect)), (exit) => {
      if (Exit.isSuccess(exit)) return undefined
      const defect = Cause.squash(exit.cause)
      return defect instanceof InvalidOptionsError ? defect.option : undefined
    })

  it.effect(
    "durations: NaN or negative parts, negative Effect 4 durations and unreadable strings",
    () =>
      Effect.gen(function* () {
        const log = makeLog()
        const durations: ReadonlyArray<unknown> = [
          Number.NaN,
          -1,
          -Infinity,
          BigInt(-1),
          [Number.NaN, 0],
          [1, -5],
          [1],
          [1, 2, 3],
          "-1 second",
          "-Infinity",
          "5s",
          "Infinity",
          { seconds: 1 },
          { seconds: -1 },
          { seconds: Number.NaN },
          null
        ]
        for (const option of ["releaseTimeout", "drainTimeout"] as const) {
          for (const value of durations) {
            const options = { [option]: value } as never
            expect(
              yield* refusal(Resource.make(log.acquire("x"), () => Effect.void, options))
            ).toBe(option)
          }
        }
        // Nothing was acquired: the options are checked first.
        expect(log.events).toEqual([])
        // What Effect 3 reads as a duration is accepted: pairs, Infinity, bigint nanos, a
        // Duration (`Duration.millis(-5)` is `Duration.zero`).
        for (const value of [[1, 5], Infinity, BigInt(5), 0, "1.5 seconds", Duration.millis(-5)]) {
          expect(
            yield* refusal(
              Resource.make(Effect.void, () => Effect.void, { releaseTimeout: value as never })
            )
          ).toBeUndefined()
        }
      })
  )

  it.effect("labels, choices and the options object itself", () =>
    Effect.gen(function* () {
      expect(
        yield* refusal(Resource.make(Effect.void, () => Effect.void, { label: 42 as never }))
      ).toBe("label")
      expect(
        yield* refusal(
          Resource.make(Effect.void, () => Effect.void, { warnIfNotClosed: "sometimes" as never })
        )
      ).toBe("warnIfNotClosed")
      expect(yield* refusal(Resource.make(Effect.void, () => Effect.void, null as never))).toBe(
        "options"
      )
      expect(yield* refusal(Guard.make(Effect.void, { when: "never" as never }))).toBe("when")
      expect(yield* refusal(Guard.make(Effect.void, { label: {} as never }))).toBe("label")
      expect(yield* refusal(Guard.onFailure(Effect.void, { label: 1 as never }))).toBe("label")
      expect(
        yield* refusal(Guard.step(Effect.void, () => Effect.void, { when: "later" as never }))
      ).toBe("when")
      expect(yield* refusal(Resource.fromScoped(Effect.void, { drainTimeout: -1 }))).toBe(
        "drainTimeout"
      )
      expect(yield* refusal(Using.resource(Effect.succeed(null), { label: 3 as never }))).toBe(
        "label"
      )
    })
  )

  it("Using.run: an invalid option rejects before anything runs", async () => {
    const ran: Array<string> = []
    const effect = Effect.sync(() => ran.push("ran"))
    for (const options of [{ signal: "abort" }, null]) {
      const error = await Using.run(effect, options as never).then(
        () => undefined,
        (e: unknown) => e
      )
      expect(error).toBeInstanceOf(UsingError)
      expect(Cause.squash((error as UsingError).cause)).toBeInstanceOf(InvalidOptionsError)
    }
    expect(ran).toEqual([])
  })
})
