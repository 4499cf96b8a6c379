/**
 * Sizes for generated (property, metamorphic, fuzz) tests. The suite runs the CI size, which takes
 * seconds; `npm run fuzz` sets LEDGERLINE_FUZZ_SCALE (default there: 50) and multiplies every run
 * count by it, so the same tests run long without a second copy of them.
 */
export function fuzzScale(): number {
  const raw = process.env.LEDGERLINE_FUZZ_SCALE;
  if (raw === undefined || raw === '') return 1;
  const scale = Number(raw);
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`LEDGERLINE_FUZZ_SCALE must be a whole number ≥ 1, got ${JSON.stringify(raw)}`);
  return scale;
}

/** fast-check `numRuns` (or a loop count) for a generated test whose CI size is `ciRuns`. */
export function fuzzRuns(ciRuns: number): number {
  return ciRuns * fuzzScale();
}

/** A fixed seed in CI (reproducible), a fresh one under `npm run fuzz` (printed on failure by fast-check). */
export function fuzzSeed(ciSeed: number): number | undefined {
  return fuzzScale() === 1 ? ciSeed : undefined;
}
