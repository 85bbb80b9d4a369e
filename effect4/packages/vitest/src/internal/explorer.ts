/**
 * The explorer of the Effect 4 edition, on a deterministic scheduler of its own (`Controller`):
 * every fiber of a run runs only when the explorer says so, so a run is a function of its
 * schedule — the points where the running fiber is preempted (and the root or the holder
 * interrupted) and which ready fiber runs at each step. A schedule is written as tokens:
 * `y12` preempt at point 12, `i12` preempt there and interrupt the root, `h12` interrupt the
 * holder, `s5:2` run the third queued task at step 5 (the default is Effect's own order).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Fiber from "effect/Fiber"
import * as Scheduler from "effect/Scheduler"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import * as TestConsole from "effect/testing/TestConsole"
import { InvalidOptionsError, Timer, Tracking } from "@scopeguard/core"
import { InterruptionError } from "../Errors.js"
import type * as Interruption from "../Interruption.js"
import { Controller, defaultPick, type FiberLike, type Strategy, type Task } from "./controller.js"
import { describeEntry, describeLive } from "./describe.js"
import { makeUnsafe as makeProbe } from "./leakProbe.js"
import { type Console as ProgressTarget, make as makeProgress, stderr } from "./common/progress.js"
import { toRanges as groupRanges } from "./common/ranges.js"
import * as sites from "./sites.js"
import {
  type Classes,
  classesOf,
  Cover,
  ContinuationWatch,
  otherRunnable,
  PointLog,
  setContPrototypes
} from "./reductions.js"

{
  // The frames `evaluateCont` pushes: `flatMap`/`map`/`as`/`tap`, `catchCause`/`mapError`,
  // `matchCauseEffect` (see reductions.ts).
  const base = Effect.sync(() => 0)
  setContPrototypes([
    Effect.flatMap(base, () => base),
    Effect.catchCause(base, () => base),
    Effect.matchCauseEffect(base, { onFailure: () => base, onSuccess: () => base })
  ])
}

interface Settings {
  readonly mode: Interruption.Mode
  readonly target: "root" | "holder"
  readonly hangTimeout: Duration.Duration
  readonly hangMillis: number
  readonly leaks: boolean
  readonly fibers: boolean
  readonly defects: boolean
  readonly progress: boolean
  readonly seed: number
  readonly runs: number
  readonly depth: number
  readonly shrink: boolean
  readonly preemptions: number
  readonly maxSchedules: number
  readonly reduce: boolean
  /** Each run on fresh test services (`isolate`), decided when the exploration starts. */
  readonly isolate: boolean
  readonly sample: { readonly runs: number; readonly seed: number } | undefined
  /** Budget mode: the budgets swept. */
  readonly budgets: ReadonlyArray<number>
  readonly failOn: "any" | "reachable"
  readonly check:
    ((exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void, unknown, any>) | undefined
}

const DEFAULT_HANG_TIMEOUT = "2 seconds"
/** How often a run waiting on the outside world looks again whether anything is left (ms). */
const OUTSIDE_POLL_MILLIS = 20
/** A run without interruption may take this long before it is a hang (real time, ms). */
const DRY_RUN_BOUND = 10_000

const positiveInteger = (option: string, value: unknown, fallback: number, min = 1): number => {
  if (value === undefined) return fallback
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionsError({ option, value, reason: `is not an integer of at least ${min}` })
  }
  return value
}

const boolean = (option: string, value: unknown, fallback: boolean): boolean => {
  if (value === undefined) return fallback
  if (typeof value !== "boolean") {
    throw new InvalidOptionsError({ option, value, reason: "is not a boolean" })
  }
  return value
}

const MODES: ReadonlyArray<Interruption.Mode> = [
  "interrupt",
  "yield",
  "pct",
  "exhaustive",
  "budget"
]

/** Budget mode's default budgets: 10 to 16, 32, 64 and 2048 (Effect's own), as on Effect 3. */
const DEFAULT_BUDGETS: ReadonlyArray<number> = [10, 11, 12, 13, 14, 15, 16, 32, 64, 2048]

/**
 * Budget mode's budgets: `budgets` (a non-empty array) or `budget` (one), each an integer of at
 * least 10 (the `MaxOpsBeforeYield` a program sets; below 10 no setting preempts, and the
 * Effect 3 edition's runtime livelocks).
 */
const checkBudgets = (options: Interruption.Options<any> | undefined): ReadonlyArray<number> => {
  const isBudget = (b: unknown): b is number =>
    typeof b === "number" && Number.isInteger(b) && b >= 10
  const { budgets, budget } = options ?? {}
  if (budget !== undefined) {
    if (!isBudget(budget)) {
      throw new InvalidOptionsError({
        option: "budget",
        value: budget,
        reason: "is not an integer of at least 10"
      })
    }
    if (budgets !== undefined) {
      throw new InvalidOptionsError({
        option: "budget",
        value: budget,
        reason: "is given with budgets: give one of them"
      })
    }
    return [budget]
  }
  if (budgets === undefined) return DEFAULT_BUDGETS
  if (!Array.isArray(budgets) || budgets.length === 0 || !budgets.every(isBudget)) {
    throw new InvalidOptionsError({
      option: "budgets",
      value: budgets,
      reason: "is not a non-empty array of integers of at least 10"
    })
  }
  return [...budgets]
}

/** Exhaustive mode: the schedules run at most, the one without preemption included. */
const DEFAULT_MAX_SCHEDULES = 10_000

const checkSample = (sample: unknown, mode: Interruption.Mode): Settings["sample"] => {
  if (sample === undefined) return undefined
  const { runs, seed } = (typeof sample === "object" && sample !== null ? sample : {}) as {
    runs?: unknown
    seed?: unknown
  }
  if (
    typeof sample !== "object" ||
    sample === null ||
    typeof runs !== "number" ||
    !Number.isInteger(runs) ||
    runs < 1 ||
    !(seed === undefined || (typeof seed === "number" && Number.isSafeInteger(seed)))
  ) {
    throw new InvalidOptionsError({
      option: "sample",
      value: sample,
      reason: "is not { runs: a positive integer, seed?: an integer }"
    })
  }
  if (mode !== "interrupt" && mode !== "yield" && mode !== "budget") {
    throw new InvalidOptionsError({
      option: "sample",
      value: sample,
      reason: `samples points, which only the "interrupt", "yield" and "budget" modes run one by one (pct: \`runs\`; exhaustive: \`maxSchedules\`)`
    })
  }
  return { runs, seed: (seed as number | undefined) ?? 1 }
}

/**
 * `runs` distinct points of `1..points`, increasing, each set of `runs` equally likely, from a
 * generator seeded with `seed`: the same seed, the same points (a partial Fisher–Yates shuffle
 * over a sparse map, so a program of a million points costs `runs` entries).
 */
export const samplePoints = (points: number, runs: number, seed: number): Array<number> => {
  if (runs >= points) return Array.from({ length: points }, (_, i) => i + 1)
  const rng = random(seed)
  const moved = new Map<number, number>()
  const at = (i: number) => moved.get(i) ?? i
  const chosen: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const j = i + Math.floor(rng() * (points - i))
    const picked = at(j)
    moved.set(j, at(i))
    chosen.push(picked + 1)
  }
  return chosen.sort((a, b) => a - b)
}

const checkOptions = (options: Interruption.Options<any> | undefined): Settings => {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new InvalidOptionsError({ option: "options", value: options, reason: "is not an object" })
  }
  const mode = options?.mode ?? "interrupt"
  if (mode === "all") {
    throw new InvalidOptionsError({
      option: "mode",
      value: mode,
      reason: "sweeps passes, which only explore and assertEveryStep do: give the failure's mode"
    })
  }
  if (!MODES.includes(mode)) {
    throw new InvalidOptionsError({
      option: "mode",
      value: mode,
      reason: 'is not one of "interrupt", "yield", "pct", "exhaustive", "budget"'
    })
  }
  const target = options?.target ?? "root"
  if (target !== "root" && target !== "holder") {
    throw new InvalidOptionsError({
      option: "target",
      value: target,
      reason: 'is not one of "root", "holder"'
    })
  }
  const check = options?.check
  if (check !== undefined && typeof check !== "function") {
    throw new InvalidOptionsError({ option: "check", value: check, reason: "is not a function" })
  }
  const hangTimeout = InvalidOptionsError.decodeDuration(
    "hangTimeout",
    options?.hangTimeout ?? DEFAULT_HANG_TIMEOUT
  )!
  const seed = options?.seed ?? 1
  if (typeof seed !== "number" || !Number.isSafeInteger(seed)) {
    throw new InvalidOptionsError({ option: "seed", value: seed, reason: "is not an integer" })
  }
  const sample = checkSample(options?.sample, mode)
  const failOn = options?.failOn ?? "reachable"
  if (failOn !== "any" && failOn !== "reachable") {
    throw new InvalidOptionsError({
      option: "failOn",
      value: failOn,
      reason: 'is not "any" or "reachable"'
    })
  }
  return {
    mode,
    target,
    hangTimeout,
    hangMillis: Duration.toMillis(hangTimeout),
    leaks: boolean("leaks", options?.leaks, true),
    fibers: boolean("fibers", options?.fibers, true),
    defects: boolean("defects", options?.defects, true),
    progress: boolean("progress", options?.progress, true),
    shrink: boolean("shrink", options?.shrink, true),
    seed,
    runs: positiveInteger("runs", options?.runs, 100),
    depth: positiveInteger("depth", options?.depth, 2),
    preemptions: positiveInteger("preemptions", options?.preemptions, 2, 0),
    maxSchedules: positiveInteger("maxSchedules", options?.maxSchedules, DEFAULT_MAX_SCHEDULES),
    reduce: boolean("reduce", options?.reduce, true),
    // Decided when the exploration starts (`onTestClock`) unless given.
    isolate: boolean("isolate", options?.isolate, false),
    sample,
    budgets: checkBudgets(options),
    failOn,
    check
  }
}

