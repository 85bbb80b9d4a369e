/**
 * Where in the user's code a fiber of effect 3.22 is (common/sites.ts, shared with the Effect 4
 * edition, reads the inspector): the frames of its continuation stack — an `Effect.gen`'s
 * suspended generator, a continuation's callbacks.
 *
 * @internal
 */
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

const frameOf = (frame: unknown): ReadonlyArray<Frame> => {
  const cont = frame as {
    _op?: unknown
    effect_instruction_i0?: unknown
    effect_instruction_i1?: unknown
    effect_instruction_i2?: unknown
  }
  if (cont._op === "Iterator") return generatorFrame(cont.effect_instruction_i0)
  return functionFrames([cont.effect_instruction_i1, cont.effect_instruction_i2])
}

/** Reads `fiber`'s continuation stack, top first, as raw locations. */
export const capture = (fiber: unknown): Captured | undefined =>
  captureStack((fiber as { _stack?: ReadonlyArray<unknown> })._stack, frameOf)
