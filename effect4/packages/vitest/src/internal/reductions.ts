/**
 * Sound reductions of the interrupt and yield modes: which points of a program behave exactly
 * like another point (or like the run without perturbation), read from what the two dry runs
 * note at every point. Three equivalences, each one a guarantee of effect 4.1's run loop
 * (`internal/effect.ts`, `FiberImpl`):
 *
 * - **deferred**: `interruptUnsafe` on an uninterruptible fiber only records the interruption
 *   (`_interruptedCause`, annotated with the target's current stack frame); it is acted on
 *   where the fiber becomes interruptible again, which reads the record (`setInterruptible`,
 *   `exitFailCause`). Two consecutive points with the target uninterruptible at both, the same
 *   stack frame, nothing reading or writing its record between them, and no other task queued
 *   at either (so the preemption itself lets nothing else run), give the same run.
 * - **continuation**: the operation between two consecutive points of one fiber only pushed a
 *   continuation frame (`flatMap`, `map`, `catchCause`, `matchCause`: `evaluateCont` pushes the
 *   primitive and returns its inner effect, running no code). Preempted or interrupted before
 *   the push, the fiber pushes the frame when it resumes; interrupted while paused, it unwinds
 *   through the frame as if it had not been pushed (a success frame has no failure handler;
 *   a failure handler is skipped by an interruption, and the interruption's cause has no typed
 *   failure for the skip to drop). Nobody else can see a fiber's stack: the same run.
 * - **idle**: a preemption where no other task is queued lets nothing run (the driver runs the
 *   fiber again at once), and interrupting a fiber that has ended does nothing: in yield mode,
 *   and in interrupt mode once the root has ended, the run is the run without perturbation.
 *
 * What each point needs is recorded as its run reaches it, in the dry runs only (reads of a
 * fiber's interruption record are watched there through an accessor on the fiber); both dry
 * runs must note the same, or nothing is reduced. The tests compare reduced and full
 * explorations on the same programs (`test/Reductions.test.ts`).
 *
 * @internal
 */
import { type FiberInfo, type FiberLike, fiberName, type Task } from "./controller.js"

/** Point bits. */
const QUIET = 1 // no other task could run if the point's fiber yielded
const ROOT_UNINTERRUPTIBLE = 2
const ROOT_DONE = 4
const OWNER_UNINTERRUPTIBLE = 8
const CONTINUATION = 16 // the operation since the previous point of this fiber, in this step, only pushed a frame
const FIRST = 32 // the first point of its step (reach: "turn-start")

/**
 * Whether a preemption now would switch to something else: a queued task that is not the
 * resumption of a fiber that has ended (Effect's tasks for an ended fiber return at once:
 * `FiberImpl.evaluate` does nothing once `_exit` is set). A task whose fiber is unknown (a
 * callback Effect queued, a Semaphore's wake-up) counts as something else.
 */
export const otherRunnable = (queue: ReadonlyArray<Task>): boolean => {
  for (const task of queue) {
    if (task.fiber === undefined || task.fiber._exit === undefined) return true
  }
  return false
}

/** The prototypes of the frames `evaluateCont` pushes (read once from effects made here). */
let contProtos: ReadonlySet<unknown> | undefined
const isContFrame = (frame: unknown): boolean => {
  if (contProtos === undefined) throw new Error("PointLog.prototypes was not set")
  return frame !== null && typeof frame === "object" && contProtos.has(Object.getPrototypeOf(frame))
}

/** Registers the continuation frames' prototypes (`flatMap`, `map`, `catchCause`, `matchCause`). */
export const setContPrototypes = (frames: ReadonlyArray<unknown>): void => {
  contProtos = new Set(frames.map((f) => Object.getPrototypeOf(f)))
}

interface Internals {
  readonly _stack: Array<unknown>
  readonly cache: { readonly stackFrame: unknown }
  readonly currentOpCount: number
}
const internals = (fiber: FiberLike): Internals => fiber as unknown as Internals

