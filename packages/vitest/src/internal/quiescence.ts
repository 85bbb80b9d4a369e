/**
 * What a run is still waiting for outside its fibers, to tell a hang without waiting for the
 * wall-clock bound.
 *
 * A run whose fibers are all suspended (no task of theirs on the scheduler) can only go on if
 * something outside the fibers resumes one: a timer, I/O, a promise, a fiber outside the run.
 * Node's `async_hooks` report every such source as it is made; the ones made while a fiber of
 * the run executes (or inside a callback of one already owned) are the run's own. A run with
 * nothing runnable and none of its own sources pending — a timer counts only if it fires before
 * the run's bound ends — can never go on: it is stuck, and is reported at once.
 *
 * Where Node's `async_hooks` are missing (`process.getBuiltinModule` is Node ≥ 20.16), nothing
 * is tracked and every hang waits for the bound.
 *
 * @internal
 */

/** The subset of `node:async_hooks` used here. */
interface AsyncHooks {
  readonly createHook: (callbacks: {
    init?: (asyncId: number, type: string, triggerAsyncId: number, resource: object) => void
    before?: (asyncId: number) => void
    destroy?: (asyncId: number) => void
    promiseResolve?: (asyncId: number) => void
  }) => { enable: () => unknown; disable: () => unknown }
  readonly executionAsyncId: () => number
}

const asyncHooks: AsyncHooks | undefined = (() => {
  try {
    const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
      ?.getBuiltinModule
    const hooks = typeof get === "function" ? get("node:async_hooks") : undefined
    return hooks !== undefined &&
      typeof (hooks as AsyncHooks).createHook === "function" &&
      typeof (hooks as AsyncHooks).executionAsyncId === "function"
      ? (hooks as AsyncHooks)
      : undefined
  } catch {
    return undefined
  }
})()

/** Whether this runtime lets the explorer tell a stuck run at once. */
export const available = asyncHooks !== undefined

/** The key under which Effect's runtime keeps the fiber that is executing. */
const CURRENT_FIBER = "effect/FiberCurrent"

/** One pending source of a run: when it is done, and (a timer) when it fires. */
interface Source {
  readonly type: string
  /** A timer's next firing (performance.now() ms); an interval's period is `every`. */
  due: number
  readonly every: number
}

/** A pending promise: done when it resolves. */
const PROMISE: Source = { type: "PROMISE", due: 0, every: 0 }

/** The sources one run owns, and who to tell when one completes. */
export class Owner {
  /** Every async id the run made (its callbacks' wake-ups are the run's own). */
  readonly ids: Array<number> = []
  /** The ones still pending. */
  readonly pending = new Map<number, Source>()
  /** Called (at most once per completion) when a pending source is done or runs. */
  onChange: () => void = () => {}
  constructor(readonly isRunFiber: (fiber: unknown) => boolean) {}

  /** Whether a callback of this run's own sources is executing now. */
  executing(): boolean {
    return asyncHooks !== undefined && byId.get(asyncHooks.executionAsyncId()) === this
  }

  /** How many sources could still resume the run before `deadline` (performance.now() ms). */
  live(deadline: number): number {
    let n = 0
    for (const source of this.pending.values()) {
      if (source.type !== "Timeout" || source.due <= deadline) n++
    }
    return n
  }
}

const owners: Array<Owner> = []
/** Which owner made each async id (for the callbacks of its sources). */
const byId = new Map<number, Owner>()
/** Set while the explorer itself makes a timer or an immediate: never the run's. */
let internal = false

const ownerNow = (): Owner | undefined => {
  const fiber = (globalThis as Record<string, unknown>)[CURRENT_FIBER]
  if (fiber !== undefined) {
    for (let i = 0; i < owners.length; i++) if (owners[i]!.isRunFiber(fiber)) return owners[i]
  }
  return byId.size === 0 || asyncHooks === undefined
    ? undefined
    : byId.get(asyncHooks.executionAsyncId())
}

const done = (asyncId: number) => {
  const owner = byId.get(asyncId)
  if (owner !== undefined && owner.pending.delete(asyncId)) owner.onChange()
}

const hook = asyncHooks?.createHook({
  init: (asyncId, type, _trigger, resource) => {
    if (internal || owners.length === 0) return
    const owner = ownerNow()
    if (owner === undefined) return
    owner.ids.push(asyncId)
    byId.set(asyncId, owner)
    if (type === "PROMISE") {
      owner.pending.set(asyncId, PROMISE)
      return
    }
    const timer = resource as { _idleTimeout?: unknown; _repeat?: unknown }
    const after = typeof timer._idleTimeout === "number" ? timer._idleTimeout : 0
    const every = typeof timer._repeat === "number" ? timer._repeat : 0
    owner.pending.set(asyncId, { type, due: performance.now() + Math.max(0, after), every })
  },
  before: (asyncId) => {
    const owner = byId.get(asyncId)
    const source = owner?.pending.get(asyncId)
    if (source === undefined || source === PROMISE) return
    // A timer, an immediate or a tick runs its callback once (an interval again later).
    if (source.type === "Timeout" && source.every > 0) {
      source.due = performance.now() + source.every
    } else if (
      source.type === "Timeout" ||
      source.type === "Immediate" ||
      source.type === "TickObject"
    ) {
      owner!.pending.delete(asyncId)
      owner!.onChange()
    }
  },
  destroy: done,
  promiseResolve: done
})

/** Explorations under way: the hook stays enabled from the first one's start to the last one's end. */
let holders = 0

/** Keeps the hook enabled (for an exploration's runs), until `release`. */
export const hold = (): void => {
  if (hook !== undefined && holders++ === 0) hook.enable()
}

export const release = (): void => {
  if (hook !== undefined && holders > 0 && --holders === 0) hook.disable()
}

/**
 * Starts tracking a run's sources; `end` stops. `undefined` where nothing can be tracked or
 * no exploration `hold`s the hook.
 */
export const track = (isRunFiber: (fiber: unknown) => boolean): Owner | undefined => {
  if (hook === undefined || holders === 0) return undefined
  const owner = new Owner(isRunFiber)
  owners.push(owner)
  return owner
}

export const end = (owner: Owner | undefined): void => {
  const index = owner === undefined ? -1 : owners.indexOf(owner)
  if (index < 0) return
  owners.splice(index, 1)
  for (const id of owner!.ids) byId.delete(id)
  owner!.ids.length = 0
  owner!.pending.clear()
}

/** Runs `f` (which makes a timer or an immediate of the explorer's own) untracked. */
export const untracked = <A>(f: () => A): A => {
  const before = internal
  internal = true
  try {
    return f()
  } finally {
    internal = before
  }
}
