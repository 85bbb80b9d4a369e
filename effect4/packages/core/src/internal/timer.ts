import * as Duration from "effect/Duration"
import { InvalidOptionsError } from "../Errors.js"
import type * as Timer from "../Timer.js"
import * as timer from "./common/timer.js"

/** @internal */
export const MAX_DELAY_MILLIS = timer.MAX_DELAY_MILLIS

const decode = (option: string, duration: Duration.Input): Duration.Duration => {
  const decoded = InvalidOptionsError.decodeDuration(option, duration)
  if (decoded === undefined) {
    throw new InvalidOptionsError({
      option,
      value: duration,
      reason: InvalidOptionsError.durationReason
    })
  }
  return decoded
}

/** @internal */
export const delayMillis = (option: string, duration: Duration.Input): number | undefined => {
  const decoded = decode(option, duration)
  if (!Duration.isFinite(decoded)) return undefined
  return Math.min(Math.ceil(Duration.toMillis(decoded)), MAX_DELAY_MILLIS)
}

/** @internal */
export const set = (
  option: string,
  duration: Duration.Input,
  callback: () => void,
  options?: Timer.Options
): Timer.Cancel => {
  const decoded = decode(option, duration)
  if (!Duration.isFinite(decoded)) return () => {}
  return timer.arm(Duration.toMillis(decoded), callback, options?.keepAlive ?? true)
}
