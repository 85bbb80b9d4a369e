/**
 * The explorer's progress line (common/progress.ts, shared with the Effect 4 edition), and the
 * reference a test replaces its console through.
 *
 * @internal
 */
import * as Context from "effect/Context"
import { type Console, stderr } from "./common/progress.js"

export {
  type Console,
  doneLine,
  FIRST_AFTER,
  LINE_EVERY,
  line,
  make,
  type Progress,
  TTY_EVERY
} from "./common/progress.js"

/**
 * The console the explorer reports its progress to: stderr unless a test provides another.
 *
 * @internal
 */
export class ProgressConsole extends Context.Reference<ProgressConsole>()(
  "@scopeguard/vitest/ProgressConsole",
  { defaultValue: (): Console => stderr }
) {}
