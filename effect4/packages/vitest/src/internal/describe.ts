import type { Tracking } from "@scopeguard/core"

/** `resource "db" (#3)` */
export const describeEntry = (entry: Tracking.Entry): string =>
  `${entry.kind} "${entry.label}" (#${entry.id})`

/** `1 resource and 2 armed guards` */
export const describeLive = (live: ReadonlyArray<Tracking.Entry>): string => {
  const resources = live.filter((e) => e.kind === "resource").length
  const guards = live.length - resources
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`
  return `${plural(resources, "resource")} and ${plural(guards, "armed guard")}`
}
