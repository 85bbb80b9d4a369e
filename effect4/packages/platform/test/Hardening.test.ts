/**
 * Regression tests for the platform package under hostile input: a sink that throws, invalid
 * options, a write racing a rollback, permission bits and symbolic links of an atomic replace,
 * and a process group that outlives its leader. (Shutdown is not in the Effect 4 edition yet.)
 */
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import {
  Cause,
  Deferred,
  Effect,
  Exit,
  Fiber,
  FileSystem,
  Layer,
  Option,
  Path,
  Stream
} from "effect"
import { ChildProcess as Command, ChildProcessSpawner } from "effect/process"
import { InvalidOptionsError, Resource } from "@scopeguard/core"
import { AtomicFile, AtomicFileError, BufferedWriter, ChildProcess } from "@scopeguard/platform"
import * as NodeFs from "node:fs"

const decoder = new TextDecoder()

/** Lets every ready fiber run, then asserts that `fiber` has not finished. */
const expectStillWaiting = (fiber: Fiber.Fiber<unknown, unknown>) =>
  Effect.gen(function* () {
    for (let i = 0; i < 5; i++) yield* Effect.yieldNow
    expect(fiber.pollUnsafe()).toBeUndefined()
  })
const boom = new Error("socket gone")

describe("BufferedWriter whose sink throws synchronously once", () => {
  it.effect("the write that hit it dies; later writes and the final flush still arrive", () =>
    Effect.gen(function* () {
      const written: Array<string> = []
      let throwNext = true
      const sink = (chunk: Uint8Array): Effect.Effect<void> => {
        if (throwNext) {
          throwNext = false
          throw boom
        }
        return Effect.sync(() => {
          written.push(decoder.decode(chunk))
        })
      }
      const exits = yield* Effect.scoped(
        Effect.gen(function* () {
          const writer = yield* BufferedWriter.make(sink, { capacity: 4 })
          const first = yield* Effect.exit(writer.write("abcd"))
          const second = yield* Effect.exit(writer.write("efgh"))
          yield* writer.write("ij")
          return [first, second]
        })
      )
      expect(exits).toEqual([Exit.die(boom), Exit.void])
      expect(written).toEqual(["efgh", "ij"])
    })
  )
})

describe("invalid options die with InvalidOptionsError when the effect runs", () => {
  const sink = () => Effect.void

  it.effect("BufferedWriter: capacity NaN or negative, releaseTimeout unreadable", () =>
    Effect.gen(function* () {
      const cases = [
        [{ capacity: Number.NaN }, "capacity", Number.NaN],
        [{ capacity: -1 }, "capacity", -1],
        [{ releaseTimeout: "5s" as "5 seconds" }, "releaseTimeout", "5s"]
      ] as const
      for (const [options, option, value] of cases) {
        const build = () => BufferedWriter.make(sink, options)
        expect(build).not.toThrow()
        const exit = yield* Effect.exit(Effect.scoped(build()))
        expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toEqual(
          new InvalidOptionsError({
            option,
            value,
            reason:
              option === "capacity"
                ? "is not a number of bytes (a non-negative number)"
                : InvalidOptionsError.durationReason
          })
        )
      }
    })
  )

  it.effect(
    "ChildProcess: gracePeriod unreadable; releaseTimeout shorter than the grace",
    () =>
      Effect.gen(function* () {
        const command = Command.make(process.execPath, ["-e", ""])
        const unreadable = yield* Effect.exit(
          Effect.scoped(ChildProcess.start(command, { gracePeriod: "2s" as "2 seconds" }))
        )
        expect(unreadable).toEqual(
          Exit.die(
            new InvalidOptionsError({
              option: "gracePeriod",
              value: "2s",
              reason: InvalidOptionsError.durationReason
            })
          )
        )
        const tooShort = yield* Effect.exit(
          Effect.scoped(
            ChildProcess.start(command, { gracePeriod: "2 seconds", releaseTimeout: "1 second" })
          )
        )
        expect(tooShort).toEqual(
          Exit.die(
            new InvalidOptionsError({
              option: "releaseTimeout",
              value: "1 second",
              reason:
                "is shorter than gracePeriod (2s): the stop would be abandoned before SIGKILL is sent"
            })
          )
        )
      }).pipe(Effect.provide(NodeServices.layer)),
    30_000
  )
})

/**
 * `[seconds, nanos]` with a NaN or negative part: `Duration.decode` reads them as zero (or
 * subtracts), so a `[NaN, 0]` grace period would be no grace period — straight to SIGKILL.
 * `AtomicFile` has no duration option; `Shutdown`'s deadline is tested in Shutdown.test.ts.
 */
