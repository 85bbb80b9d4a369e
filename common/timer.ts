/**
 * A real timer of any length, in both editions: Node's `setTimeout` turns a delay above
 * 2³¹−1 ms into 1 ms, so a longer one is armed in steps. Effect-free: each edition's `Timer`
 * decodes the user's duration, then calls `arm` with milliseconds.
 *
 * @internal
 */

/** The longest delay `setTimeout` keeps (2³¹−1 ms, about 24.8 days). */
export const MAX_DELAY_MILLIS = 2 ** 31 - 1

/**
 * Calls `callback` once after `millis` (a finite, non-negative number), unless the returned
 * cancel comes first. With `keepAlive: false` the timer does not keep the process alive.
 */
export const arm = (millis: number, callback: () => void, keepAlive: boolean): (() => void) => {
  let remaining = Math.ceil(millis)
  let handle: ReturnType<typeof setTimeout> | undefined
  let cancelled = false
  const step = () => {
    const delay = Math.min(remaining, MAX_DELAY_MILLIS)
    remaining -= delay
    handle = setTimeout(() => {
      handle = undefined
      if (cancelled) return
      if (remaining > 0) return step()
      cancelled = true
      callback()
    }, delay)
    if (!keepAlive) handle.unref()
  }
  step()
  return () => {
    cancelled = true
    if (handle !== undefined) clearTimeout(handle)
    handle = undefined
  }
}
