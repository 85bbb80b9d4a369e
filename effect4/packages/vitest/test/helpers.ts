/**
 * Helpers shared by the explorer's tests.
 */
import type { Interruption } from "@scopeguard/vitest"

/** A report without its passes' wall-clock times (the rest is a function of the program). */
export const timeless = (report: Interruption.Report) => ({
  ...report,
  passes: report.passes.map(({ millis: _millis, ...pass }) => pass)
})