/**
 * The continuation equivalence, point by point: `next` tells whether the operation a fiber ran
 * since the run's previous point — its own, in the same driver step (nothing else ran between)
 * — only pushed a continuation frame onto the stack it had then. Used by the dry runs'
 * `PointLog` and by exhaustive mode, which skips a preemption right before such a push (the
 * preemption right after it makes the same run).
 */
export class ContinuationWatch {
  private last: { fiber: FiberLike; step: number; length: number; top: unknown } | undefined

  next(fiber: FiberLike, step: number): boolean {
    const stack = internals(fiber)._stack
    const length = stack.length
    const top = length === 0 ? undefined : stack[length - 1]
    const last = this.last
    const linked =
      last !== undefined &&
      last.fiber === fiber &&
      last.step === step &&
      length === last.length + 1 &&
      (last.length === 0 || stack[length - 2] === last.top) &&
      isContFrame(top)
    this.last = { fiber, step, length, top }
    return linked
  }
}

/**
 * What a dry run notes at each point (index: the point; 0 unused). Reads of the interruption
 * record are counted per fiber, cumulatively, so two points' counts differ exactly when
 * something read (or wrote) it between them.
 */
export class PointLog {
  readonly owner: Array<number> = [0]
  readonly step: Array<number> = [0]
  readonly bits: Array<number> = [0]
  readonly rootReads: Array<number> = [0]
  readonly ownerReads: Array<number> = [0]
  readonly rootFrame: Array<number> = [0]
  readonly ownerFrame: Array<number> = [0]
  readonly ops: Array<number> = [0]
  /** The point's fiber's parent (local id; 0: none). */
  readonly parent: Array<number> = [0]
  private readonly reads = new Map<FiberLike, { n: number }>()
  private readonly frames = new Map<unknown, number>()
  private readonly continuation = new ContinuationWatch()

  private frameId(frame: unknown): number {
    if (frame === undefined) return 0
    let id = this.frames.get(frame)
    if (id === undefined) {
      id = this.frames.size + 1
      this.frames.set(frame, id)
    }
    return id
  }

  /** Counts every access to `fiber._interruptedCause` from now on (the dry run's fibers only). */
  private watch(fiber: FiberLike): { n: number } {
    let counter = this.reads.get(fiber)
    if (counter !== undefined) return counter
    const c = { n: 0 }
    counter = c
    this.reads.set(fiber, c)
    let value: unknown = fiber._interruptedCause
    Object.defineProperty(fiber, "_interruptedCause", {
      configurable: true,
      enumerable: true,
      get() {
        c.n++
        return value
      },
      set(next: unknown) {
        c.n++
        value = next
      }
    })
    return counter
  }

  /** The point `point` of `fiber` (its step's `first` or not), in step `step`. */
  note(
    point: number,
    fiber: FiberLike,
    first: boolean,
    step: number,
    root: FiberLike | undefined,
    queue: ReadonlyArray<Task>,
    info: FiberInfo
  ): void {
    const ownerCounter = this.watch(fiber)
    const rootCounter = root === undefined ? undefined : this.watch(root)
    let bits = 0
    if (!otherRunnable(queue)) bits |= QUIET
    if (first) bits |= FIRST
    if (root !== undefined && root._exit !== undefined) bits |= ROOT_DONE
    else if (root !== undefined && !root.interruptible) bits |= ROOT_UNINTERRUPTIBLE
    if (!fiber.interruptible) bits |= OWNER_UNINTERRUPTIBLE
    if (this.continuation.next(fiber, step)) bits |= CONTINUATION
    this.owner[point] = info.local
    this.parent[point] = info.parent ?? 0
    this.step[point] = step
    this.bits[point] = bits
    this.ownerReads[point] = ownerCounter.n
    this.rootReads[point] = rootCounter?.n ?? 0
    this.ownerFrame[point] = this.frameId(internals(fiber).cache.stackFrame)
    this.rootFrame[point] = root === undefined ? 0 : this.frameId(internals(root).cache.stackFrame)
    this.ops[point] = internals(fiber).currentOpCount
  }

