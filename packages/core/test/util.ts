import { Effect, type Scope } from "effect"

/** An append-only event log: the witness that cleanup ran, once, in order. */
export const makeLog = () => {
  const events: Array<string> = []
  return {
    events,
    add: (event: string) =>
      Effect.sync(() => {
        events.push(event)
      }),
    acquire: (name: string) =>
      Effect.sync(() => {
        events.push(`acquire ${name}`)
        return name
      })
  }
}

/**
 * How many finalizers a scope holds. Effect exposes no public count, so this reads the
 * scope's internal state; it is the only way to prove that removed entries are really gone.
 */
export const finalizerCount = (scope: Scope.Scope): number => {
  const state = (
    scope as unknown as { state: { _tag: string; finalizers?: Map<unknown, unknown> } }
  ).state
  return state._tag === "Open" ? (state.finalizers?.size ?? 0) : 0
}
