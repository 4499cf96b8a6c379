/**
 * Shared helpers of the flow tests (FLOW-1..4).
 *
 * Order-independent input: a lost event makes its payment arrive late, and two stages decide by
 * arrival order (dedup keeps the FIRST of a business key, the velocity rule counts the card's
 * payments that reached rules before). For inputs where neither can bite (no re-sent business
 * key, no card with more payments than the smallest velocity limit), a repaired run must equal a
 * clean run exactly; the generated input is filtered to such lines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authorisationLines } from '../../src/generator/authorisations';
import { referenceData } from '../support/runtime';
import { runCli } from '../support/cli-in-process';

const SMALLEST_VELOCITY_LIMIT = Math.min(
  ...(JSON.parse(readFileSync(join(__dirname, '../../reference-data/products.json'), 'utf8')) as { velocityLimit: number }[]).map((product) => product.velocityLimit),
);

export function orderIndependentLines(count: number, seed: number): string[] {
  const lines = [...authorisationLines({ count, seed, duplicateRate: 0, referenceData })];
  const perCard = new Map<string, number>();
  for (const line of lines) {
    const token = (JSON.parse(line) as { panToken: string }).panToken;
    perCard.set(token, (perCard.get(token) ?? 0) + 1);
  }
  return lines.filter((line) => perCard.get((JSON.parse(line) as { panToken: string }).panToken)! <= SMALLEST_VELOCITY_LIMIT);
}

/** `ledger --json` without the balance versions (a count of balance writes, which batching changes). */
export async function canonicalLedger(state: string): Promise<string> {
  const result = await runCli(['ledger', '--state', state, '--json']);
  if (result.status !== 0) throw new Error(`ledger --state ${state} failed: ${result.stderr}`);
  const ledger = JSON.parse(result.stdout) as { accounts: Record<string, unknown>[] };
  return JSON.stringify(ledger.accounts.map(({ version: _version, ...account }) => account));
}
