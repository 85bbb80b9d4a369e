/**
 * Runs a reproduction of test/findings/ as its own process (findings.test.ts,
 * findings-sql.test.ts).
 */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))

/** The reproduction's exit code and the one line it prints. */
export const reproduce = (name: string) =>
  new Promise<{ code: number | string | null | undefined; seen: unknown }>((resolve) =>
    execFile(
      process.execPath,
      ["--import", "tsx", `${root}test/findings/${name}.ts`],
      { encoding: "utf8", cwd: root },
      (error, stdout) =>
        resolve({
          code: error === null ? 0 : error.code,
          seen: stdout.trim() === "" ? stdout : JSON.parse(stdout.trim())
        })
    )
  )
