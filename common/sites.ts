/**
 * Where in the user's code a fiber is: the source line of the innermost frame of its
 * continuation stack that is the user's own code (not effect's, not scopeguard's), read through
 * the V8 inspector of the running process (`node:inspector`, the same session a debugger uses):
 * a function's `[[FunctionLocation]]`, and for `Effect.gen` the suspended generator's
 * `[[GeneratorLocation]]` — the `yield*` it waits at. Locations of transformed code (vitest's
 * TypeScript) are mapped back through the script's inline source map.
 *
 * Only asked for a few fibers (a fork in a dry run, the first step of a failing range), never
 * per step. Without an inspector (another runtime, or a process that forbids it) every answer
 * is `undefined` and the report simply says less. Effect-free, for both editions: each reads
 * the frames of its own runtime's continuation stack (`captureStack`'s `frameOf`).
 *
 * @internal
 */
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

/** The user's code nearest to the top of a fiber's stack, and how many library frames lie above it. */
export interface Site {
  /** `path:line:column` (1-based), relative to the working directory. */
  readonly source: string
  /** Frames of library code (effect, scopeguard) above it on the fiber's stack. */
  readonly above: number
}

interface Location {
  readonly scriptId: string
  readonly lineNumber: number
  readonly columnNumber: number
}

interface RemoteObject {
  readonly objectId?: string
  readonly subtype?: string
}

interface PropertyDescriptor {
  readonly name: string
  readonly value?: RemoteObject & { readonly value?: unknown }
}

interface Script {
  readonly url: string
  readonly sourceMapURL: string | undefined
  map?: { findEntry(line: number, column: number): Record<string, unknown> } | null
}

interface Session {
  post(method: string, params: object, callback: (error: Error | null, result: any) => void): void
  on(event: string, listener: (message: { params: any }) => void): void
  connect(): void
}

let session: Session | null | undefined = undefined
const scripts = new Map<string, Script>()
const require = createRequire(import.meta.url)
const GROUP = "scopeguard-sites"
const SLOT = "__scopeguardSite"

/** The process's inspector session, opened on first use (`null`: there is none). */
const open = (): Session | null => {
  if (session !== undefined) return session
  try {
    const inspector = require("node:inspector") as { Session: new () => Session }
    const s = new inspector.Session()
    s.connect()
    s.on("Debugger.scriptParsed", ({ params }) => {
      if (scripts.has(params.scriptId)) return
      scripts.set(params.scriptId, {
        url: params.url,
        sourceMapURL: params.sourceMapURL === "" ? undefined : params.sourceMapURL
      })
    })
    session = s
  } catch {
    session = null
  }
  return session
}

/** An inspector call: in-process sessions answer synchronously. */
const call = (method: string, params: object): any => {
  let answer: any = undefined
  let failure: Error | null = null
  session!.post(method, params, (error, result) => {
    failure = error
    answer = result
  })
  if (failure !== null) throw failure
  return answer
}

/** The inspector's handle on a value of this process. */
const remote = (value: unknown): string | undefined => {
  ;(globalThis as Record<string, unknown>)[SLOT] = value
  try {
    const { result } = call("Runtime.evaluate", {
      expression: `globalThis.${SLOT}`,
      objectGroup: GROUP,
      silent: true
    })
    return result?.objectId
  } finally {
    delete (globalThis as Record<string, unknown>)[SLOT]
  }
}

const internals = (objectId: string): ReadonlyArray<PropertyDescriptor> =>
  call("Runtime.getProperties", { objectId, ownProperties: true }).internalProperties ?? []

const internal = (objectId: string, name: string): PropertyDescriptor["value"] =>
  internals(objectId).find((p) => p.name === name)?.value

const locationOf = (value: PropertyDescriptor["value"]): Location | undefined =>
  value?.value as Location | undefined

/**
 * The source map of a module that vitest 5 evaluated: its module runner hands V8 the code
 * without the map (no `sourceMappingURL` comment, so the inspector reports none) and keeps the
 * map in the worker's module graph (`evaluatedModules`, the one it maps its own stack traces
 * with). Read only, by the script's file; any other shape (another vitest, no vitest) is no map.
 */
const runnerMapOf = (url: string): unknown => {
  try {
    const modules = (globalThis as { __vitest_worker__?: { evaluatedModules?: any } })
      .__vitest_worker__?.evaluatedModules
    if (modules === undefined) return undefined
    const path = url.startsWith("file:") ? fileURLToPath(url) : url
    const first = modules.fileToModulesMap?.get(path)?.values().next().value
    if (first === undefined) return undefined
    return modules.getModuleSourceMapById?.(first.id)?.map
  } catch {
    return undefined
  }
}

/**
 * The original position of a location, through the script's source map if it has one: inline
 * (vitest 3, tsx), or kept by vitest 5's module runner.
 */
const resolve = (location: Location): { url: string; line: number; column: number } | undefined => {
  const script = scripts.get(location.scriptId)
  if (script === undefined) return undefined
  if (script.map === undefined) {
    script.map = null
    const data = script.sourceMapURL?.match(/^data:application\/json[^,]*;base64,(.*)$/)?.[1]
    try {
      const payload =
        data !== undefined
          ? JSON.parse(Buffer.from(data, "base64").toString("utf8"))
          : runnerMapOf(script.url)
      if (payload !== undefined && payload !== null) {
        const { SourceMap } = require("node:module") as {
          SourceMap: new (payload: unknown) => NonNullable<Script["map"]>
        }
        script.map = new SourceMap(payload)
      }
    } catch {
      script.map = null
    }
  }
  const entry = script.map?.findEntry(location.lineNumber, location.columnNumber)
  if (entry !== undefined && typeof entry["originalSource"] === "string") {
    const source = entry["originalSource"] as string
    return {
      url: source.startsWith("/") || source.startsWith("file:") ? source : script.url,
      line: (entry["originalLine"] as number) + 1,
      column: (entry["originalColumn"] as number) + 1
    }
  }
  return { url: script.url, line: location.lineNumber + 1, column: location.columnNumber + 1 }
}

