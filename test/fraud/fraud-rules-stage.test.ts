/**
 * FRAUD-1 through the rules stage with rule set v2 on the embedded adapters: generated
 * scenarios (country hop, baseline spike, risky merchant) held for review with a reason naming
 * the feature and its value; the decisions equal a clean run under retries, kills and
 * re-deliveries (CHAOS-1); the local model is the StubFraudModel.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import v2 from '../../config/rules/card-posting.v2.json';
import v1 from '../../config/rules/card-posting.v1.json';
import type { LedgerEvent, RulesDecision } from '../../src/domain/events';
import { enrichedEvent, type Pay } from './support/payments';
import { containsPan } from '../../src/domain/pan';
import { validateEvent } from '../../schemas';
import { compileRuleSet } from '../../src/domain/rules';
import { SqliteDecisionStore, SqliteVelocityStore } from '../../src/adapters/embedded/rules-state';
import { SqliteCardHistoryStore, StubFraudModel } from '../../src/adapters/embedded/fraud-history';
import { createRulesStage, type FraudDeps } from '../../functions/rules/rules';
import type { Logger } from '../../src/lambda/logger';

const ruleSetV2 = compileRuleSet(v2);
const BASE = Date.UTC(2026, 2, 1, 8);
const MERCHANT_RISK = new Map([
  ['m-risky', 95],
  ['m-ok', 10],
]);

function capturingLogger(lines: { msg: string; fields: unknown }[]): Logger {
  const log = (msg: string, fields?: unknown) => void lines.push({ msg, fields });
  const logger = { debug: () => {}, info: log, warn: log, error: log, child: () => logger } as unknown as Logger;
  return logger;
}

function harness(ruleSet = ruleSetV2, fraud = true) {
  const db = new Database(':memory:');
  const history = new SqliteCardHistoryStore(db);
  const lines: { msg: string; fields: unknown }[] = [];
  const fraudDeps: FraudDeps = { history, merchantRisk: MERCHANT_RISK, windows: { baselineWindowMs: 7 * 24 * 3600_000, hopWindowMs: 3600_000 } };
  const decisions = new SqliteDecisionStore(db);
  const stage = createRulesStage({
    ruleSet,
    velocity: new SqliteVelocityStore(db),
    decisions,
    clock: { now: () => new Date(BASE) },
    logger: capturingLogger(lines),
    ...(fraud ? { fraud: fraudDeps } : {}),
  });
  return { stage, history, decisions, lines, db };
}

async function decideAll(h: ReturnType<typeof harness>, events: LedgerEvent<'payment.enriched'>[]): Promise<void> {
  for (const result of await h.stage.run(events)) if (result instanceof Error) throw result;
}

async function decisionsOf(h: ReturnType<typeof harness>, pays: Pay[]): Promise<Record<string, RulesDecision | undefined>> {
  const out: Record<string, RulesDecision | undefined> = {};
  for (const p of pays) out[p.n] = await h.decisions.get(enrichedEvent(p).correlationId);
  return out;
}

function reasonsLogged(h: ReturnType<typeof harness>): string[] {
  return h.lines.filter((l) => l.msg === 'rules fraud reasons').flatMap((l) => (l.fields as { reasons: string[] }).reasons);
}

/**
 * A card's quiet history: domestic, small, spread over days, at an unlisted merchant. Amounts stay within a
 * factor of 4 of each other, so no quiet payment is itself a spike (> 5000 permille) against the ones before it.
 */
const quietArb = fc.array(fc.integer({ min: 500, max: 2000 }), { minLength: 3, maxLength: 8 });

