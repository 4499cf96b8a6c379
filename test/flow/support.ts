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
import { DEFAULT_VELOCITY_WINDOW_MS } from '../../functions/rules/rules';
import { referenceData } from '../support/runtime';
import { runCli } from '../support/cli-in-process';

const SMALLEST_VELOCITY_LIMIT = Math.min(
  ...(JSON.parse(readFileSync(join(__dirname, '../../reference-data/products.json'), 'utf8')) as { velocityLimit: number }[]).map((product) => product.velocityLimit),
);

/** Generated lines without re-sent business keys, less every card that ever has more payments in one velocity window than the smallest limit. */
export function orderIndependentLines(count: number, seed: number): string[] {
  const lines = [...authorisationLines({ count, seed, duplicateRate: 0, referenceData })];
  const parsed = lines.map((line) => JSON.parse(line) as { panToken: string; transmittedAt: string });
  const times = new Map<string, number[]>();
  for (const { panToken, transmittedAt } of parsed) {
    let list = times.get(panToken);
    if (!list) times.set(panToken, (list = []));
    list.push(Date.parse(transmittedAt));
  }
  const bursting = new Set<string>();
  for (const [token, list] of times) {
    list.sort((a, b) => a - b);
    for (let end = 0, start = 0; end < list.length; end += 1) {
      while (list[start]! <= list[end]! - DEFAULT_VELOCITY_WINDOW_MS) start += 1;
      if (end - start + 1 > SMALLEST_VELOCITY_LIMIT) bursting.add(token);
    }
  }
  return lines.filter((_, index) => !bursting.has(parsed[index]!.panToken));
}

/** `ledger --json` without the balance versions (a count of balance writes, which batching changes). */
export async function canonicalLedger(state: string): Promise<string> {
  const result = await runCli(['ledger', '--state', state, '--json']);
  if (result.status !== 0) throw new Error(`ledger --state ${state} failed: ${result.stderr}`);
  const ledger = JSON.parse(result.stdout) as { accounts: Record<string, unknown>[] };
  return JSON.stringify(ledger.accounts.map(({ version: _version, ...account }) => account));
}