// ---------------------------------------------------------------------------------------------
// Schedules

type Token =
  | { readonly kind: "y" | "i" | "h"; readonly point: number }
  | { readonly kind: "s"; readonly step: number; readonly index: number }
  /** Budget mode: every fiber yields once it has run `budget` operations of its turn. */
  | { readonly kind: "b"; readonly budget: number }
  /** Budget mode: at the end of turn `end`, interrupt the root (`e`) or that turn's fiber (`eh`). */
  | { readonly kind: "e" | "eh"; readonly end: number }

const formatToken = (t: Token): string =>
  t.kind === "s"
    ? `s${t.step}:${t.index}`
    : t.kind === "b"
      ? `b${t.budget}`
      : "end" in t
        ? `${t.kind}${t.end}`
        : `${t.kind}${t.point}`

/** `"i12"`, `"y3 s4:1 y9"`; the empty string is the schedule without preemption. */
export const formatSchedule = (tokens: ReadonlyArray<Token>): string =>
  tokens.map(formatToken).join(" ")

const parseSchedule = (schedule: unknown): Array<Token> => {
  if (typeof schedule !== "string") {
    throw new InvalidOptionsError({
      option: "schedule",
      value: schedule,
      reason: "is not a string"
    })
  }
  const tokens: Array<Token> = []
  for (const word of schedule.split(/\s+/)) {
    if (word === "") continue
    const point = /^([yih])([1-9]\d*)$/.exec(word)
    if (point !== null) {
      tokens.push({ kind: point[1] as "y" | "i" | "h", point: Number(point[2]) })
      continue
    }
    const pick = /^s([1-9]\d*):(\d+)$/.exec(word)
    if (pick !== null) {
      tokens.push({ kind: "s", step: Number(pick[1]), index: Number(pick[2]) })
      continue
    }
    const budget = /^b([1-9]\d*)$/.exec(word)
    if (budget !== null) {
      tokens.push({ kind: "b", budget: Number(budget[1]) })
      continue
    }
    const end = /^(eh?)([1-9]\d*)$/.exec(word)
    if (end !== null) {
      tokens.push({ kind: end[1] as "e" | "eh", end: Number(end[2]) })
      continue
    }
    throw new InvalidOptionsError({
      option: "schedule",
      value: schedule,
      reason: `has "${word}", which is none of yN, iN, hN, sN:M, bN, eN, ehN`
    })
  }
  // A number past 2^53 would be read as another one: refused rather than run elsewhere.
  for (const t of tokens) {
    const n = t.kind === "s" ? t.step : t.kind === "b" ? t.budget : "end" in t ? t.end : t.point
    if (!Number.isSafeInteger(n) || (t.kind === "s" && !Number.isSafeInteger(t.index))) {
      throw new InvalidOptionsError({
        option: "schedule",
        value: schedule,
        reason: "has a number too large to be a point"
      })
    }
  }
  // Budget mode's runs are the runtime's own turns: a budget takes turn ends (eN, ehN), never
  // the preemptions or picks of the explorer's scheduler, which such a run would not follow.
  if (tokens.some((t) => t.kind === "b")) {
    const other = tokens.find((t) => t.kind !== "b" && t.kind !== "e" && t.kind !== "eh")
    if (other !== undefined || tokens.filter((t) => t.kind === "b").length > 1) {
      throw new InvalidOptionsError({
        option: "schedule",
        value: schedule,
        reason: `has ${other === undefined ? "two budgets" : `"${formatToken(other)}" with a budget`}: a budget mode schedule is bN, then at most one eN or ehN (a turn end)`
      })
    }
  }
  return tokens
}

/** The perturbations of a schedule: its preemptions and interruptions (a budget is neither). */
const preemptions = (tokens: ReadonlyArray<Token>): number =>
  tokens.filter((t) => t.kind !== "s" && t.kind !== "b").length

/** What a strategy needs of its run. */
interface RunHandle {
  readonly controller: () => Controller
  readonly root: () => FiberLike | undefined
  readonly interruptRoot: () => void
  /** Decisions taken, in order: the run's schedule. */
  readonly log: Array<Token>
  /** Where the first preemption fell: its turn's first point, or how many ops into it. */
  reach: { readonly first: boolean; readonly ops: number } | undefined
  /** The fiber the run was perturbed at (`fiber 2 (a child of fiber 1)`). */
  fiber: string | undefined
  /** Whether to read the perturbed fiber's stack there (`near`: a replay, never a sweep). */
  readonly wantNear: boolean
  /** That stack, raw: resolved once the run is over (`sites.resolveAll`). */
  near: sites.Captured | undefined
}

type MakeStrategy = (run: RunHandle) => Strategy

const preempted = (run: RunHandle, fiber: FiberLike, first: boolean) => {
  // The first perturbation: where the fiber is in the user's code (its `yield*`).
  if (run.wantNear && run.fiber === undefined) run.near = sites.capture(fiber)
  if (run.reach === undefined) {
    run.reach = { first, ops: (fiber as unknown as { currentOpCount: number }).currentOpCount }
  }
  run.fiber ??= run.controller().name(fiber)
}

/** Follows a schedule exactly; Effect's own order everywhere else. */
const replayStrategy =
  (tokens: ReadonlyArray<Token>): MakeStrategy =>
  (run) => {
    const points = new Map<number, "y" | "i" | "h">()
    const picks = new Map<number, number>()
    for (const t of tokens) {
      if (t.kind === "s") picks.set(t.step, t.index)
      else if ("point" in t) points.set(t.point, t.kind)
    }
    return {
      point: (point, fiber, first) => {
        const kind = points.get(point)
        if (kind === undefined) return false
        run.log.push({ kind, point })
        preempted(run, fiber, first)
        if (kind === "i") run.controller().runNext(run.interruptRoot)
        else if (kind === "h") run.controller().runNext(() => fiber.interruptUnsafe())
        return true
      },
      pick: (queue, step) => {
        const index = picks.get(step)
        if (index !== undefined && index < queue.length) {
          run.log.push({ kind: "s", step, index })
          return index
        }
        return defaultPick(queue)
      }
    }
  }

/** A dry run that notes, at every point, what the reductions need (see reductions.ts). */
const recordingStrategy =
  (log: PointLog): MakeStrategy =>
  (run) => ({
    point: (point, fiber, first) => {
      const controller = run.controller()
      log.note(
        point,
        fiber,
        first,
        controller.steps,
        run.root(),
        controller.queue,
        controller.info(fiber)
      )
      return false
    },
    pick: (queue) => defaultPick(queue)
  })

/**
 * Budget mode: the schedule Effect's default scheduler makes with `Scheduler.MaxOpsBeforeYield`
 * set to `budget` — every fiber yields once it has run `budget` operations of its turn
 * (`MixedScheduler.shouldYield`: `currentOpCount >= maxOpsBeforeYield`), the queue in Effect's
 * own order — and, when `interruptAt` is given, an interruption at the end of that turn (a
 * budget yield, a `yieldNow`, an async wait, a fiber's end: every step of a queued task ends a
 * turn), sent before the next turn starts: to the root, or (`holder`) to the fiber whose turn
 * it was. `counter.ends` counts the turn ends.
 */
const budgetStrategy =
  (
    budget: number,
    interruptAt: number | undefined,
    holder: boolean,
    counter: { ends: number; readonly owners?: Array<number> }
  ): MakeStrategy =>
  (run) => {
    run.log.push({ kind: "b", budget })
    // Reached with this budget: every turn end of the run is one the default scheduler makes
    // with it, and so is the run without interruption.
    run.reach = { first: false, ops: budget }
    return {
      point: (_point, fiber) =>
        (fiber as unknown as { currentOpCount: number }).currentOpCount >= budget,
      pick: (queue) => defaultPick(queue),
      stepEnd: (owner) => {
        if (owner === undefined) return
        const end = ++counter.ends
        counter.owners?.push(run.controller().info(owner).local)
        if (end !== interruptAt) return
        run.log.push({ kind: holder ? "eh" : "e", end })
        if (run.wantNear) run.near = sites.capture(owner)
        run.fiber = run.controller().name(owner)
        run.controller().runNext(holder ? () => owner.interruptUnsafe() : run.interruptRoot)
      }
    }
  }

/** The strategy a schedule string describes: budget mode's when it sets a budget. */
const strategyOf = (tokens: ReadonlyArray<Token>): MakeStrategy => {
  const budget = tokens.find((t) => "budget" in t)
  if (budget === undefined) return replayStrategy(tokens)
  const end = tokens.find((t) => "end" in t)
  return budgetStrategy(budget.budget, end?.end, end?.kind === "eh", { ends: 0 })
}

