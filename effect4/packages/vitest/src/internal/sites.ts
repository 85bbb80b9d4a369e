/**
 * Where in the user's code a fiber of effect 4.1 is (common/sites.ts, shared with the Effect 3
 * edition, reads the inspector): the frames of its continuation stack — an `Effect.gen`'s
 * suspended generator (`Iterator` frames keep it as `iterator`), a continuation's callbacks
 * (`flatMap`, `map`, `catchCause` keep the user's function as `payload` or as the
 * continuation itself).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import {
  available,
  type Captured,
  captureStack,
  type Frame,
  functionFrames,
  generatorFrame,
  resolveAll,
  type Site
} from "./common/sites.js"

export { available, type Captured, resolveAll, type Site }

/** The keys under which effect 4.1's frames keep their continuations, read from frames made here. */
const CONT_KEYS: ReadonlyArray<string> = (() => {
  const base = Effect.sync(() => 0)
  const keys = new Set<string>()
  for (const frame of [
    Effect.flatMap(base, () => base),
    Effect.catchCause(base, () => base),
    Effect.matchCauseEffect(base, { onFailure: () => base, onSuccess: () => base })
  ]) {
    for (const [key, value] of Object.entries(frame)) {
      if (key !== "payload" && typeof value === "function") keys.add(key)
    }
  }
  return Array.from(keys)
})()

const frameOf = (frame: unknown): ReadonlyArray<Frame> => {
  if (frame === null || typeof frame !== "object") return []
  const fields = frame as Record<string, unknown>
  if (typeof fields["iterator"] === "object" && fields["iterator"] !== null) {
    return generatorFrame(fields["iterator"])
  }
  return functionFrames([fields["payload"], ...CONT_KEYS.map((key) => fields[key])])
}

/** Reads `fiber`'s continuation stack, top first, as raw locations. */
export const capture = (fiber: unknown): Captured | undefined =>
  captureStack((fiber as { _stack?: ReadonlyArray<unknown> })._stack, frameOf)
