/**
 * The rules every scopeguard option is checked by, in both editions. Effect-free: a rule
 * throws a `Refusal` naming the option, the value and why; each edition turns it into its own
 * `InvalidOptionsError` (`refusing` in its `internal/options.ts`), so the two editions refuse
 * the same values with the same words.
 *
 * @internal
 */

/** Why an option's value was refused. */
export class Refusal {
  constructor(
    readonly option: string,
    readonly value: unknown,
    readonly reason: string
  ) {}
}

/** Refuses `value` for `option`. */
export const refuse = (option: string, value: unknown, reason: string): never => {
  throw new Refusal(option, value, reason)
}

/** The options object itself: `undefined` (the defaults) or an object; `null` is refused. */
export const object = <A>(value: A): A => {
  if (value === undefined || (typeof value === "object" && value !== null)) return value
  return refuse("options", value, "is not an object")
}

/** A choice among fixed values. */
export const oneOf = <const A extends ReadonlyArray<unknown>>(
  option: string,
  value: unknown,
  choices: A
): A[number] | undefined => {
  if (value === undefined || choices.includes(value)) return value as A[number] | undefined
  return refuse(option, value, `is not one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`)
}

/** A label: a string, or `undefined` for the default. */
export const label = (option: string, value: unknown): string | undefined => {
  if (value === undefined || typeof value === "string") return value
  return refuse(option, value, "is not a string")
}

/** A number of bytes: non-negative (`Infinity` allowed: never by size). */
export const bytes = (option: string, value: unknown): number | undefined => {
  if (value === undefined || (typeof value === "number" && value >= 0)) return value
  return refuse(option, value, "is not a number of bytes (a non-negative number)")
}

/** A function, or `undefined` for the default. */
export const func = <F>(option: string, value: unknown): F | undefined => {
  if (value === undefined || typeof value === "function") return value as F | undefined
  return refuse(option, value, "is not a function")
}

/** A process exit code: an integer from 0 to 255. */
export const exitCode = (option: string, value: unknown): number | undefined => {
  if (value === undefined) return undefined
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 255) {
    return value
  }
  return refuse(option, value, "is not an exit code (an integer from 0 to 255)")
}

/** The signals that can never be listened to: `process.on` throws EINVAL for them. */
const uncatchable: ReadonlyArray<string> = ["SIGKILL", "SIGSTOP"]

/**
 * A non-empty list of signal names of this platform (`available`: `os.constants.signals`)
 * that can be listened to; duplicates dropped, order kept.
 */
export const signals = <S extends string>(
  option: string,
  value: unknown,
  available: object
): ReadonlyArray<S> | undefined => {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) return refuse(option, value, "is not an array of signal names")
  if (value.length === 0) {
    return refuse(option, value, "is empty: no signal would start the shutdown")
  }
  for (const name of value) {
    if (typeof name !== "string" || !Object.hasOwn(available, name)) {
      return refuse(
        option,
        value,
        `contains ${JSON.stringify(name)}, which is not a signal of this platform (os.constants.signals)`
      )
    }
    if (uncatchable.includes(name)) {
      return refuse(
        option,
        value,
        `contains "${name}", which cannot be listened to (SIGKILL and SIGSTOP cannot be caught)`
      )
    }
  }
  return [...new Set(value as ReadonlyArray<S>)]
}

/** The message of a refusal: `Invalid option drainTimeout: -1 is not a duration: …`. */
export const message = (option: string, value: unknown, reason: string): string =>
  `Invalid option ${option}: ${show(value)} ${reason}`

/** A refused value as the message shows it: strings quoted, `[NaN, 0]` as written. */
const show = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "bigint") return `${value}n`
  // JSON would show `[NaN, 0]` as `[null,0]`.
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`
  if (typeof value === "object" && value !== null) {
    try {
      return JSON.stringify(value)
    } catch {
      return String(value)
    }
  }
  return String(value)
}
