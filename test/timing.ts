/**
 * Timing for the tests that check a cost is linear or bounded: the least time of several runs, so that a
 * busy machine (CI, a benchmark next door) slows one run without failing the comparison.
 */
export function leastTime(run: () => void, { repeats = 7, iterations = 20 } = {}): number {
  run();
  let least = Number.POSITIVE_INFINITY;
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) run();
    least = Math.min(least, performance.now() - start);
  }
  return least;
}
