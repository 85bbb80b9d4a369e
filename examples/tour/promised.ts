/**
 * The lines under "Prints:" in an example's header comment: what the example promises to
 * print. Read by the tour (`npm start`) and by `test/examples.test.ts`.
 */
export const promised = (source: string): Array<string> => {
  const header = source.slice(0, source.indexOf("*/"))
  const lines = header.split("\n")
  const start = lines.findIndex((line) => line.trim() === "* Prints:")
  return lines
    .slice(start + 1)
    .map((line) => line.replace(/^\s*\*\s?/, ""))
    .filter((line) => line.startsWith("  "))
    .map((line) => line.slice(2))
}
