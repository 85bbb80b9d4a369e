/**
 * The shutdown's ledger, in both editions: which tracked `Resource`s and `Guard`s are
 * releasing, committing or compensating, and since when; the deadline report and the
 * per-entry lines are made from it. Effect-free: it is a `Tracking.Tracker` of either edition
 * (the types below are theirs, structurally).
 *
 * @internal
 */

/** A tracked entry, as `Tracking.Entry` of either edition. */
export interface Entry {
  readonly kind: "resource" | "guard"
  readonly id: number
  readonly label: string
}

/** What a tracked entry is doing while the shutdown waits for it. */
export type Doing = "releasing" | "committing" | "compensating"

/** One busy entry, and since when (`performance.now()`). */
export interface Busy {
  readonly entry: Entry
  readonly doing: Doing
  readonly since: number
}

/**
 * Every tracked entry that is releasing, committing or compensating, with its start. A guard
 * that is told `releasing` while it is committing is running the compensation of a failed
 * commit. `onDone` is told when a releasing or compensating entry has settled.
 */
export class Ledger {
  readonly busy = new Map<Entry, Busy>()
  readonly tracker: {
    readonly opened: (entry: Entry) => void
    readonly committing: (entry: Entry) => void
    readonly releasing: (entry: Entry) => void
    readonly settled: (entry: Entry) => void
  }

  constructor(
    readonly now: () => number,
    readonly onDone: (busy: Busy, millis: number) => void
  ) {
    this.tracker = {
      opened: () => {},
      committing: (entry) => {
        this.busy.set(entry, { entry, doing: "committing", since: this.now() })
      },
      releasing: (entry) => {
        const doing = this.busy.get(entry)?.doing === "committing" ? "compensating" : "releasing"
        // Deleted first: the report lists entries in the order they became busy.
        this.busy.delete(entry)
        this.busy.set(entry, { entry, doing, since: this.now() })
      },
      settled: (entry) => {
        const busy = this.busy.get(entry)
        if (busy === undefined) return
        this.busy.delete(entry)
        if (busy.doing !== "committing") this.onDone(busy, Math.round(this.now() - busy.since))
      }
    }
  }

  /** One line per busy entry: `  guard "refund" (#7) committing for 1000 ms`. */
  report(now: number): Array<string> {
    return Array.from(this.busy.values(), (busy) => `  ${describe(busy)} for ${elapsed(busy, now)}`)
  }
}

const describe = ({ entry, doing }: Busy): string =>
  `${entry.kind} "${entry.label}" (#${entry.id}) ${doing}`

const elapsed = (busy: Busy, now: number): string => `${Math.round(now - busy.since)} ms`

/** `released resource "http" (#3)`, `compensated guard "refund" (#7)`. */
export const done = ({ entry, doing }: Busy): string =>
  `${doing === "compensating" ? "compensated" : "released"} ${entry.kind} "${entry.label}" (#${entry.id})`