/** A small seeded generator (mulberry32): the same seed, the same numbers. */
const random = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * PCT (Burckhardt et al., 2010): every fiber gets a random priority above `depth`, the
 * highest-priority ready fiber runs, and at `depth - 1` random points the running fiber's
 * priority drops below every initial one. A bug of depth d in a program of n fibers and k
 * points is found by one run with probability at least 1 / (n · k^(d-1)).
 */
const pctStrategy =
  (seed: number, depth: number, points: number): MakeStrategy =>
  (run) => {
    const rng = random(seed)
    const changes = new Map<number, number>()
    for (let i = 1; i < depth; i++)
      changes.set(1 + Math.floor(rng() * Math.max(1, points)), depth - i)
    const fibers = new Map<FiberLike, number>()
    const tasks = new WeakMap<Task, number>()
    const priority = (task: Task): number => {
      if (task.fiber !== undefined) {
        const known = fibers.get(task.fiber)
        if (known !== undefined) return known
      }
      let p = tasks.get(task)
      if (p === undefined) {
        p = depth + rng()
        tasks.set(task, p)
      }
      return p
    }
    return {
      owner: (fiber, task) => {
        if (!fibers.has(fiber))
          fibers.set(fiber, task === undefined ? depth + rng() : priority(task))
      },
      point: (point, fiber, first) => {
        const change = changes.get(point)
        if (change !== undefined) fibers.set(fiber, change)
        const mine = fibers.get(fiber) ?? depth
        for (const task of run.controller().queue) {
          if (priority(task) > mine) {
            run.log.push({ kind: "y", point })
            preempted(run, fiber, first)
            return true
          }
        }
        return false
      },
      pick: (queue, step) => {
        let best = 0
        for (let i = 1; i < queue.length; i++) {
          if (priority(queue[i]!) > priority(queue[best]!)) best = i
        }
        if (best !== defaultPick(queue)) run.log.push({ kind: "s", step, index: best })
        return best
      }
    }
  }

/** What an exhaustive run saw after its last preemption: where the next one may go. */
interface Frontier {
  /** The points after the schedule's last preemption where another task could run. */
  readonly switches: Array<number>
  /** The points there where nothing else could run (skipped when reducing). */
  skipped: number
}

/**
 * Exhaustive mode: preempts at exactly the points of `schedule` (increasing), in Effect's own
 * queue order (the preempted fiber goes to the back, as when it yields), and, when `frontier`
 * is given, records the points after the last of them where a further preemption is a new
 * schedule: every point (`reduce: false`) or only those where another task could run.
 */
const exhaustiveStrategy =
  (
    schedule: ReadonlyArray<number>,
    frontier: Frontier | undefined,
    reduce: boolean
  ): MakeStrategy =>
  (run) => {
    const at = new Set(schedule)
    const last = schedule.length === 0 ? 0 : schedule[schedule.length - 1]!
    const continuation = reduce && frontier !== undefined ? new ContinuationWatch() : undefined
    // Whether the point before this one is the frontier's last switch, and whether that
    // switch is a turn's first point.
    let previousSwitched = false
    let switchFirst = false
    return {
      point: (point, fiber, first) => {
        const linked = continuation?.next(fiber, run.controller().steps) === true
        if (at.has(point)) {
          run.log.push({ kind: "y", point })
          preempted(run, fiber, first)
          previousSwitched = false
          return true
        }
        if (frontier !== undefined && point > last) {
          if (reduce && !otherRunnable(run.controller().queue)) {
            // A preemption where nothing else can run only re-queues the fiber, and the
            // driver runs it again at once (nothing runs between two of its steps): the same
            // run.
            frontier.skipped++
            previousSwitched = false
          } else if (linked && previousSwitched) {
            // The fiber only pushed a continuation frame since the previous point: preempted
            // before the push, it pushes it when it resumes; nobody else sees its stack. The
            // two preemptions make the same run (and the same extensions): one is kept. Which
            // one decides only the failure's reach, read from where its first preemption
            // falls: a turn's first point stays (Effect's scheduler reaches it: "turn-start"),
            // otherwise the later one (one operation further into the turn).
            if (!switchFirst) frontier.switches[frontier.switches.length - 1] = point
            frontier.skipped++
          } else {
            frontier.switches.push(point)
            previousSwitched = true
            switchFirst = first
          }
        } else {
          previousSwitched = false
        }
        return false
      },
      pick: (queue) => defaultPick(queue)
    }
  }

// ---------------------------------------------------------------------------------------------
// One run

type Ending = "exit" | "deadlock" | "outside" | "busy"

interface Run {
  readonly points: number
  readonly steps: number
  readonly outside: number
  readonly fiberCount: number
  readonly trace: number
  readonly ending: Ending
  /** `undefined` unless the root ended. */
  readonly exit: Exit.Exit<unknown, unknown> | undefined
  readonly live: ReadonlyArray<Tracking.Entry>
  /** Fibers of the run that had not ended when it was over, described. */
  readonly left: ReadonlyArray<string>
  readonly schedule: ReadonlyArray<Token>
  readonly reach: RunHandle["reach"]
  readonly fiber: string | undefined
  /** With `wantNear`: the perturbed fiber's stack at the perturbation, raw. */
  readonly near: sites.Captured | undefined
  readonly millis: number
}

/**
 * A function is the per-run setup: called before the run starts (so that even a run
 * interrupted at its first point starts from fresh state); a throw is the run's defect.
 */
const toEffect = <A, E, R>(program: Interruption.Program<A, E, R>): Effect.Effect<A, E, R> => {
  if (Effect.isEffect(program)) return program
  try {
    const effect = program()
    return Effect.isEffect(effect)
      ? effect
      : Effect.die(new TypeError(`the program function returned ${String(effect)}, not an Effect`))
  } catch (error) {
    return Effect.die(error)
  }
}

/** The run in progress (runs are sequential): what `Interruption.layer` forwards to. */
let currentController: Controller | undefined = undefined
let currentProbe: ReturnType<typeof makeProbe> | undefined = undefined

/** The run in progress, if it is still going. */
const running = (): Controller | undefined =>
  currentController !== undefined && !currentController.closed ? currentController : undefined

/** Effect's default scheduler, for the fibers of `Interruption.layer` outside any run. */
const fallbackScheduler = new Scheduler.MixedScheduler()

/**
 * The scheduler `Interruption.layer` puts into a runtime the program does not fork from (a
 * `ManagedRuntime`, a runtime built once for many runs): while a run is in progress, its
 * fibers ask the run's controller and queue their tasks with it, so they run only when the
 * explorer says so, as the run's own fibers do; otherwise Effect's default scheduler. The
 * dispatcher is looked up per task, not per fiber (Effect keeps a fiber's dispatcher for its
 * life, and a runtime's fiber may outlive a run).
 */
const forwardingScheduler: Scheduler.Scheduler = {
  executionMode: "async",
  shouldYield: (fiber) => (running() ?? fallbackScheduler).shouldYield(fiber),
  makeDispatcher: () => {
    let fallback: Scheduler.SchedulerDispatcher | undefined
    return {
      scheduleTask: (task, priority) => {
        const controller = running()
        if (controller !== undefined) controller.schedule(task, priority)
        else (fallback ??= fallbackScheduler.makeDispatcher()).scheduleTask(task, priority)
      },
      flush: () => fallback?.flush()
    }
  }
}

/** The tracker `Interruption.layer` installs: the leak probe of the run in progress, if any. */
const forwardingTracker: Tracking.Tracker = {
  opened: (entry) => currentProbe?.tracker.opened(entry),
  settled: (entry) => currentProbe?.tracker.settled(entry),
  releasing: (entry) => currentProbe?.tracker.releasing?.(entry),
  committing: (entry) => currentProbe?.tracker.committing?.(entry)
}

/** @internal */
export const layer: Layer.Layer<never> = Layer.merge(
  Layer.succeed(Scheduler.Scheduler, forwardingScheduler),
  Tracking.layer(forwardingTracker)
)

/**
 * Runs the program once from scratch under a `Controller` following `strategy`, with the
 * caller's services and a fresh leak probe. `bound`: real-time milliseconds the run may take.
 */