  get points(): number {
    return this.owner.length - 1
  }

  /** The point's fiber, as a run perturbed there names it. */
  fiberName(point: number): string {
    const parent = this.parent[point]!
    return fiberName({ local: this.owner[point]!, parent: parent === 0 ? undefined : parent })
  }

  /** Where a preemption at `point` falls, as `preempted` records it for a run. */
  reach(point: number): { readonly first: boolean; readonly ops: number } {
    return { first: (this.bits[point]! & FIRST) !== 0, ops: this.ops[point]! }
  }

  /** Whether two dry runs noted the same (frame ids are numbered in order of appearance). */
  sameAs(other: PointLog): boolean {
    const columns: Array<keyof PointLog> = [
      "owner",
      "step",
      "bits",
      "rootReads",
      "ownerReads",
      "rootFrame",
      "ownerFrame",
      "ops",
      "parent"
    ]
    for (const column of columns) {
      const a = this[column] as Array<number>
      const b = other[column] as Array<number>
      if (a.length !== b.length) return false
      for (let i = 1; i < a.length; i++) if (a[i] !== b[i]) return false
    }
    return true
  }
}

/** How a point relates to the points before it. */
export const enum Cover {
  /** Runs on its own (or is the first of its class). */
  None = 0,
  Deferred = 1,
  Continuation = 2,
  /** The run without perturbation. */
  Idle = 3
}

/** The classes of equivalent points: `cls[p]` (0: the run without perturbation), `by[p]`. */
export interface Classes {
  readonly cls: Int32Array
  readonly by: Uint8Array
}

/**
 * The classes of `log`'s points for a mode: `"y"` yield, `"i"` interrupt the root, `"h"`
 * interrupt the point's fiber. Point `p` joins the class of `p - 1` when one of the
 * equivalences links them (they are transitive: a class is a stretch of linked points).
 */
export const classesOf = (log: PointLog, kind: "y" | "i" | "h"): Classes => {
  const n = log.points
  const cls = new Int32Array(n + 1)
  const by = new Uint8Array(n + 1)
  const { bits, owner, step } = log
  // What the deferred equivalence reads of the interruption's target.
  const target =
    kind === "h"
      ? { uninterruptible: OWNER_UNINTERRUPTIBLE, reads: log.ownerReads, frame: log.ownerFrame }
      : { uninterruptible: ROOT_UNINTERRUPTIBLE, reads: log.rootReads, frame: log.rootFrame }
  for (let p = 1; p <= n; p++) {
    const b = bits[p]!
    const quiet = (b & QUIET) !== 0
    if (quiet && (kind === "y" || (kind === "i" && (b & ROOT_DONE) !== 0))) {
      cls[p] = 0
      by[p] = Cover.Idle
      continue
    }
    cls[p] = p
    if (p === 1) continue
    const a = bits[p - 1]!
    const sameFiberStep = owner[p] === owner[p - 1] && step[p] === step[p - 1]
    // `p - 1` idle (the run without perturbation) and `p` not: different runs.
    if (by[p - 1] === Cover.Idle) continue
    if (sameFiberStep && (b & CONTINUATION) !== 0) {
      cls[p] = cls[p - 1]!
      by[p] = Cover.Continuation
      continue
    }
    if (kind === "y" || !quiet || (a & QUIET) === 0) continue
    // The target: the root, or (holder) the point's own fiber, which must then be the same.
    if (
      (kind === "i" || sameFiberStep) &&
      (a & b & target.uninterruptible) !== 0 &&
      target.reads[p] === target.reads[p - 1] &&
      target.frame[p] === target.frame[p - 1]
    ) {
      cls[p] = cls[p - 1]!
      by[p] = Cover.Deferred
    }
  }
  return { cls, by }
}
