/**
 * Shared helpers of the flow tests (FLOW-1..4).
 *
 * Order-independent input: a lost event makes its payment arrive late, and two stages decide by
 * arrival order (dedup keeps the FIRST of a business key; the rules stage judges a payment on the
 * card's payments that reached it before: the velocity count and, in the default rule set, the
 * FRAUD-1 features). For inputs where none can bite (no re-sent business key, no card with more
 * payments than the smallest velocity limit, none whose spend-spike or country-hop rule could fire
 * on some subset of its earlier payments), a repaired run must equal a clean run exactly; the
 * generated input is filtered to such lines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authorisationLines } from '../../src/generator/authorisations';
import { DEFAULT_VELOCITY_WINDOW_MS } from '../../functions/rules/rules';
import { DEFAULT_FRAUD_WINDOWS } from '../../src/domain/fraud';
import { DEFAULT_RULE_SET_DOCUMENT } from '../../src/rule-sets';
import { referenceData } from '../support/runtime';
import { runCli } from '../support/cli-in-process';

const SMALLEST_VELOCITY_LIMIT = Math.min(
  ...(JSON.parse(readFileSync(join(__dirname, '../../reference-data/products.json'), 'utf8')) as { velocityLimit: number }[]).map((product) => product.velocityLimit),
);

const FRAUD_PARAMS = (DEFAULT_RULE_SET_DOCUMENT as { parameters: { spendSpikePermille: number; spendSpikeMinBaseline: number; countryHopLimit: number } }).parameters;

interface CardPayment {
  at: number;
  minor: number;
  currency: string;
  country: string;
}

/**
 * Could the default rule set's spend-spike or country-hop rule fire on this card under SOME
 * arrival order? Both read the card's earlier payments that arrived first: any subset of them.
 * Conservatively yes when a payment has at least the minimum baseline of earlier payments in the
 * baseline window and is above the spike ratio of the smallest of them (a subset's mean is at
 * least its minimum) or they are in other currencies (the rule compares account-currency amounts),
 * or when the card's countries in one hop window exceed the limit (a subset has at most as many).
 */
function fraudRuleCouldFire(payments: readonly CardPayment[]): boolean {
  return payments.some((payment) => {
    const earlier = payments.filter((other) => other !== payment && other.at <= payment.at);
    const baseline = earlier.filter((other) => payment.at - other.at < DEFAULT_FRAUD_WINDOWS.baselineWindowMs);
    if (baseline.length >= FRAUD_PARAMS.spendSpikeMinBaseline) {
      if (baseline.some((other) => other.currency !== payment.currency)) return true;
      if (payment.minor * 1000 > Math.min(...baseline.map((other) => other.minor)) * FRAUD_PARAMS.spendSpikePermille * 0.9) return true;
    }
    const countries = new Set([payment.country, ...earlier.filter((other) => payment.at - other.at < DEFAULT_FRAUD_WINDOWS.hopWindowMs).map((other) => other.country)]);
    return countries.size > FRAUD_PARAMS.countryHopLimit;
  });
}

/**
 * Generated lines without re-sent business keys, less every card that ever has more payments in
 * one velocity window than the smallest limit, and every card a fraud rule could hold in some
 * arrival order.
 */
export function orderIndependentLines(count: number, seed: number): string[] {
  const lines = [...authorisationLines({ count, seed, duplicateRate: 0, referenceData: referenceData() })];
  const parsed = lines.map((line) => JSON.parse(line) as { panToken: string; transmittedAt: string; amount: { value: string; currency: string }; merchant: { country: string } });
  const cards = new Map<string, CardPayment[]>();
  for (const { panToken, transmittedAt, amount, merchant } of parsed) {
    let list = cards.get(panToken);
    if (!list) cards.set(panToken, (list = []));
    list.push({ at: Date.parse(transmittedAt), minor: Number(amount.value.replace('.', '')), currency: amount.currency, country: merchant.country });
  }
  const excluded = new Set<string>();
  for (const [token, payments] of cards) {
    const times = payments.map((payment) => payment.at).sort((a, b) => a - b);
    for (let end = 0, start = 0; end < times.length; end += 1) {
      while (times[start]! <= times[end]! - DEFAULT_VELOCITY_WINDOW_MS) start += 1;
      if (end - start + 1 > SMALLEST_VELOCITY_LIMIT) excluded.add(token);
    }
    if (fraudRuleCouldFire(payments)) excluded.add(token);
  }
  return lines.filter((_, index) => !excluded.has(parsed[index]!.panToken));
}

/** `ledger --json` without the balance versions (a count of balance writes, which batching changes). */
export async function canonicalLedger(state: string): Promise<string> {
  const result = await runCli(['ledger', '--state', state, '--json']);
  if (result.status !== 0) throw new Error(`ledger --state ${state} failed: ${result.stderr}`);
  const ledger = JSON.parse(result.stdout) as { accounts: Record<string, unknown>[] };
  return JSON.stringify(ledger.accounts.map(({ version: _version, ...account }) => account));
}
