/** The survey's paths in `@effect/platform` (FileSystem on Node's implementation). */
import { FileSystem, HttpClient, HttpClientResponse } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { Effect, type Scope } from "effect"
import { path, world, type Path } from "./world.js"

/** A client whose every request opens a connection that its signal's abort closes. */
const client = HttpClient.make((request, _url, signal) =>
  Effect.gen(function* () {
    world.open++
    signal.addEventListener("abort", () => world.open--, { once: true })
    yield* Effect.yieldNow()
    return HttpClientResponse.fromWeb(request, new Response("body"))
  })
)

const connections = Effect.sync(() => {
  world.open = 0
})
const connectionsClosed = () =>
  world.open === 0 ? Effect.void : Effect.fail(`${world.open} connection(s) still open`)

const prefix = "scopeguard-survey-"
const tmpEntries = () => readdirSync(tmpdir()).filter((f) => f.startsWith(prefix))
const noTempLeft = () => {
  const left = tmpEntries()
  return left.length === 0 ? Effect.void : Effect.fail(`${left.length} temporary path(s) left`)
}
const fdCount = () => readdirSync("/proc/self/fd").length
const fds = { before: 0 }
const fdsClosed = () => {
  const now = fdCount()
  return now <= fds.before
    ? Effect.void
    : Effect.fail(`${now - fds.before} file descriptor(s) left open`)
}

const withFs = <A, E>(f: (fs: FileSystem.FileSystem) => Effect.Effect<A, E, Scope.Scope>) =>
  Effect.provide(Effect.scoped(Effect.flatMap(FileSystem.FileSystem, f)), NodeFileSystem.layer)

export const paths = (): ReadonlyArray<Path> => [
  path(
    "@effect/platform",
    "HttpClient.withScope: a request's connection closes with its scope",
    Effect.zipRight(
      connections,
      Effect.scoped(
        Effect.flatMap(HttpClient.withScope(client).get("http://survey.invalid/"), (r) => r.text)
      )
    ),
    { check: connectionsClosed }
  ),
  path(
    "@effect/platform",
    "HttpClient.get interrupted: its signal aborts",
    Effect.zipRight(
      connections,
      Effect.flatMap(client.get("http://survey.invalid/"), (r) =>
        Effect.zipRight(
          r.text,
          Effect.sync(() => world.open--)
        )
      )
    ),
    // Only what an interruption leaves: a run that ends reads its body (and closes by hand).
    {
      check: (exit) => (exit._tag === "Success" ? Effect.void : connectionsClosed())
    }
  ),
  path(
    "@effect/platform",
    "FileSystem.makeTempDirectoryScoped (Node)",
    withFs((fs) => fs.makeTempDirectoryScoped({ prefix })),
    { check: noTempLeft, hangTimeout: "500 millis" }
  ),
  path(
    "@effect/platform",
    "FileSystem.makeTempFileScoped (Node)",
    withFs((fs) => fs.makeTempFileScoped({ prefix })),
    { check: noTempLeft, hangTimeout: "500 millis" }
  ),
  path(
    "@effect/platform",
    "FileSystem.open, scoped (Node)",
    Effect.zipRight(
      Effect.sync(() => {
        fds.before = fdCount()
      }),
      withFs((fs) => Effect.flatMap(fs.open("/etc/hostname"), (file) => file.stat))
    ),
    { check: fdsClosed, hangTimeout: "500 millis" }
  )
]
