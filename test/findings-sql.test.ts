/**
 * The upstream finding in @effect/sql (docs/findings/sql-transaction-wait.md), as
 * findings.test.ts runs the others. A file of its own because @effect/sql-sqlite-node's
 * better-sqlite3 addon is built for the machine's Node 20: the Node 22 run of the Effect 3
 * edition (`npm run test:node22`) leaves it out, as it does examples/app's test.
 */
import { describe, expect, it } from "vitest"
import { reproduce } from "./reproduce.js"

describe("upstream findings: each plain reproduction still shows its bug", () => {
  it("test/findings/sql-transaction-wait.ts exits 1, printing what the report describes", async () => {
    expect(await reproduce("sql-transaction-wait")).toEqual({
      code: 1,
      seen: { query: "returned", transaction: "blocked until the connection was free" }
    })
  }, 90_000)
})
