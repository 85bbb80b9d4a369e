/**
 * From `await using` to Effect and back — the Effect 4 edition.
 *
 * Shows: plain async code holding an Effect scope with `await using` (Node 22 has the
 * symbols; TypeScript/esbuild lower the syntax), and a library's `AsyncDisposable` adopted as
 * a scopeguard `Resource`. The block ends only after the async cleanup has finished.
 *
 * Run: (cd effect4 && npx tsx --conditions=@scopeguard/source examples/await-using.ts)
 * Prints:
 *   connect
 *   query: select 1
 *   flush (async)
 *   disconnect
 *   block ended
 */
import { Console, Effect } from "effect"
import { Resource, Using } from "@scopeguard/core"

/** A library object that only knows TC39 explicit resource management. */
class Connection implements AsyncDisposable {
  query(sql: string) {
    return `query: ${sql}`
  }
  async [Symbol.asyncDispose]() {
    console.log("flush (async)")
    await new Promise((resolve) => setTimeout(resolve, 10))
    console.log("disconnect")
  }
}

const connect = Using.resource(
  Effect.sync(() => {
    console.log("connect")
    return new Connection()
  }),
  { label: "connection" }
).pipe(Effect.flatMap(Resource.get))

async function main() {
  {
    await using connection = await Using.run(connect)
    await Effect.runPromise(Console.log(connection.value.query("select 1")))
  }
  console.log("block ended")
}

main()
