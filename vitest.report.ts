/**
 * `npm test` runs vitest more than once (the Effect 3 edition on Node 20 and on Node 22, the
 * Effect 4 edition on Node 22). With `SCOPEGUARD_REPORT_DIR` set (`.ci/run` sets it), each run
 * also writes a JSON report of its own there, named by edition and Node version; `.ci/run`
 * adds them up. Shared by both editions' vitest configs (plain Node, no dependency).
 */
export const ciReport = (edition: string) => {
  const dir = process.env["SCOPEGUARD_REPORT_DIR"]
  if (dir === undefined || dir === "") return {}
  const node = process.versions.node.split(".")[0]
  return {
    reporters: ["default", "json"],
    outputFile: { json: `${dir}/${edition}-node${node}.json` }
  }
}