const runOnce = <A, E, R>(
  program: Interruption.Program<A, E, R>,
  strategy: MakeStrategy,
  settings: Settings,
  bound: number,
  /** A dry run: where each of its fibers was started, filled in (`Controller.forks`). */
  forks?: Map<number, sites.Captured | undefined>,
  /** A replay: read the perturbed fiber's stack at the perturbation (`Run.near`). */
  wantNear = false
): Effect.Effect<Run, never, R> =>
  withFreshServices(settings.isolate, (fresh) =>
    Effect.withFiber((parent) => {
      const probe = settings.leaks ? makeProbe() : undefined
      let effect: Effect.Effect<A, E, R> = toEffect(program)
      if (probe !== undefined) effect = Tracking.withTracker(effect, probe.tracker)
      return Effect.callback<Run>((resume) => {
        const started = Date.now()
        // Known once started; the strategy's interruption reads it later.
        const cell: { root?: Fiber.Fiber<A, E> } = {}
        let finished = false
        let idle = 0
        let cancelHang: Timer.Cancel | undefined
        const handle: RunHandle = {
          controller: () => controller,
          root: () => cell.root as FiberLike | undefined,
          interruptRoot: () => cell.root?.interruptUnsafe(),
          log: [],
          reach: undefined,
          fiber: undefined,
          wantNear,
          near: undefined
        }
        const finish = (ending: Ending) => {
          if (finished) return
          finished = true
          controller.close()
          if (currentController === controller) {
            currentController = undefined
            currentProbe = undefined
          }
          cancelHang?.()
          const exit = cell.root?.pollUnsafe()
          const left = controller.live().map((f) => controller.describe(f))
          resume(
            Effect.succeed({
              points: controller.points,
              steps: controller.steps,
              outside: controller.outside,
              fiberCount: controller.fibers.size,
              trace: controller.trace,
              ending: exit !== undefined && ending !== "busy" ? "exit" : ending,
              exit,
              live: probe?.unsafeLive() ?? [],
              left,
              schedule: handle.log,
              reach: handle.reach,
              fiber: handle.fiber,
              near: handle.near,
              millis: Date.now() - started
            })
          )
        }
        const onIdle = () => {
          if (finished) return
          if (controller.aborted) return finish("busy")
          // The root has ended and every fiber that could run has: the run is over.
          if (cell.root?.pollUnsafe() !== undefined) return finish("exit")
          // Nothing can run. Promises already resolved land in microtasks: let them, then
          // decide between a deadlock and a wait on the outside world.
          const at = ++idle
          const decide = () => {
            if (finished || at !== idle || controller.queue.length > 0) return
            if (cell.root?.pollUnsafe() !== undefined) return finish("exit")
            if (!controller.outsideWaits()) return finish("deadlock")
            cancelHang ??= controller.unwatched(() =>
              Timer.set("hangTimeout", Math.max(0, bound - (Date.now() - started)), () =>
                finish("outside")
              )
            )
            // What the run waits on may end without waking any of its fibers (a plain timer, a
            // file request of the module loader's): look again, so that the run is a deadlock
            // once nothing is left, not a hang at the bound. (A fiber woken meanwhile drives
            // the run and makes `at` stale.)
            controller.unwatched(() => Timer.set("hangTimeout", OUTSIDE_POLL_MILLIS, decide))
          }
          setImmediate(decide)
        }
        const controller = new Controller(
          strategy(handle),
          started + bound,
          onIdle,
          (parent as unknown as { currentSpanLocal?: unknown }).currentSpanLocal
        )
        currentController = controller
        if (forks !== undefined) controller.forks = forks
        currentProbe = probe
        let context = Context.add(
          parent.context as Context.Context<R>,
          Scheduler.Scheduler,
          controller
        )
        // Isolated: this run's own TestClock and TestConsole (the explorer's scheduler stays).
        if (fresh !== undefined) {
          context = Context.add(
            Context.add(context, Clock.Clock, fresh.clock),
            Console.Console,
            fresh.console
          )
        }
        cell.root = Effect.runForkWith(context)(effect)
        controller.started = true
        controller.drive()
        return Effect.sync(() => {
          finished = true
          controller.close()
          cancelHang?.()
        })
      })
    })
  )

/**
 * Fresh test services for one run (`isolate`): a TestClock at time 0 with no sleeper, and an
 * empty TestConsole, so that what one run leaves on them (time moved on, a sleeper, output)
 * cannot reach the runs after it.
 */
const freshTestServices = Effect.all({ clock: TestClock.make(), console: TestConsole.make })

/** Runs `f` with fresh test services (held by a scope of the run's own) or with none. */
const withFreshServices = <A, E, R>(
  isolate: boolean,
  f: (fresh: Effect.Success<typeof freshTestServices> | undefined) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  isolate
    ? // A scope of its own, not provided to the program (which keeps the caller's `Scope`).
      Effect.acquireUseRelease(
        Scope.make(),
        (scope) => Effect.flatMap(Effect.provideService(freshTestServices, Scope.Scope, scope), f),
        (scope, exit) => Scope.close(scope, exit)
      )
    : f(undefined)

/** `isolate` as given, or (by default) whether the caller runs on test services. */
const withIsolation = (
  settings: Settings,
  options: Interruption.Options<any> | undefined
): Effect.Effect<Settings> =>
  options?.isolate !== undefined
    ? Effect.succeed(settings)
    : Effect.map(onTestClock, (isolate) => ({ ...settings, isolate }))

/** Whether the caller runs on test services (a TestClock), as under `it.effect`. */
const onTestClock = Effect.withFiber((fiber) =>
  Effect.succeed(typeof (fiber.getRef(Clock.Clock) as { adjust?: unknown }).adjust === "function")
)

// ---------------------------------------------------------------------------------------------
// Judging a run

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error)

const describeFailure = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.findErrorOption(cause)
  if (error._tag === "Some" && typeof error.value === "string") return error.value
  return Cause.pretty(cause)
}

/** Runs the user's check in the caller's services, bounded by `hangTimeout` of real time. */
const runCheck = (
  check: NonNullable<Settings["check"]>,
  exit: Exit.Exit<unknown, unknown>,
  settings: Settings
): Effect.Effect<string | undefined> =>
  Effect.withFiber((parent) =>
    Effect.callback<string | undefined>((resume) => {
      const checking = Effect.suspend(() => {
        const result: unknown = check(exit)
        return Effect.isEffect(result)
          ? (result as Effect.Effect<void, unknown>)
          : Effect.die(new TypeError(`the check returned ${String(result)}, not an Effect`))
      })
      const fiber = Effect.runForkWith(parent.context)(Effect.exit(checking))
      let done = false
      const cancel = Timer.set("hangTimeout", settings.hangTimeout, () => {
        if (done) return
        done = true
        fiber.interruptUnsafe()
        resume(
          Effect.succeed(`the check did not return within ${Duration.format(settings.hangTimeout)}`)
        )
      })
      fiber.addObserver((checked) => {
        if (done) return
        done = true
        cancel()
        const outcome = Exit.isSuccess(checked) ? checked.value : undefined
        resume(
          Effect.succeed(
            outcome === undefined
              ? undefined
              : Exit.isSuccess(outcome)
                ? undefined
                : describeFailure(outcome.cause)
          )
        )
      })
      return Effect.sync(() => {
        done = true
        cancel()
        fiber.interruptUnsafe()
      })
    })
  )

const fiberList = (left: ReadonlyArray<string>): string =>
  left.length === 0 ? "no fiber left" : left.join("; ")

const reachFrom = (
  reach: RunHandle["reach"]
): Pick<Interruption.Failure, "reach"> | Pick<Interruption.Failure, "reach" | "budget"> => {
  if (reach === undefined) return { reach: "uninterrupted" }
  if (reach.first) return { reach: "turn-start" }
  return { reach: "budget", budget: reach.ops }
}

const reachOf = (run: Run) => reachFrom(run.reach)

/**
 * Whether Effect's default scheduler can reach a failure: anything but a first preemption 1 to
 * 9 operations into a turn (no `MaxOpsBeforeYield` below 10 is a setting a program makes).
 */
export const isReachable = (failure: Interruption.Failure): boolean =>
  failure.reach !== "internal" &&
  (failure.reach !== "budget" || (failure.budget !== undefined && failure.budget >= 10))

/**
 * Failures at consecutively explored points (runs, in pct and exhaustive modes) that failed
 * the same way, as ranges (common/ranges.ts, shared with the Effect 3 edition): the same kind
 * and message (ids aside), the same reach — in budget mode the same budget, elsewhere whether
 * Effect's default scheduler reaches them (the budget a point needs varies along a range).
 */
const rangesOf = (
  explored: ReadonlyArray<{ readonly failures: ReadonlyArray<Interruption.Failure> }>,
  budgetMode: boolean
): Array<Interruption.Range> =>
  groupRanges<Interruption.Failure, Interruption.Range>(
    explored,
    (failure) => ({
      mode: failure.mode,
      target: failure.target,
      from: failure.step,
      to: failure.step,
      points: 1,
      kind: failure.kind,
      message: failure.message,
      reach: failure.reach,
      reachable: isReachable(failure),
      ...(budgetMode && failure.budget !== undefined ? { budget: failure.budget } : {}),
      ...(failure.fiber === undefined ? {} : { fiber: failure.fiber }),
      schedule: failure.schedule
    }),
    (range, failure) =>
      range.reach === failure.reach &&
      range.reachable === isReachable(failure) &&
      (!budgetMode || range.budget === failure.budget)
  )

/** Where a fiber of the run was started, and whether a library's internals started it. */
interface ForkSite {
  readonly forkedAt?: string | undefined
  readonly internal: boolean
}

/**
 * The dry run's fork sites, resolved once it is over (`sites.resolveAll` may turn the
 * debugger on a moment; never while a run runs). As on Effect 3: forked by user code when the
 * nearest user frame of the forking fiber's stack is at most one library frame down (the
 * program's own `yield*`, or one combinator: `FiberSet.run`'s); more library frames above it,
 * or none, mean a library's internals forked it. A fiber with no forking fiber (the root, one
 * started from outside) is not internal.
 */