/**
 * Library code, from the user's point of view: installed packages, and scopeguard's own
 * sources and builds (in scopeguard's repository its packages are not under `node_modules`;
 * this file is `<package>/{src,dist}/internal/common/sites`).
 */
const libraryRoots: ReadonlyArray<string> = (() => {
  try {
    const packages = fileURLToPath(new URL("../../../../", import.meta.url))
    return ["core", "vitest", "platform"].flatMap((name) => [
      `${packages}${name}/src/`,
      `${packages}${name}/dist/`
    ])
  } catch {
    return []
  }
})()
const isLibrary = (url: string): boolean => {
  const path = url.replace(/^file:\/\//, "")
  return (
    path.includes("/node_modules/") ||
    path.startsWith("node:") ||
    libraryRoots.some((root) => path.startsWith(root))
  )
}

const relative = (url: string, line: number, column: number): string => {
  const path = url.replace(/^file:\/\//, "")
  const cwd = `${process.cwd()}/`
  return `${path.startsWith(cwd) ? path.slice(cwd.length) : path}:${line}:${column}`
}

/**
 * One frame of a fiber's stack, as raw locations: where its code is defined (`own`: the
 * function, or the generator function of an `Effect.gen`), and where it is (`at`: the
 * generator's suspended `yield*`, or the function itself).
 */
export interface Frame {
  readonly own: Location
  readonly at: Location
}

/** A fiber's stack read at one moment (a fork, a step), to be resolved later. */
export type Captured = ReadonlyArray<ReadonlyArray<Frame>>

/**
 * The locations of a generator (an `Effect.gen`'s, suspended at a `yield*`): where its
 * function is defined, and where it waits.
 */
export const generatorFrame = (generator: unknown): ReadonlyArray<Frame> => {
  const id = remote(generator)
  if (id === undefined) return []
  const properties = internals(id)
  const fn = properties.find((p) => p.name === "[[GeneratorFunction]]")?.value?.objectId
  const at = locationOf(properties.find((p) => p.name === "[[GeneratorLocation]]")?.value)
  const own = fn === undefined ? undefined : locationOf(internal(fn, "[[FunctionLocation]]"))
  return own === undefined || at === undefined ? [] : [{ own, at }]
}

/** The locations of the functions among `values` (a continuation's callbacks). */
export const functionFrames = (values: ReadonlyArray<unknown>): ReadonlyArray<Frame> => {
  const frames: Array<Frame> = []
  for (const f of values) {
    if (typeof f !== "function") continue
    const id = remote(f)
    if (id === undefined) continue
    const at = locationOf(internal(id, "[[FunctionLocation]]"))
    if (at !== undefined) frames.push({ own: at, at })
  }
  return frames
}

/**
 * Reads a fiber's continuation stack (`stack`, bottom first, as Effect keeps it), top first,
 * as raw locations, each frame read by the edition's `frameOf` (with `generatorFrame` and
 * `functionFrames`): a few inspector calls per frame of the `Runtime` domain only (the
 * debugger stays off while a run runs).
 */
export const captureStack = (
  stack: ReadonlyArray<unknown> | undefined,
  frameOf: (frame: unknown) => ReadonlyArray<Frame>
): Captured | undefined => {
  if (stack === undefined || open() === null) return undefined
  try {
    const frames: Array<ReadonlyArray<Frame>> = []
    for (let i = stack.length - 1; i >= 0; i--) frames.push(frameOf(stack[i]))
    return frames
  } catch {
    return undefined
  } finally {
    try {
      call("Runtime.releaseObjectGroup", { objectGroup: GROUP })
    } catch {
      // nothing to release
    }
  }
}

/**
 * The scripts' names: the debugger is turned on for a moment (it announces every script
 * parsed so far), then off again. Only when a location names a script not yet known.
 */
const learnScripts = (captured: ReadonlyArray<Captured>): void => {
  const unknown = captured.some((c) =>
    c.some((frames) =>
      frames.some((f) => !scripts.has(f.own.scriptId) || !scripts.has(f.at.scriptId))
    )
  )
  if (!unknown || open() === null) return
  try {
    call("Debugger.enable", {})
  } catch {
    // no script names: the sites stay unknown
  } finally {
    try {
      call("Debugger.disable", {})
    } catch {
      // already off
    }
  }
}

/**
 * The user's code nearest to the top of a captured stack, or `undefined` (no user frame: the
 * fiber ran only library code). Call it outside a run: it may turn the debugger on a moment.
 */
export const resolveAll = (
  captured: ReadonlyArray<Captured | undefined>
): Array<Site | undefined> => {
  learnScripts(captured.filter((c): c is Captured => c !== undefined))
  return captured.map((c) => {
    if (c === undefined) return undefined
    for (let i = 0; i < c.length; i++) {
      for (const frame of c[i]!) {
        const own = resolve(frame.own)
        if (own === undefined || isLibrary(own.url)) continue
        const at = resolve(frame.at)
        if (at !== undefined) return { source: relative(at.url, at.line, at.column), above: i }
      }
    }
    return undefined
  })
}

/** Whether the inspector can be asked (opened on first use). */
export const available = (): boolean => open() !== null
