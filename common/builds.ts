/**
 * Steps of ours that only build the next operation, told to the Effect 4 explorer: the first
 * step of `Resource.get` reads the resource's phase and returns its value or its error, for the
 * next step to deliver; it writes nothing. While an exploration watches (`watching > 0`), each
 * such step counts itself and names the fiber it ran in, and the explorer's dry runs cover the
 * point after it by the point before it (the `continuation` equivalence): interrupted or
 * preempted before it or after it, the fiber is in the same state. When nobody watches, the
 * step costs one comparison. One object per process (a global symbol), shared by every copy of
 * the packages loaded. Effect-free.
 *
 * @internal
 */
export interface Builds {
  /** Explorations watching now: the steps count themselves only while one does. */
  watching: number
  /** Building steps run since the process started (while watched). */
  count: number
  /** The fiber the last one ran in. */
  fiber: unknown
}

export const builds: Builds = (() => {
  const key = Symbol.for("@scopeguard/core/builds")
  const global = globalThis as { [key]?: Builds }
  return (global[key] ??= { watching: 0, count: 0, fiber: undefined })
})()