const forkSitesOf = (
  stacks: ReadonlyMap<number, sites.Captured | undefined> | undefined
): ReadonlyMap<number, ForkSite> => {
  const result = new Map<number, ForkSite>()
  if (stacks === undefined || stacks.size === 0) return result
  const locals = Array.from(stacks.keys())
  const resolved = sites.resolveAll(locals.map((local) => stacks.get(local)))
  locals.forEach((local, i) => {
    const site = resolved[i]
    const captured = stacks.get(local) !== undefined
    result.set(
      local,
      site === undefined
        ? { internal: captured }
        : { forkedAt: site.source, internal: site.above >= 2 }
    )
  })
  return result
}

/**
 * A failure's fiber with where it was forked, and (holder target) `reach: "internal"` when a
 * library's internals forked it: no user code interrupts that fiber alone.
 */
const withForkSite = (
  failure: Interruption.Failure,
  forks: ReadonlyMap<number, ForkSite>,
  target: Interruption.Target
): Interruption.Failure => {
  const local = failure.fiber === undefined ? undefined : /^fiber (\d+) \(/.exec(failure.fiber)
  const site = local === undefined || local === null ? undefined : forks.get(Number(local[1]))
  if (site === undefined) return failure
  const fiber =
    site.forkedAt === undefined
      ? failure.fiber!
      : `${failure.fiber!.slice(0, -1)}, forked at ${site.forkedAt})`
  if (target !== "holder" || !site.internal) return { ...failure, fiber }
  // A budget stays: with the schedule, it says which run this was.
  return { ...failure, fiber, reach: "internal" }
}

/**
 * The pass a run of `explore` (or `runAt`) belongs to (`Failure.mode`, `target`): the pass's
 * mode; the target an interruption's token names (`h`, `eh`: the holder), else the pass's.
 */
const passOf = (
  tokens: ReadonlyArray<Token>,
  settings: Pick<Settings, "mode" | "target">
): { readonly mode: Exclude<Interruption.Mode, "all">; readonly target: Interruption.Target } => {
  const holder = tokens.some((t) => t.kind === "h" || t.kind === "eh")
  const root = tokens.some((t) => t.kind === "i" || t.kind === "e")
  return {
    // `checkOptions` refuses "all": each of its passes explores with its own mode.
    mode: settings.mode as Exclude<Interruption.Mode, "all">,
    target: holder ? "holder" : root ? "root" : settings.target
  }
}

/**
 * The pass `replay` names a schedule's failures with, as the Effect 3 edition does: what the
 * schedule says — a budget is budget mode; an interruption interrupt mode, its token the target
 * (`h`, `eh`: the holder); a pick of the next task PCT — and, where it cannot say, the options'
 * `mode` and `target` (preemptions alone are yield, PCT or exhaustive mode: one is yield, more
 * exhaustive, unless the options say; the empty schedule is any pass's run without
 * perturbation; a schedule without an interruption has the options' target, else the root). A
 * `mode` the schedule rules out is an `InvalidOptionsError`.
 */
const replayPass = (
  tokens: ReadonlyArray<Token>,
  options: Interruption.Options<any> | undefined,
  schedule: string
): { readonly mode: Exclude<Interruption.Mode, "all">; readonly target: Interruption.Target } => {
  const holder = tokens.some((t) => t.kind === "h" || t.kind === "eh")
  const interrupts = holder || tokens.some((t) => t.kind === "i" || t.kind === "e")
  const yields = tokens.filter((t) => t.kind === "y").length
  type PassMode = Exclude<Interruption.Mode, "all">
  const allowed: ReadonlyArray<PassMode> = tokens.some((t) => t.kind === "b")
    ? ["budget"]
    : interrupts
      ? ["interrupt"]
      : tokens.some((t) => t.kind === "s")
        ? ["pct"]
        : yields > 1
          ? ["exhaustive", "pct"]
          : yields === 1
            ? ["yield", "exhaustive", "pct"]
            : ["interrupt", "yield", "exhaustive", "pct", "budget"]
  const asked = options?.mode as PassMode | undefined
  if (asked !== undefined && !allowed.includes(asked)) {
    throw new InvalidOptionsError({
      option: "mode",
      value: asked,
      reason: `is not a mode that makes the schedule "${schedule}" (${allowed.join(", ")})`
    })
  }
  return {
    mode: asked ?? allowed[0]!,
    target: holder ? "holder" : interrupts ? "root" : (options?.target ?? "root")
  }
}

/**
 * Every way a run failed, as the Effect 3 edition judges one: a run that did not end is a
 * deadlock or a hang and nothing else (it has no `Exit` to judge); a run that ended can leak,
 * leave fibers running, die and fail its check, each a failure of its own.
 */
const judge = (
  run: Run,
  step: number,
  settings: Settings,
  bound: number
): Effect.Effect<ReadonlyArray<Interruption.Failure>> => {
  const base = {
    ...passOf(run.schedule, settings),
    step,
    schedule: formatSchedule(run.schedule),
    ...reachOf(run),
    ...(run.fiber === undefined ? {} : { fiber: run.fiber })
  }
  const failure = (kind: Interruption.Failure["kind"], message: string): Interruption.Failure => ({
    ...base,
    kind,
    message
  })
  switch (run.ending) {
    case "deadlock":
      return Effect.succeed([
        failure(
          "deadlock",
          `deadlocked: no fiber can run and none waits on the outside world — ${fiberList(run.left)}`
        )
      ])
    case "outside":
      return Effect.succeed([
        failure(
          "hang",
          `did not finish within ${Duration.format(Duration.millis(bound))}, waiting on the outside world — ${fiberList(run.left)}`
        )
      ])
    case "busy":
      return Effect.succeed([
        failure(
          "hang",
          `did not finish within ${Duration.format(Duration.millis(bound))}: still running after ${run.points} points — ${fiberList(run.left)}`
        )
      ])
  }
  const failures: Array<Interruption.Failure> = []
  if (run.live.length > 0) {
    failures.push(
      failure("leak", `leaked ${describeLive(run.live)}: ${run.live.map(describeEntry).join(", ")}`)
    )
  }
  if (settings.fibers && run.left.length > 0) {
    failures.push(
      failure(
        "fibers",
        `left ${run.left.length} fiber${run.left.length === 1 ? "" : "s"} running: ${run.left.join("; ")}`
      )
    )
  }
  const exit = run.exit!
  if (settings.defects && Exit.isFailure(exit)) {
    const defects = exit.cause.reasons.filter(Cause.isDieReason).map((reason) => reason.defect)
    if (defects.length > 0) {
      failures.push(failure("defect", `the run died: ${defects.map(describeError).join("; ")}`))
    }
  }
  const check = settings.check
  if (check === undefined) return Effect.succeed(failures)
  return Effect.map(runCheck(check, exit, settings), (message) => {
    if (message !== undefined) failures.push(failure("check", message))
    return failures
  })
}

// ---------------------------------------------------------------------------------------------
// Progress (common/progress.ts: the Effect 3 explorer's lines, written once)

/**
 * The console the explorer reports its progress to: stderr unless a test provides another.
 *
 * @internal
 */
export const ProgressConsole = Context.Reference<ProgressTarget>(
  "@scopeguard/vitest/ProgressConsole",
  { defaultValue: () => stderr }
)

// ---------------------------------------------------------------------------------------------
// Exploring

/** Shrinks a failing schedule: drops each decision that the failure does not need. */
const shrink = <A, E, R>(
  program: Interruption.Program<A, E, R>,
  failure: Interruption.Failure,
  tokens: ReadonlyArray<Token>,
  settings: Settings,
  bound: number
): Effect.Effect<Interruption.Failure, never, R> =>
  Effect.gen(function* () {
    let current = [...tokens]
    let best = failure
    let budget = 200
    for (let i = current.length - 1; i >= 0 && budget > 0; i--) {
      budget--
      const candidate = current.filter((_, j) => j !== i)
      const run = yield* runOnce(program, strategyOf(candidate), settings, bound)
      // Kept when the run still fails the same way (of the ways it fails).
      const judged = (yield* judge(run, failure.step, settings, bound)).find(
        (f) => f.kind === failure.kind
      )
      if (judged !== undefined) {
        current = candidate
        best = judged
      }
    }
    return {
      ...best,
      schedule: formatSchedule(current),
      preemptions: preemptions(current),
      original: failure.schedule
    }
  })

/**
 * Mode `"all"`: the passes, in the Effect 3 edition's order — budget passes first (only turn
 * ends, cheap; every failure one the default scheduler makes), root then holder; then
 * interrupt mode, root then holder.
 */
const ALL_PASSES: ReadonlyArray<{
  readonly mode: "budget" | "interrupt"
  readonly target: Interruption.Target
}> = [
  { mode: "budget", target: "root" },
  { mode: "budget", target: "holder" },
  { mode: "interrupt", target: "root" },
  { mode: "interrupt", target: "holder" }
]
/**
 * Mode `"all"`'s budgets, by measurement: 12 and 32 (the Effect 3 edition's), and 10, the only
 * budget at which the Effect 4 survey's one confirmed finding shows (`ScopedCache.get`: budget
 * 10, the root interrupted at turn end 5; none of 11–16, 20, 24, 32, 48, 64, 128, 2048 does).
 */
const ALL_BUDGETS: ReadonlyArray<number> = [10, 12, 32]

/**
 * One pass of mode "all": given, a holder pass explores only the program's own fibers' points.
 */
interface AllPass {
  /** The pass's name on the progress line (`budget/root`), as on Effect 3. */
  readonly label: string
}

/** @internal */
export const explore = <A, E, R>(
  program: Interruption.Program<A, E, R>,
  options?: Interruption.Options<any>
): Effect.Effect<Interruption.Report, never, R> =>
  Effect.suspend(() =>
    options?.mode === "all" || (options?.mode === undefined && options?.target === undefined)
      ? exploreAll(program, options ?? {})
      : explorePass(program, options)
  )

/**
 * Mode `"all"`: every pass in turn (`ALL_PASSES`), one report: each failure and range names its
 * pass (`mode`, `target`), `passes` has each pass's numbers; `steps`, `unreached`, `reduced` are
 * the interrupt/root pass's, `budgets` the budget/root pass's.
 */
const exploreAll = <A, E, R>(
  program: Interruption.Program<A, E, R>,
  options: Interruption.Options<any>
): Effect.Effect<Interruption.Report, never, R> =>
  Effect.gen(function* () {
    if (options.target !== undefined) {
      throw new InvalidOptionsError({
        option: "target",
        value: options.target,
        reason: 'is set per pass by mode "all": give a mode to choose a target'
      })
    }
    if (options.budget !== undefined) {
      throw new InvalidOptionsError({
        option: "budget",
        value: options.budget,
        reason: 'is one budget for runAt; mode "all" sweeps `budgets`'
      })
    }
    const reports: Array<{
      pass: (typeof ALL_PASSES)[number]
      report: Interruption.Report
    }> = []
    for (const pass of ALL_PASSES) {
      const own: AllPass = { label: `${pass.mode}/${pass.target}` }
      const report = yield* explorePass(
        program,
        {
          ...options,
          mode: pass.mode,
          target: pass.target,
          ...(pass.mode === "budget" ? { budgets: options.budgets ?? ALL_BUDGETS } : {})
        },
        own
      )
      reports.push({ pass, report })
      // The program fails without any perturbation: the other passes would show only that.
      if (report.failures.some((f) => f.step === 0 && f.reach === "uninterrupted")) break
    }
    const tagged = <T>(pass: (typeof ALL_PASSES)[number], item: T): T => ({
      ...item,
      mode: pass.mode,
      target: pass.target
    })
    const byPass = (name: string) =>
      reports.find((r) => `${r.pass.mode}/${r.pass.target}` === name)?.report
    const interruptRoot = byPass("interrupt/root")
    const budgetRoot = byPass("budget/root")
    const first = reports[0]!.report
    const main = interruptRoot ?? first
    const report: Interruption.Report = {
      mode: "all",
      steps: main.steps,
      runs: reports.reduce((n, r) => n + r.report.runs, 0),
      failures: reports.flatMap((r) => r.report.failures.map((f) => tagged(r.pass, f))),
      ranges: reports.flatMap((r) => r.report.ranges.map((range) => tagged(r.pass, range))),
      reachable: reports.reduce((n, r) => n + r.report.reachable, 0),
      failOn: first.failOn,
      deterministic: reports.every((r) => r.report.deterministic),
      unreached: main.unreached,
      isolated: first.isolated,
      target: main.target,
      dryRunSteps: main.dryRunSteps,
      hangs: {
        stuck: reports.reduce((n, r) => n + r.report.hangs.stuck, 0),
        timedOut: reports.reduce((n, r) => n + r.report.hangs.timedOut, 0)
      },
      outsideControl: reports.reduce((n, r) => n + r.report.outsideControl, 0),
      fibers: Math.max(...reports.map((r) => r.report.fibers)),
      passes: reports.flatMap(({ report: r }) => r.passes),
      ...(main.reduced !== undefined ? { reduced: main.reduced } : {}),
      ...(budgetRoot?.budgets !== undefined ? { budgets: budgetRoot.budgets } : {}),
      ...(main.sampled !== undefined ? { sampled: main.sampled } : {})
    }
    return report
  })

const explorePass: <A, E, R>(
  program: Interruption.Program<A, E, R>,
  options?: Interruption.Options<any>,
  own?: AllPass
) => Effect.Effect<Interruption.Report, never, R> = Effect.fn("Interruption.explore")(function* <
  A,
  E,
  R
>(program: Interruption.Program<A, E, R>, options?: Interruption.Options<any>, own?: AllPass) {
  const passStarted = performance.now()
  // Checked when the effect runs: an invalid option dies with an InvalidOptionsError.
  const settings = yield* withIsolation(checkOptions(options), options)
  const failures: Array<Interruption.Failure> = []
  // Every explored point (or run) in order, with its failure if any: what the ranges group.
  const visited: Array<{ readonly failures: ReadonlyArray<Interruption.Failure> }> = []
  const note = (found: ReadonlyArray<Interruption.Failure>) => {
    const named_ = found.map(named)
    failures.push(...named_)
    visited.push({ failures: named_ })
  }
  // The dry run, twice: its points, and whether the run is the same each time. Each run is
  // judged before the next starts: the check reads state the program resets when it starts,
  // so judging the first run after the second has run would judge the second one twice (a
  // check that takes what it looks for, a permit say, then fails the second time).
  const dryBound = Math.max(settings.hangMillis, DRY_RUN_BOUND)
  // Exhaustive mode: the first uninterrupted run is the schedule without preemption, and
  // records where the first preemption may go.
  const root: Frontier = { switches: [], skipped: 0 }
  const exhaustive = settings.mode === "exhaustive"
  // Interrupt and yield modes: both dry runs note what the reductions need at each point.
  // The holder passes of mode "all" read each point's fiber from the first.
  const ownOnly = own !== undefined && settings.target === "holder"
  const logs =
    (settings.reduce || ownOnly) && (settings.mode === "interrupt" || settings.mode === "yield")
      ? ([new PointLog(), new PointLog()] as const)
      : undefined
  // With the holder as target: where each fiber was started, to tell a library's internal
  // fibers (which no user code can interrupt alone) from the program's own.
  const forkStacks =
    settings.target === "holder" &&
    (settings.mode === "interrupt" || settings.mode === "budget") &&
    sites.available()
      ? new Map<number, sites.Captured | undefined>()
      : undefined
  const first = yield* runOnce(
    program,
    exhaustive
      ? exhaustiveStrategy([], settings.preemptions > 0 ? root : undefined, settings.reduce)
      : logs !== undefined
        ? recordingStrategy(logs[0])
        : replayStrategy([]),
    settings,
    dryBound,
    forkStacks
  )
  // Where each fiber was started, by its local id: read in the dry run, and again in each
  // budget's own run in budget mode (local ids are numbered in the order fibers are first
  // seen, which a budget's schedule can change).
  let forkSites = forkSitesOf(forkStacks)
  // Mode "all"'s holder passes: only the program's own fibers are cut off alone. The root's
  // points are the root passes' (the holder is the root there), and a fiber a library forked
  // for itself is not the program's to interrupt alone (Effect 3's passes skip them too).
  const isOwn = (local: number) => local !== 1 && forkSites.get(local)?.internal !== true
  const named = (failure: Interruption.Failure) => withForkSite(failure, forkSites, settings.target)
  const firstFailure = yield* judge(first, 0, settings, dryBound)
  const second = yield* runOnce(
    program,
    logs !== undefined ? recordingStrategy(logs[1]) : replayStrategy([]),
    settings,
    dryBound
  )
  const secondFailure = yield* judge(second, 0, settings, dryBound)
  note(firstFailure.length > 0 ? firstFailure : secondFailure)
  const points = first.points
  const bound = Math.max(settings.hangMillis, 3 * first.millis)
  /** PCT and exhaustive runs' failures: with their schedule's preemptions, the first three shrunk. */
  const shrunk = (found: ReadonlyArray<Interruption.Failure>, schedule: ReadonlyArray<Token>) =>
    Effect.gen(function* () {
      const out: Array<Interruption.Failure> = []
      for (const f of found) {
        const failure = { ...f, preemptions: preemptions(schedule) }
        out.push(
          settings.shrink && failures.length + out.length < 3
            ? yield* shrink(program, failure, schedule, settings, bound)
            : failure
        )
      }
      return out
    })
  let outside = first.outside + second.outside
  let fibers = Math.max(first.fiberCount, second.fiberCount)
  /** A run's part of the report's totals: events outside control, the most fibers. */
  const account = (run: Run) => {
    outside += run.outside
    fibers = Math.max(fibers, run.fiberCount)
  }
  const unreached: Array<number> = []
  const progress = makeProgress(
    yield* ProgressConsole,
    settings.progress,
    own?.label,
    exhaustive ? "schedules" : settings.mode === "budget" ? "turn ends" : "points"
  )
  let runs = 0
  let exhaustiveReport: Interruption.ExhaustiveReport | undefined
  let reduced: Interruption.Reduced | undefined
  let budgetReport: Array<Interruption.BudgetRun> | undefined
  // Interrupt and yield modes: the points to explore (mode "all"'s holder passes: fewer).
  let explorable = points
  // Budget mode: the points explored (turn ends, and each budget's own run when judged), and
  // the most turn ends one budget had to choose from.
  let budgetPoints = 0
  let mostCandidates = 0
  if (exhaustive) {
    // Every schedule of at most `preemptions` preemptions, fewest first (a bug that needs one
    // preemption is found before any schedule of two is run), then by the points of the
    // preemptions, earliest first. A schedule's extensions are read off its own run: the run
    // of `s + [q]` is the run of `s` up to point q (runs are functions of their schedules), so
    // the points where a further preemption may go are those `s`'s run passed after its last
    // preemption; no run is spent finding them, and no schedule is run twice.
    let level: Array<{ readonly schedule: ReadonlyArray<number>; readonly frontier: Frontier }> = [
      { schedule: [], frontier: root }
    ]
    let schedules = 1
    let reduced = root.skipped
    let cut = false
    // Extensions not recorded (the bound would cut the next level short before them).
    let dropped = false
    for (let depth = 1; depth <= settings.preemptions && !cut && level.length > 0; depth++) {
      const next: typeof level = []
      // Switch points the next level would extend: once they exceed what the bound leaves,
      // the next level is cut short anyway, so the rest of this level records none.
      let pending = 0
      for (const node of level) {
        for (const point of node.frontier.switches) {
          if (schedules >= settings.maxSchedules) {
            cut = true
            break
          }
          const schedule = [...node.schedule, point]
          const record =
            depth < settings.preemptions && pending <= settings.maxSchedules - schedules
          const frontier: Frontier | undefined = record ? { switches: [], skipped: 0 } : undefined
          const run = yield* runOnce(
            program,
            exhaustiveStrategy(schedule, frontier, settings.reduce),
            settings,
            bound
          )
          schedules++
          runs++
          account(run)
          if (frontier !== undefined) {
            reduced += frontier.skipped
            pending += frontier.switches.length
            next.push({ schedule, frontier })
          } else if (depth < settings.preemptions) {
            dropped = true
          }
          note(yield* shrunk(yield* judge(run, runs, settings, bound), run.schedule))
          progress.update(schedules, settings.maxSchedules, failures.length)
        }
        if (cut) break
      }
      level = next
    }
    exhaustiveReport = {
      preemptions: settings.preemptions,
      schedules,
      reduced,
      exhausted: !cut && !dropped,
      maxSchedules: settings.maxSchedules
    }
  } else if (settings.mode === "budget") {
    // Each budget: a run with that budget alone (a failure there is one the default scheduler
    // makes with it and no interruption), then one run per turn end of that run, interrupted
    // there. Turn ends only, so few runs; no reductions (every one is a different schedule).
    const holder = settings.target === "holder"
    budgetReport = []
    for (const budget of settings.budgets) {
      const counter = { ends: 0, owners: [] as Array<number> }
      const budgetStacks =
        forkStacks === undefined ? undefined : new Map<number, sites.Captured | undefined>()
      const dry = yield* runOnce(
        program,
        budgetStrategy(budget, undefined, holder, counter),
        settings,
        dryBound,
        budgetStacks
      )
      account(dry)
      // This budget's runs follow its own run: their fibers are named by its fork sites.
      if (budgetStacks !== undefined) forkSites = forkSitesOf(budgetStacks)
      // The budget's own run, judged once: mode "all"'s holder pass leaves it to budget/root.
      if (!ownOnly) {
        const dryFail = yield* judge(dry, 0, settings, dryBound)
        note(dryFail.map((f) => ({ ...f, preemptions: 0 })))
        budgetPoints++
      }
      budgetReport.push({ budget, steps: dry.points, points: counter.ends })
      const candidates = Array.from({ length: counter.ends }, (_, i) => i + 1).filter(
        (end) => !ownOnly || isOwn(counter.owners[end - 1]!)
      )
      mostCandidates = Math.max(mostCandidates, candidates.length)
      const ends =
        settings.sample === undefined
          ? candidates
          : samplePoints(candidates.length, settings.sample.runs, settings.sample.seed).map(
              (i) => candidates[i - 1]!
            )
      budgetPoints += ends.length
      for (let index = 0; index < ends.length; index++) {
        const end = ends[index]!
        const seen = { ends: 0 }
        const run = yield* runOnce(
          program,
          budgetStrategy(budget, end, holder, seen),
          settings,
          bound
        )
        runs++
        account(run)
        if (seen.ends < end) unreached.push(end)
        const found = yield* judge(run, end, settings, bound)
        note(found.map((f) => ({ ...f, preemptions: 1 })))
        progress.update(index + 1, ends.length, failures.length)
      }
    }
  } else if (settings.mode === "pct") {
    for (let r = 1; r <= settings.runs; r++) {
      const seed = (Math.imul(settings.seed, 0x9e3779b1) + r) | 0
      const run = yield* runOnce(
        program,
        pctStrategy(seed, settings.depth, points),
        settings,
        bound
      )
      runs++
      account(run)
      note(yield* shrunk(yield* judge(run, r, settings, bound), run.schedule))
      progress.update(r, settings.runs, failures.length)
    }
  } else {
    const kind = settings.mode === "yield" ? "y" : settings.target === "holder" ? "h" : "i"
    const candidates = ownOnly
      ? Array.from({ length: points }, (_, i) => i + 1).filter(
          (point) => logs![0].points === points && isOwn(logs![0].owner[point]!)
        )
      : undefined
    explorable = candidates?.length ?? points
    const chosen =
      settings.sample === undefined
        ? candidates
        : candidates === undefined
          ? samplePoints(points, settings.sample.runs, settings.sample.seed)
          : samplePoints(candidates.length, settings.sample.runs, settings.sample.seed).map(
              (i) => candidates[i - 1]!
            )
    const total = chosen?.length ?? points
    // The reductions hold only for what both dry runs noted alike (and a dry run that ended
    // the way a perturbed run is judged: a hang or deadlock there says nothing of the rest).
    const log = logs?.[0]
    const classes: Classes | undefined =
      settings.reduce &&
      log !== undefined &&
      log.points === points &&
      log.sameAs(logs![1]) &&
      first.ending === "exit" &&
      second.ending === "exit"
        ? classesOf(log, kind)
        : undefined
    // A class's run, by its first point run (0: the run without perturbation).
    const shared = new Map<number, ReadonlyArray<Interruption.Failure>>([[0, firstFailure]])
    const counts = { deferred: 0, continuation: 0, idle: 0 }
    for (let index = 0; index < total; index++) {
      const point = chosen === undefined ? index + 1 : chosen[index]!
      const cls = classes?.cls[point]
      if (classes !== undefined && shared.has(cls!)) {
        const by = classes.by[point]
        if (by === Cover.Idle) counts.idle++
        else if (by === Cover.Deferred) counts.deferred++
        else counts.continuation++
        // The shared run's failures, at this point: its own step, schedule and reach.
        note(
          shared.get(cls!)!.map((failure) => ({
            mode: failure.mode,
            target: failure.target,
            step: point,
            schedule: formatSchedule([{ kind, point }]),
            ...reachFrom(log!.reach(point)),
            fiber: log!.fiberName(point),
            kind: failure.kind,
            message: failure.message,
            preemptions: 1
          }))
        )
        progress.update(index + 1, total, failures.length)
        continue
      }
      const run = yield* runOnce(program, replayStrategy([{ kind, point }]), settings, bound)
      runs++
      account(run)
      if (run.points < point) unreached.push(point)
      const found = yield* judge(run, point, settings, bound)
      note(found.map((f) => ({ ...f, preemptions: 1 })))
      if (cls !== undefined) shared.set(cls, found)
      progress.update(index + 1, total, failures.length)
    }
    if (classes !== undefined) {
      reduced = {
        points: counts.deferred + counts.continuation + counts.idle,
        ...counts,
        unconfirmed: 0
      }
    }
  }
  const sampled =
    settings.sample !== undefined &&
    (budgetReport !== undefined
      ? mostCandidates > settings.sample.runs
      : settings.sample.runs < explorable)
      ? { runs: settings.sample.runs, seed: settings.sample.seed }
      : undefined
  // Done: every schedule run, or every point explored (run or covered by equivalence).
  const explored =
    settings.mode === "pct" || settings.mode === "budget" ? runs : (sampled?.runs ?? explorable)
  progress.end(
    exhaustiveReport?.schedules ?? explored,
    exhaustive ? settings.maxSchedules : explored,
    failures.length
  )
  const reachableCount = failures.filter(isReachable).length
  const report: Interruption.Report = {
    mode: settings.mode,
    steps: points,
    runs,
    failures,
    ranges: rangesOf(visited, settings.mode === "budget"),
    reachable: reachableCount,
    failOn: settings.failOn,
    // As on Effect 3: the dry runs agree, and every run reached the point it was to be
    // perturbed at (a deterministic program always does: its prefix is the dry run's).
    deterministic:
      first.points === second.points && first.trace === second.trace && unreached.length === 0,
    unreached,
    outsideControl: outside,
    isolated: settings.isolate,
    target: settings.target,
    dryRunSteps: [first.points, second.points] as const,
    // As on Effect 3: told at once (a deadlock) or by waiting for the real-time bound.
    hangs: {
      stuck: failures.filter((f) => f.kind === "deadlock").length,
      timedOut: failures.filter((f) => f.kind === "hang").length
    },
    fibers,
    ...(settings.mode === "pct" ? { pct: pctBound(settings, fibers, points) } : {}),
    ...(exhaustiveReport !== undefined ? { exhaustive: exhaustiveReport } : {}),
    ...(reduced !== undefined ? { reduced } : {}),
    ...(budgetReport !== undefined ? { budgets: budgetReport } : {}),
    passes: [
      {
        // checkOptions refuses "all" (a schedule of passes, each of which runs here).
        mode: settings.mode as Exclude<Interruption.Mode, "all">,
        target: settings.target,
        // What the pass explored: points (for mode "all"'s holder passes, those of the
        // program's own fibers), turn ends, runs or schedules.
        points: exhaustive
          ? (exhaustiveReport?.schedules ?? runs)
          : settings.mode === "pct"
            ? runs
            : settings.mode === "budget"
              ? budgetPoints
              : (sampled?.runs ?? explorable),
        runs,
        failures: failures.length,
        reachable: reachableCount,
        ...(budgetReport !== undefined ? { budgets: budgetReport.map((b) => b.budget) } : {}),
        millis: performance.now() - passStarted
      }
    ],
    ...(sampled !== undefined ? { sampled } : {})
  }
  return report
})

const pctBound = (settings: Settings, fibers: number, points: number): Interruption.PctBound => {
  const perRun = 1 / (Math.max(1, fibers) * Math.pow(Math.max(1, points), settings.depth - 1))
  return {
    seed: settings.seed,
    depth: settings.depth,
    perRun,
    atLeastOnce: 1 - Math.pow(1 - perRun, settings.runs)
  }
}

/** How many ranges get their `near` (one replay each), as on Effect 3. */
const NEAR_RANGES = 20

/**
 * The line of user code nearest to the first perturbation of each range (`Range.near`): up to
 * `NEAR_RANGES` ranges with a perturbation, but hangs (a hang's replay would hang again and
 * leave its run behind after the exploration), those the message shows first (`failOn`), one
 * replay of each distinct schedule with the perturbed fiber's stack read there, resolved once
 * the replays are over (resolving may turn the debugger on a moment; never while a run runs).
 * Without an inspector, none. A schedule says everything about its run (its pass's mode,
 * target and budget), so each replay only takes the caller's other settings (isolation,
 * leaks); mode `"all"` is a schedule of passes, not one, so each range's own pass is given.
 */
const withNear = <A, E, R>(
  program: Interruption.Program<A, E, R>,
  report: Interruption.Report,
  options: Interruption.Options<any> | undefined
): Effect.Effect<Interruption.Report, never, R> =>
  Effect.gen(function* () {
    if (!sites.available()) return report
    const shown = (r: Interruption.Range) => report.failOn === "any" || r.reachable
    const order = report.ranges
      .map((range, index) => ({ range, index }))
      .filter(
        ({ range }) => range.kind !== "hang" && preemptions(parseSchedule(range.schedule)) > 0
      )
      .sort((a, b) => Number(shown(b.range)) - Number(shown(a.range)) || a.index - b.index)
    const stacks = new Map<string, sites.Captured | undefined>()
    for (const { range } of order) {
      if (stacks.size >= NEAR_RANGES) break
      if (stacks.has(range.schedule)) continue
      const settings = yield* withIsolation(
        checkOptions({
          ...options,
          mode: range.mode ?? options?.mode,
          target: range.target ?? options?.target
        }),
        options
      )
      const bound = Math.max(settings.hangMillis, DRY_RUN_BOUND)
      const tokens = parseSchedule(range.schedule)
      const run = yield* runOnce(program, strategyOf(tokens), settings, bound, undefined, true)
      stacks.set(range.schedule, run.near)
    }
    const schedules = Array.from(stacks.keys())
    const resolved = sites.resolveAll(schedules.map((schedule) => stacks.get(schedule)))
    const lines = new Map(schedules.map((schedule, i) => [schedule, resolved[i]?.source]))
    const ranges = report.ranges.map((range) => {
      const near = lines.get(range.schedule)
      return near === undefined ? range : { ...range, near }
    })
    return { ...report, ranges }
  })

/** @internal */
export const assertEveryStep = <A, E, R>(
  program: Interruption.Program<A, E, R>,
  options?: Interruption.Options<any>
): Effect.Effect<Interruption.Report, InterruptionError, R> =>
  Effect.flatMap(explore(program, options), (report) =>
    (report.failOn === "any" ? report.failures.length : report.reachable) === 0
      ? Effect.succeed(report)
      : Effect.flatMap(withNear(program, report, options), (withLines) =>
          Effect.fail(new InterruptionError({ report: withLines }))
        )
  )

/** @internal */
export const runAt = <A, E, R>(
  program: Interruption.Program<A, E, R>,
  step: number,
  options?: Interruption.Options<any>
): Effect.Effect<Interruption.Replay, never, R> =>
  Effect.suspend(() => {
    if (!Number.isInteger(step) || step < 0) {
      throw new InvalidOptionsError({ option: "step", value: step, reason: "is not a step number" })
    }
    const checked = checkOptions(options)
    if (checked.mode === "pct" || checked.mode === "exhaustive") {
      throw new InvalidOptionsError({
        option: "mode",
        value: checked.mode,
        reason: "has no step to run at: replay the failure's schedule with Interruption.replay"
      })
    }
    let tokens: Array<Token>
    const settings = checked
    if (settings.mode === "budget") {
      // Budget mode: `step` is a turn end of the run with `budget`.
      if (options?.budget === undefined) {
        throw new InvalidOptionsError({
          option: "budget",
          value: undefined,
          reason: "is needed by runAt in budget mode (a failure names its budget)"
        })
      }
      const budget: Token = { kind: "b", budget: settings.budgets[0]! }
      const end: Token = { kind: settings.target === "holder" ? "eh" : "e", end: step }
      tokens = step === 0 ? [budget] : [budget, end]
    } else {
      const kind = settings.mode === "yield" ? "y" : settings.target === "holder" ? "h" : "i"
      tokens = step === 0 ? [] : [{ kind, point: step }]
    }
    return Effect.map(
      // Bounded as the dry runs are: a point's run may take as long as the program does.
      replayTokens(program, tokens, checked, options, step, (ms) => Math.max(ms, DRY_RUN_BOUND)),
      ({ run, failures: judged, near }): Interruption.Replay => {
        // The point asked for, as on Effect 3 (a run that ends before it follows no token).
        const asked = formatSchedule(tokens)
        const failures = judged.map((f) => ({ ...f, schedule: asked }))
        return {
          step,
          steps: run.points,
          // Reached: the run was perturbed there (a shorter run ends before it, unperturbed).
          reached: step === 0 || run.fiber !== undefined,
          schedule: asked,
          ...(run.fiber === undefined ? {} : { fiber: run.fiber }),
          ...(near === undefined ? {} : { near }),
          exit: run.exit === undefined ? Option.none() : Option.some(run.exit),
          live: run.live,
          failures
        }
      }
    )
  })

/**
 * One run on `tokens`, judged as `explore` judges it (at `step`: `runAt`'s point, 0 for a
 * replayed schedule), with the holder's fork site and the user's line nearest to the first
 * perturbation (`near`), read once the run is over.
 */
const replayTokens = <A, E, R>(
  program: Interruption.Program<A, E, R>,
  tokens: ReadonlyArray<Token>,
  checked: Settings,
  options: Interruption.Options<any> | undefined,
  step: number,
  boundOf: (hangMillis: number) => number
): Effect.Effect<
  {
    readonly run: Run
    readonly failures: ReadonlyArray<Interruption.Failure>
    readonly near?: string
  },
  never,
  R
> =>
  Effect.gen(function* () {
    const settings = yield* withIsolation(checked, options)
    const bound = boundOf(settings.hangMillis)
    // A schedule that interrupts a holder: its fibers' fork sites, as `explore` names them.
    const holder = tokens.some((t) => t.kind === "h" || t.kind === "eh")
    const forks =
      holder && sites.available() ? new Map<number, sites.Captured | undefined>() : undefined
    const run = yield* runOnce(
      program,
      strategyOf(tokens),
      settings,
      bound,
      forks,
      sites.available()
    )
    const judged = yield* judge(run, step, settings, bound)
    // Read once the run is over (resolving may turn the debugger on a moment).
    const near = run.near === undefined ? undefined : sites.resolveAll([run.near])[0]?.source
    const sitesOf = holder ? forkSitesOf(forks) : undefined
    const failures =
      sitesOf === undefined ? judged : judged.map((f) => withForkSite(f, sitesOf, "holder"))
    return { run, failures, ...(near === undefined ? {} : { near }) }
  })

/** @internal */
export const replay = <A, E, R>(
  program: Interruption.Program<A, E, R>,
  schedule: string,
  options?: Interruption.Options<any>
): Effect.Effect<Interruption.Replayed<A, E>, never, R> =>
  Effect.suspend(() => {
    const checked = checkOptions(options)
    const tokens = parseSchedule(schedule)
    const pass = replayPass(tokens, options, schedule)
    return Effect.map(
      replayTokens(program, tokens, checked, options, 0, (ms) => ms),
      ({ run, failures: judged, near }): Interruption.Replayed<A, E> => {
        const failures = judged.map((f) => ({ ...f, ...pass }))
        return {
          exit: run.exit as Exit.Exit<A, E> | undefined,
          failure: failures[0],
          failures,
          points: run.points,
          schedule: formatSchedule(run.schedule),
          ...(near === undefined ? {} : { near })
        }
      }
    )
  })
