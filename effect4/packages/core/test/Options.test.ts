/**
 * One rule for every option, checked when the effect runs. The Effect 3 edition has these
 * tests under the same names (packages/core/test/Options.test.ts), for its own inputs: the
 * durations differ where the two `DurationInput`s do (Effect 4 reads `{ seconds }` objects,
 * `"Infinity"` and negative durations; Effect 3 has none of them).
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, type Scope } from "effect"
import { Guard, InvalidOptionsError, Resource, Using, UsingError } from "@scopeguard/core"
import { makeLog } from "./util.js"

describe("every option is checked by one rule when the effect runs", () => {
  /** The defect a run dies with, or `undefined` if it did not die with an InvalidOptionsError. */
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
          BigInt(-1),
          [Number.NaN, 0],
          [1, -5],
          [1],
          "-1 second",
          "-Infinity",
          "5s",
          { seconds: -1 },
          { seconds: Number.NaN },
          Duration.millis(-5),
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
        // What Effect 4 reads as a duration is accepted: objects, pairs, Infinity, bigint nanos.
        for (const value of [{ seconds: 1 }, [1, 5], "Infinity", BigInt(5), 0, "1.5 seconds"]) {
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
