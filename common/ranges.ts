/**
 * Failing points as ranges, for both editions' reports (Effect-free): failures at consecutively
 * explored points that failed the same way — the same kind and message once the runtime ids
 * that differ from run to run (`#12`: a resource's, a fiber's) are set aside, and whatever else
 * the edition says must match (its `same`) — are one range, so one bug that fails a hundred
 * consecutive points is one line, not a hundred.
 *
 * @internal
 */

/** What a range needs of a failure. */
export interface Grouped {
  readonly step: number
  readonly kind: string
  readonly message: string
}

/** What a range is made of: where it starts and ends, and how many explored points it spans. */
export interface Span {
  readonly from: number
  readonly to: number
  readonly points: number
}

/** A message with its runtime ids (`#12`) set aside. */
export const withoutIds = (message: string): string => message.replace(/#\d+/g, "#")

/**
 * The ranges of `explored` (every explored point in order, each with its failures, none for a
 * point that passed): a failure extends a range the previous point extended or opened when
 * its kind and message (ids aside) are the range's and `same(range, failure)` holds; otherwise
 * it opens one, `open(failure)`.
 */
export const toRanges = <
  F extends Grouped,
  R extends Span & { readonly kind: string; readonly message: string }
>(
  explored: ReadonlyArray<{ readonly failures: ReadonlyArray<F> }>,
  open: (failure: F) => R,
  same: (range: R, failure: F) => boolean
): Array<R> => {
  const ranges: Array<R> = []
  // The ranges the previous point extended or opened: only those can go on at this point.
  let previous: Array<number> = []
  for (const { failures } of explored) {
    const next: Array<number> = []
    for (const failure of failures) {
      const index = previous.find((i) => {
        const range = ranges[i]!
        return (
          range.kind === failure.kind &&
          withoutIds(range.message) === withoutIds(failure.message) &&
          same(range, failure)
        )
      })
      if (index !== undefined) {
        const range = ranges[index]!
        ranges[index] = { ...range, to: failure.step, points: range.points + 1 }
        next.push(index)
      } else {
        next.push(ranges.length)
        ranges.push(open(failure))
      }
    }
    previous = next
  }
  return ranges
}