describe("every duration option refuses [seconds, nanos] with a NaN or negative part", () => {
  const pairs = [
    [Number.NaN, 0],
    [1, -5]
  ] as const satisfies ReadonlyArray<readonly [number, number]>
  const refused = (option: string, value: unknown) =>
    Exit.die(new InvalidOptionsError({ option, value, reason: InvalidOptionsError.durationReason }))

  /** NodeServices, with every process spawn counted. */
  const countingStarts = (starts: { count: number }) =>
    Layer.effect(
      ChildProcessSpawner.ChildProcessSpawner,
      Effect.map(ChildProcessSpawner.ChildProcessSpawner, (spawner) =>
        ChildProcessSpawner.make((command) => {
          starts.count++
          return spawner.spawn(command)
        })
      )
    ).pipe(Layer.provide(NodeServices.layer))

  it.effect(
    "ChildProcess: gracePeriod, killTimeout, releaseTimeout; no process is started",
    () =>
      Effect.gen(function* () {
        const starts = { count: 0 }
        const command = Command.make(process.execPath, ["-e", ""])
        const results = []
        for (const option of ["gracePeriod", "killTimeout", "releaseTimeout"] as const) {
          for (const pair of pairs) {
            const exit = yield* Effect.exit(
              Effect.scoped(ChildProcess.start(command, { [option]: pair })).pipe(
                Effect.provide(countingStarts(starts))
              )
            )
            results.push({ option, pair, exit })
          }
        }
        expect({ results, starts: starts.count }).toEqual({
          results: ["gracePeriod", "killTimeout", "releaseTimeout"].flatMap((option) =>
            pairs.map((pair) => ({ option, pair, exit: refused(option, pair) }))
          ),
          starts: 0
        })
      }),
    30_000
  )

  it.effect("BufferedWriter: releaseTimeout; nothing is written or lost", () =>
    Effect.gen(function* () {
      const written: Array<Uint8Array> = []
      const sink = (chunk: Uint8Array) => Effect.sync(() => void written.push(chunk))
      const exits = []
      for (const pair of pairs) {
        exits.push(
          yield* Effect.exit(
            Effect.scoped(
              Effect.flatMap(BufferedWriter.make(sink, { releaseTimeout: pair }), (writer) =>
                writer.write("lost?")
              )
            )
          )
        )
      }
      expect({ exits, written }).toEqual({
        exits: pairs.map((pair) => refused("releaseTimeout", pair)),
        written: []
      })
    })
  )
})

/**
 * A file system whose file writes wait on a gate the test opens: it holds a write "in flight"
 * (past every check, inside the write) for as long as the test needs.
 */
const gatedFileSystem = (gate: {
  armed: boolean
  entered: Deferred.Deferred<void>
  open: Deferred.Deferred<void>
}) =>
  Layer.merge(
    NodeServices.layer,
    Layer.effect(
      FileSystem.FileSystem,
      Effect.map(FileSystem.FileSystem, (fs) => ({
        ...fs,
        open: (path: string, options?: Parameters<FileSystem.FileSystem["open"]>[1]) =>
          Effect.map(fs.open(path, options), (file) => {
            const gated: FileSystem.File = Object.create(file)
            Object.defineProperty(gated, "writeAll", {
              value: (buffer: Uint8Array) =>
                Effect.suspend(() => {
                  if (!gate.armed) return file.writeAll(buffer)
                  gate.armed = false
                  return Deferred.succeed(gate.entered, undefined).pipe(
                    Effect.andThen(Deferred.await(gate.open)),
                    Effect.andThen(file.writeAll(buffer))
                  )
                })
            })
            return gated
          })
      }))
    ).pipe(Layer.provide(NodeServices.layer))
  )

