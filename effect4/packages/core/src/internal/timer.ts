import * as Duration from "effect/Duration"
import { InvalidOptionsError } from "../Errors.js"
import type * as Timer from "../Timer.js"

/** @internal */
export const MAX_DELAY_MILLIS = 2 ** 31 - 1

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
  const keepAlive = options?.keepAlive ?? true
  let remaining = Math.ceil(Duration.toMillis(decoded))
  let handle: ReturnType<typeof setTimeout> | undefined
  let cancelled = false
  const arm = () => {
    const step = Math.min(remaining, MAX_DELAY_MILLIS)
    remaining -= step
    handle = setTimeout(() => {
      handle = undefined
      if (cancelled) return
      if (remaining > 0) return arm()
      cancelled = true
      callback()
    }, step)
    if (!keepAlive) handle.unref()
  }
  arm()
  return () => {
    cancelled = true
    if (handle !== undefined) clearTimeout(handle)
    handle = undefined
  }
}
