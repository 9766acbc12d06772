/**
 * Property-based fuzzing settings shared by the hostile suite: a fixed seed and a bounded number
 * of runs in `npm test`, many more under `npm run fuzz` (AMK_FUZZ_RUNS, AMK_FUZZ_SEED).
 */
export function fuzzParameters(defaultRuns: number): { seed: number; numRuns: number } {
  const runs = Number(process.env.AMK_FUZZ_RUNS);
  const seed = Number(process.env.AMK_FUZZ_SEED);
  return {
    seed: Number.isInteger(seed) ? seed : 0x5eed,
    numRuns: Number.isInteger(runs) && runs > 0 ? runs : defaultRuns,
  };
}