describe("AtomicFile: no write reaches a closed descriptor", () => {
  it.effect(
    "a discard waits for the write in flight; a write after it fails typed",
    () =>
      Effect.gen(function* () {
        const gate = {
          armed: false,
          entered: yield* Deferred.make<void>(),
          open: yield* Deferred.make<void>()
        }
        const result = yield* Effect.gen(function* () {
          const fs = yield* FileSystem.FileSystem
          const paths = yield* Path.Path
          const dir = yield* fs.makeTempDirectoryScoped()
          const target = paths.join(dir, "target.txt")
          yield* fs.writeFileString(target, "old")
          const file = yield* AtomicFile.make(target)
          yield* file.write("a")
          gate.armed = true
          const inFlight = yield* Effect.forkChild(Effect.exit(file.write("b")))
          yield* Deferred.await(gate.entered)
          const discarding = yield* Effect.forkChild(AtomicFile.discard(file))
          // The discard must not close the descriptor under the write in flight.
          yield* expectStillWaiting(discarding)
          const late = yield* Effect.exit(file.write("c"))
          yield* Deferred.succeed(gate.open, undefined)
          return {
            inFlight: yield* Fiber.join(inFlight),
            discarded: yield* Fiber.join(discarding),
            late,
            files: yield* fs.readDirectory(dir),
            content: yield* fs.readFileString(target),
            tempPath: file.tempPath
          }
        }).pipe(Effect.scoped, Effect.provide(gatedFileSystem(gate)))
        expect(result.inFlight).toEqual(Exit.void)
        expect(result.discarded).toBe(true)
        expect(result.late).toEqual(
          Exit.fail(
            new AtomicFileError({
              path: result.tempPath.replace(/\.target\.txt\.[a-z0-9]+\.tmp$/, "target.txt"),
              tempPath: result.tempPath,
              reason: "already discarded"
            })
          )
        )
        expect(result.files).toEqual(["target.txt"])
        expect(result.content).toBe("old")
      }),
    30_000
  )
})

describe("AtomicFile: what users of atomic writes expect", () => {
  it.effect(
    "the replaced file keeps the target's permission bits",
    () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const paths = yield* Path.Path
        const dir = yield* fs.makeTempDirectoryScoped()
        const secrets = paths.join(dir, "secrets.env")
        yield* fs.writeFileString(secrets, "old")
        yield* fs.chmod(secrets, 0o600)
        yield* Effect.scoped(
          Effect.flatMap(AtomicFile.make(secrets), (file) => file.write("TOKEN=new"))
        )
        expect(yield* fs.readFileString(secrets)).toBe("TOKEN=new")
        expect((yield* fs.stat(secrets)).mode & 0o777).toBe(0o600)
      }).pipe(Effect.scoped, Effect.provide(NodeServices.layer)),
    30_000
  )

  it.effect(
    "a symbolic link is written through: the link stays, its target is replaced",
    () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const paths = yield* Path.Path
        const dir = yield* fs.makeTempDirectoryScoped()
        const real = paths.join(dir, "real.conf")
        const link = paths.join(dir, "link.conf")
        yield* fs.writeFileString(real, "old")
        yield* fs.symlink(real, link)
        yield* Effect.scoped(Effect.flatMap(AtomicFile.make(link), (file) => file.write("new")))
        expect(yield* fs.readLink(link)).toBe(real)
        expect(yield* fs.readFileString(real)).toBe("new")
        expect((yield* fs.readDirectory(dir)).sort()).toEqual(["link.conf", "real.conf"])
      }).pipe(Effect.scoped, Effect.provide(NodeServices.layer)),
    30_000
  )

  it.effect(
    "a dangling symbolic link is written through: the link stays, its missing target is created",
    () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const paths = yield* Path.Path
        const dir = yield* fs.makeTempDirectoryScoped()
        const real = paths.join(dir, "real.conf")
        const link = paths.join(dir, "link.conf")
        yield* fs.symlink(real, link)
        yield* Effect.scoped(Effect.flatMap(AtomicFile.make(link), (file) => file.write("new")))
        expect({
          link: yield* fs.readLink(link),
          content: yield* fs.readFileString(real),
          files: (yield* fs.readDirectory(dir)).sort()
        }).toEqual({ link: real, content: "new", files: ["link.conf", "real.conf"] })
      }).pipe(Effect.scoped, Effect.provide(NodeServices.layer)),
    30_000
  )

  it.effect(
    "a relative dangling link is resolved from the link's own directory, through a linked directory",
    () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const paths = yield* Path.Path
        const dir = yield* fs.makeTempDirectoryScoped()
        // dir/conf/app.conf -> ../data/app.conf (missing); dir/alias -> dir/conf. Written as
        // dir/alias/app.conf, the link's directory is dir/conf (the kernel resolves "../data"
        // from there, not lexically from dir/alias): the target is dir/data/app.conf.
        yield* fs.makeDirectory(paths.join(dir, "conf"))
        yield* fs.makeDirectory(paths.join(dir, "data"))
        yield* fs.symlink("../data/app.conf", paths.join(dir, "conf", "app.conf"))
        yield* fs.symlink(paths.join(dir, "conf"), paths.join(dir, "alias"))
        yield* Effect.scoped(
          Effect.flatMap(AtomicFile.make(paths.join(dir, "alias", "app.conf")), (file) =>
            file.write("new")
          )
        )
        expect({
          link: yield* fs.readLink(paths.join(dir, "conf", "app.conf")),
          content: yield* fs.readFileString(paths.join(dir, "data", "app.conf")),
          top: (yield* fs.readDirectory(dir)).sort(),
          conf: yield* fs.readDirectory(paths.join(dir, "conf")),
          data: yield* fs.readDirectory(paths.join(dir, "data"))
        }).toEqual({
          link: "../data/app.conf",
          content: "new",
          top: ["alias", "conf", "data"],
          conf: ["app.conf"],
          data: ["app.conf"]
        })
      }).pipe(Effect.scoped, Effect.provide(NodeServices.layer)),
    30_000
  )

  it.effect(
    "a chain of links ending in a missing file: every link stays, the last target is written",
    () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const paths = yield* Path.Path
        const dir = yield* fs.makeTempDirectoryScoped()
        // first -> second (relative) -> sub/third (relative) -> ../real.conf (missing)
        yield* fs.makeDirectory(paths.join(dir, "sub"))
        yield* fs.symlink("second", paths.join(dir, "first"))
        yield* fs.symlink("sub/third", paths.join(dir, "second"))
        yield* fs.symlink("../real.conf", paths.join(dir, "sub", "third"))
        yield* Effect.scoped(
          Effect.flatMap(AtomicFile.make(paths.join(dir, "first")), (file) => file.write("new"))
        )
        expect({
          first: yield* fs.readLink(paths.join(dir, "first")),
          second: yield* fs.readLink(paths.join(dir, "second")),
          third: yield* fs.readLink(paths.join(dir, "sub", "third")),
          content: yield* fs.readFileString(paths.join(dir, "real.conf")),
          top: (yield* fs.readDirectory(dir)).sort(),
          sub: yield* fs.readDirectory(paths.join(dir, "sub"))
        }).toEqual({
          first: "second",
          second: "sub/third",
          third: "../real.conf",
          content: "new",
          top: ["first", "real.conf", "second", "sub"],
          sub: ["third"]
        })
      }).pipe(Effect.scoped, Effect.provide(NodeServices.layer)),
    30_000
  )

  it.effect(
    "a loop of links is refused before anything is written",
    () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const paths = yield* Path.Path
        const dir = yield* fs.makeTempDirectoryScoped()
        yield* fs.symlink("b", paths.join(dir, "a"))
        yield* fs.symlink("a", paths.join(dir, "b"))
        const exit = yield* Effect.exit(
          Effect.scoped(
            Effect.flatMap(AtomicFile.make(paths.join(dir, "a")), (file) => file.write("new"))
          )
        )
        expect({
          failed: Exit.isFailure(exit),
          a: yield* fs.readLink(paths.join(dir, "a")),
          b: yield* fs.readLink(paths.join(dir, "b")),
          files: (yield* fs.readDirectory(dir)).sort()
        }).toEqual({ failed: true, a: "b", b: "a", files: ["a", "b"] })
      }).pipe(Effect.scoped, Effect.provide(NodeServices.layer)),
    30_000
  )
})