describe('fraud signals in the rules stage (FRAUD-1), embedded adapters', () => {
  it('a generated card hopping countries inside the window is held, the reason naming countriesInWindow', async () => {
    await fc.assert(
      fc.asyncProperty(quietArb, fc.shuffledSubarray(['FR', 'DE', 'US', 'JP', 'ES'], { minLength: 2, maxLength: 5 }), async (quiet, hops) => {
        const h = harness();
        const pays: Pay[] = quiet.map((minor, i) => ({ n: i, card: 'tok_hop', atMs: BASE - (quiet.length - i) * 86_400_000, amount: (minor / 100).toFixed(2), country: 'GB', merchant: 'm-x' }));
        pays.push({ n: 100, card: 'tok_hop', atMs: BASE, amount: '20.00', country: 'GB', merchant: 'm-x' });
        hops.forEach((c, i) => pays.push({ n: 101 + i, card: 'tok_hop', atMs: BASE + (i + 1) * 5 * 60_000, amount: '20.00', country: c, merchant: 'm-x' }));
        await decideAll(h, pays.map(enrichedEvent));
        const d = await decisionsOf(h, pays);
        // GB then hops: countries = 1 + index+1; held once more than countryHopLimit (2)
        hops.forEach((_c, i) => {
          const held = i + 2 > 2;
          expect(d[101 + i]!.firedRules.includes('FRAUD_COUNTRY_HOP')).toBe(held);
          if (held) expect(d[101 + i]!.outcome).toBe('review');
        });
        expect(d[100]!.outcome).toBe('approve');
        expect(reasonsLogged(h)).toContain(`FRAUD_COUNTRY_HOP: fraud.countriesInWindow=${hops.length + 1}`);
      }),
      { numRuns: 15 },
    );
  });

  it('a generated spend spike against the card own baseline is held, the reason naming spendRatioPermille', async () => {
    await fc.assert(
      fc.asyncProperty(quietArb, fc.integer({ min: 6, max: 40 }), async (quiet, factor) => {
        const h = harness();
        const pays: Pay[] = quiet.map((minor, i) => ({ n: i, card: 'tok_spike', atMs: BASE - (quiet.length - i) * 3_600_000 * 5, amount: (minor / 100).toFixed(2), country: 'GB', merchant: 'm-x' }));
        const sum = quiet.reduce((a, b) => a + b, 0);
        const mean = BigInt(Math.floor(sum / quiet.length));
        const spikeMinor = mean * BigInt(factor);
        pays.push({ n: 50, card: 'tok_spike', atMs: BASE, amount: `${spikeMinor / 100n}.${String(spikeMinor % 100n).padStart(2, '0')}`, country: 'GB', merchant: 'm-x' });
        await decideAll(h, pays.map(enrichedEvent));
        const d = await decisionsOf(h, pays);
        expect(d[50]!.firedRules).toContain('FRAUD_SPEND_SPIKE');
        expect(d[50]!.outcome).toBe('review');
        for (let i = 0; i < quiet.length; i++) expect(d[i]!.firedRules).not.toContain('FRAUD_SPEND_SPIKE');
        expect(reasonsLogged(h)).toContain(`FRAUD_SPEND_SPIKE: fraud.baselineCount=${quiet.length}, fraud.spendRatioPermille=${(spikeMinor * 1000n) / mean}`);
      }),
      { numRuns: 15 },
    );
  });

  it('a payment at a risky merchant (reference score >= the hold score) is held; a listed low-risk one is not', async () => {
    const h = harness();
    const pays: Pay[] = [
      { n: 1, card: 'tok_m', atMs: BASE, amount: '10.00', country: 'GB', merchant: 'm-ok' },
      { n: 2, card: 'tok_m', atMs: BASE + 60_000, amount: '10.00', country: 'GB', merchant: 'm-risky' },
    ];
    await decideAll(h, pays.map(enrichedEvent));
    const d = await decisionsOf(h, pays);
    expect(d[1]!.outcome).toBe('approve');
    expect(d[2]!.outcome).toBe('review');
    expect(d[2]!.firedRules).toEqual(['FRAUD_RISKY_MERCHANT']);
    expect(reasonsLogged(h)).toEqual(['FRAUD_RISKY_MERCHANT: fraud.merchantRiskScore=95']);
    expect(JSON.stringify(h.lines)).not.toContain('tok_m');
  });

  it('the decision carries the reasons (FRAUD-1), in a valid payment.rules-decided event, never with the card token or a card number', async () => {
    await fc.assert(
      fc.asyncProperty(quietArb, fc.integer({ min: 6, max: 40 }), fc.constantFrom('FR', 'US'), fc.constantFrom('m-x', 'm-risky'), async (quiet, factor, away, merchant) => {
        const h = harness();
        const card = 'tok_reasonsCardAbc';
        const pays: Pay[] = quiet.map((minor, i) => ({ n: i, card, atMs: BASE - (quiet.length - i) * 3_600_000 * 5, amount: (minor / 100).toFixed(2), country: 'GB', merchant: 'm-x' }));
        pays.push({ n: 60, card, atMs: BASE, amount: '10.00', country: 'DE', merchant: 'm-x' });
        pays.push({ n: 61, card, atMs: BASE + 60_000, amount: `${(Math.max(...quiet) * factor) / 100}`, country: away, merchant });
        const published: LedgerEvent[] = [];
        for (const p of pays)
          for (const result of await h.stage.run([enrichedEvent(p)]))
            if (result instanceof Error) throw result;
            else published.push(...result);
        const d = await decisionsOf(h, pays);
        const held = d[61]!;
        expect(held.outcome).toBe('review');
        expect(held.reasons).toEqual(reasonsLogged(h).slice(-held.reasons!.length));
        expect(held.reasons!.length).toBeGreaterThan(0);
        for (const reason of held.reasons!) {
          expect(reason).not.toContain(card);
          expect(containsPan(reason)).toBe(false);
          expect(held.firedRules).toContain(reason.split(':')[0]);
        }
        // A decision no fraud rule fired carries no reasons.
        for (let i = 0; i < quiet.length; i++) expect(d[i]!.reasons).toBeUndefined();
        for (const event of published) expect(() => validateEvent(event)).not.toThrow();
        const decided = published.find((event) => event.correlationId === enrichedEvent(pays[pays.length - 1]!).correlationId) as LedgerEvent<'payment.rules-decided'>;
        expect(decided.data.decision.reasons).toEqual(held.reasons);
      }),
      { numRuns: 10 },
    );
  });

  it('metamorphic: interleaving cards, re-deliveries and killed attempts of later payments give the clean run decisions', async () => {
    const payArb = fc.record({
      card: fc.constantFrom('tok_a', 'tok_b', 'tok_c'),
      gapMin: fc.integer({ min: 1, max: 600 }),
      minor: fc.integer({ min: 100, max: 200_000 }),
      country: fc.constantFrom('GB', 'GB', 'FR', 'DE', 'US'),
      merchant: fc.constantFrom('m-x', 'm-ok', 'm-risky'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(payArb, { minLength: 5, maxLength: 30 }), fc.infiniteStream(fc.nat()), async (raw, seeds) => {
        const clock = new Map<string, number>();
        const pays: Pay[] = raw.map((r, n) => {
          const at = (clock.get(r.card) ?? BASE) + r.gapMin * 60_000;
          clock.set(r.card, at);
          return { n, card: r.card, atMs: at, amount: (r.minor / 100).toFixed(2), country: r.country, merchant: r.merchant };
        });
        const clean = harness();
        for (const p of pays) await decideAll(clean, [enrichedEvent(p)]);
        const expected = await decisionsOf(clean, pays);

        // Faulty run: card order kept per card (the order lanes), cards interleaved at random,
        // each payment possibly preceded by a killed attempt of a LATER payment of its card (its
        // history written, no decision) and possibly delivered twice.
        const faulty = harness();
        const queues = new Map<string, Pay[]>();
        for (const p of pays) queues.set(p.card, [...(queues.get(p.card) ?? []), p]);
        while ([...queues.values()].some((q) => q.length > 0)) {
          const cards = [...queues.keys()].filter((c) => queues.get(c)!.length > 0);
          const q = queues.get(cards[(seeds.next().value as number) % cards.length]!)!;
          const p = q.shift()!;
          const later = q[(seeds.next().value as number) % Math.max(1, q.length)];
          if (later && (seeds.next().value as number) % 2 === 0) {
            const e = enrichedEvent(later);
            await faulty.history.recordAndRead(
              later.card,
              { transactionId: e.correlationId, atEpochMs: later.atMs, amountMinor: BigInt(Math.round(Number(later.amount) * 100)), merchantCountry: later.country },
              7 * 24 * 3600_000,
            );
          }
          const times = 1 + ((seeds.next().value as number) % 2);
          for (let i = 0; i < times; i++) await decideAll(faulty, [enrichedEvent(p)]);
        }
        expect(await decisionsOf(faulty, pays)).toEqual(expected);
      }),
      { numRuns: 25 },
    );
  });

  it('v1 decisions are unchanged by the fraud features, and v2 without fraud deps sees neutral features', async () => {
    const pays: Pay[] = [
      { n: 1, card: 'tok_v', atMs: BASE, amount: '10.00', country: 'GB', merchant: 'm-risky' },
      { n: 2, card: 'tok_v', atMs: BASE + 60_000, amount: '900.00', country: 'FR', merchant: 'm-risky' },
      { n: 3, card: 'tok_v', atMs: BASE + 120_000, amount: '10.00', country: 'US', merchant: 'm-risky' },
    ];
    const v1Fraud = harness(compileRuleSet(v1), true);
    const v1Plain = harness(compileRuleSet(v1), false);
    await decideAll(v1Fraud, pays.map(enrichedEvent));
    await decideAll(v1Plain, pays.map(enrichedEvent));
    expect(await decisionsOf(v1Fraud, pays)).toEqual(await decisionsOf(v1Plain, pays));
    const v2Plain = harness(ruleSetV2, false);
    await decideAll(v2Plain, pays.map(enrichedEvent));
    for (const d of Object.values(await decisionsOf(v2Plain, pays))) expect(d!.firedRules.filter((r) => r.startsWith('FRAUD_'))).toEqual([]);
  });
});

describe('StubFraudModel (a stub, not a model)', () => {
  const input = {
    transactionId: 'tx-1',
    amountMinor: 1000n,
    currency: 'GBP',
    mcc: '5411',
    merchantCountry: 'GB',
    features: { baselineCount: 3n, baselineMeanMinor: 900n, spendRatioPermille: 1111n, countriesInWindow: 1n, previousCountry: 'GB', minutesSincePrevious: 10n, merchantRiskScore: 0n },
  };
  it('the stub is deterministic and answers an integer per mille 0..1000', async () => {
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.string({ maxLength: 10 }), async (amountMinor, transactionId) => {
        const stub = new StubFraudModel();
        const a = await stub.score({ ...input, amountMinor, transactionId });
        expect(Number.isSafeInteger(a) && a >= 0 && a <= 1000).toBe(true);
        expect(await new StubFraudModel().score({ ...input, amountMinor, transactionId })).toBe(a);
      }),
    );
  });
  it('the stub score reaches the rules as fraud.modelScorePermille and holds at or above the threshold', async () => {
    const stub = new StubFraudModel();
    const db = new Database(':memory:');
    const stage = createRulesStage({
      ruleSet: ruleSetV2,
      velocity: new SqliteVelocityStore(db),
      decisions: new SqliteDecisionStore(db),
      clock: { now: () => new Date(BASE) },
      fraud: { history: new SqliteCardHistoryStore(db), merchantRisk: MERCHANT_RISK, model: stub },
    });
    const held: boolean[] = [];
    for (let n = 0; n < 40; n++) {
      const [result] = await stage.run([enrichedEvent({ n, card: `tok_s${n}`, atMs: BASE, amount: '10.00', country: 'GB', merchant: 'm-x' })]);
      if (result instanceof Error) throw result;
      const decision = (result![0]!.data as { decision: RulesDecision }).decision;
      held.push(decision.firedRules.includes('FRAUD_MODEL_SCORE'));
    }
    // Over 40 generated payments, the stub's spread gives both answers (threshold 900 per mille).
    expect(held.some(Boolean)).toBe(true);
    expect(held.every(Boolean)).toBe(false);
    db.close();
  });
});
