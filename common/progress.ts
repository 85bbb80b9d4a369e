/**
 * The explorer's progress line, for both editions (Effect-free: each edition provides the
 * console): on a terminal one line on stderr, rewritten in place (`\r`), otherwise a line
 * every few seconds; only once the exploration has taken a second.
 *
 * @internal
 */
/** Where the progress goes, and the clock it is timed by (real time: milliseconds). */
export interface Console {
  readonly now: () => number
  readonly isTTY: boolean
  readonly write: (text: string) => void
}

/** The first line is printed once the exploration has taken this long (ms). */
export const FIRST_AFTER = 1_000
/** On a terminal, the line is rewritten at most this often (ms). */
export const TTY_EVERY = 200
/** Elsewhere (a CI log, under vitest, whose workers' stderr is no terminal), a line this often (ms). */
export const LINE_EVERY = 5_000

/** The process's stderr, timed by real time. */
export const stderr: Console = {
  now: () => performance.now(),
  isTTY: typeof process !== "undefined" && process.stderr?.isTTY === true,
  write: (text) => {
    if (typeof process !== "undefined") process.stderr.write(text)
  }
}

/** `12s`, `1.5s` */
const seconds = (ms: number): string =>
  ms < 10_000 ? `${(Math.max(0, ms) / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`

/** `scopeguard explorer: 120/4081 points, 3 failing, 2.0s elapsed, ~66s left` */
export const line = (
  done: number,
  total: number,
  failing: number,
  elapsed: number,
  unit = "points"
): string =>
  `scopeguard explorer: ${done}/${total} ${unit}, ${failing} failing, ${seconds(elapsed)} elapsed, ~${seconds(
    done === 0 ? 0 : (elapsed / done) * (total - done)
  )} left`

/** The last line: `scopeguard explorer: 4081/4081 points, 3 failing, done in 68s` */
export const doneLine = (
  done: number,
  total: number,
  failing: number,
  elapsed: number,
  unit = "points"
): string =>
  `scopeguard explorer: ${done}/${total} ${unit}, ${failing} failing, done in ${seconds(elapsed)}`

/** A line of one pass of several (mode "all"): `scopeguard explorer (interrupt/holder): …`. */
const named = (text: string, pass: string | undefined): string =>
  pass === undefined ? text : text.replace("scopeguard explorer:", `scopeguard explorer (${pass}):`)

/** The progress of one exploration. */
export interface Progress {
  /** After each explored point: how many are done (point 0 included), of how many, failing. */
  readonly update: (done: number, total: number, failing: number) => void
  /** When the exploration ends: the last line, if any was printed. */
  readonly end: (done: number, total: number, failing: number) => void
}

const silent: Progress = { update: () => {}, end: () => {} }

/**
 * A progress reporter started now. The console is user-replaceable: a `now` or a `write` that
 * throws turns the reporting off, never fails the exploration. `pass`: the name of one pass of
 * several; `unit`: what is counted (`"points"`; the Effect 4 exhaustive mode: `"schedules"`).
 */
export const make = (
  console: Console,
  enabled: boolean,
  pass?: string,
  unit = "points"
): Progress => {
  if (!enabled) return silent
  let off = false
  const guard = <A>(f: () => A): A | undefined => {
    if (off) return undefined
    try {
      return f()
    } catch {
      off = true
      return undefined
    }
  }
  const start = guard(() => console.now())
  if (start === undefined) return silent
  const tty = console.isTTY
  let last: number | undefined = undefined
  return {
    update: (done, total, failing) =>
      guard(() => {
        const now = console.now()
        if (now - start < FIRST_AFTER) return
        if (last !== undefined && now - last < (tty ? TTY_EVERY : LINE_EVERY)) return
        last = now
        const text = named(line(done, total, failing, now - start, unit), pass)
        console.write(tty ? `\r${text}\x1b[K` : `${text}\n`)
      }),
    end: (done, total, failing) =>
      guard(() => {
        if (last === undefined) return
        const text = named(doneLine(done, total, failing, console.now() - start, unit), pass)
        console.write(tty ? `\r${text}\x1b[K\n` : `${text}\n`)
      })
  }
}