describe("ChildProcess stops the whole process group", () => {
  /**
   * A leader that exits on SIGTERM and a member of its group that ignores SIGTERM; it prints
   * the member's pid once both are ready.
   */
  const family = Command.make(process.execPath, [
    "-e",
    `const member = require("node:child_process").spawn(process.execPath, ["-e",
       'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)'],
       { stdio: ["ignore", "pipe", "inherit"] })
     member.stdout.once("data", () => console.log(member.pid))
     setInterval(() => {}, 1000)`
  ])

  /** Alive and not a zombie (nobody may reap orphans here). */
  const isAlive = (pid: number): boolean => {
    try {
      process.kill(pid, 0)
    } catch {
      return false
    }
    try {
      const stat = NodeFs.readFileSync(`/proc/${pid}/stat`, "utf8")
      return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z"
    } catch {
      return true
    }
  }

  it.live(
    "a member that ignores SIGTERM is killed after the grace period",
    () =>
      Effect.gen(function* () {
        const { resource, member } = yield* Effect.scoped(
          Effect.gen(function* () {
            const resource = yield* ChildProcess.start(family, { gracePeriod: "200 millis" })
            const child = yield* Resource.get(resource)
            const line = yield* child.stdout.pipe(
              Stream.decodeText(),
              Stream.splitLines,
              Stream.runHead
            )
            const member = Number(Option.getOrThrow(line))
            expect(isAlive(member)).toBe(true)
            return { resource, member }
          })
        )
        expect(yield* Resource.awaitRelease(resource)).toEqual(Exit.succeed("killed"))
        expect(isAlive(member)).toBe(false)
      }).pipe(Effect.provide(NodeServices.layer)),
    60_000
  )
})
