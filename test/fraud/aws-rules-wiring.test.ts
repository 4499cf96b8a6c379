/**
 * FRAUD-1 on AWS: the rules stage the deployed functions build (rulesAdapters in
 * src/adapters/aws/wiring.ts: rule set v2, velocity, decisions and the card history in the
 * rules-state table, on dynalite) decides every generated payment exactly as the embedded rules
 * stage does with rule set v2 and its SQLite card history; a card hopping countries is held.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import v2 from '../../config/rules/card-posting.v2.json';
import { AWS_RULE_SET, rulesAdapters, type AwsContext } from '../../src/adapters/aws/wiring';
import { SqliteCardHistoryStore } from '../../src/adapters/embedded/fraud-history';
import { SqliteDecisionStore, SqliteVelocityStore } from '../../src/adapters/embedded/rules-state';
import type { LedgerEvent, RulesDecision } from '../../src/domain/events';
import { compileRuleSet } from '../../src/domain/rules';
import { silentLogger } from '../../src/lambda/logger';
import type { DecisionStore, TransactionStateStore } from '../../src/ports';
import { createRulesStage } from '../../functions/rules/rules';
import { startDynalite, type Dynalite } from '../adapters/aws/support/dynalite';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { enrichedEvent, type Pay } from './support/payments';

const BASE = Date.UTC(2026, 2, 1, 8);
const clock = { now: () => new Date(BASE) };
let db: Dynalite;
beforeAll(async () => {
  db = await startDynalite();
}, 60_000);
afterAll(async () => {
  await db.stop();
});

/** The stage a deployed function runs: rulesAdapters over an AWS context on dynalite. */
function awsStage() {
  const transactions = { get: async () => undefined } as unknown as TransactionStateStore;
  const context = { dynamo: db.client, table: (name: keyof typeof db.tableNames) => db.tableNames[name], transactions, clock, logger: silentLogger } as unknown as AwsContext;
  const adapters = rulesAdapters(context);
  return { stage: createRulesStage(adapters), decisions: adapters.decisions };
}

function embeddedStage() {
  const sqlite = new Database(':memory:');
  const decisions = new SqliteDecisionStore(sqlite);
  const stage = createRulesStage({
    ruleSet: compileRuleSet(v2),
    velocity: new SqliteVelocityStore(sqlite),
    decisions,
    clock,
    fraud: { history: new SqliteCardHistoryStore(sqlite), merchantRisk: new Map() },
  });
  return { stage, decisions };
}

async function decide(h: { stage: ReturnType<typeof createRulesStage>; decisions: DecisionStore }, events: LedgerEvent<'payment.enriched'>[]): Promise<RulesDecision[]> {
  for (const event of events) for (const result of await h.stage.run([event])) if (result instanceof Error) throw result;
  return Promise.all(events.map(async (event) => (await h.decisions.get(event.correlationId))!));
}

let run = 0;

describe('the AWS rules stage (FRAUD-1)', () => {
  it('runs rule set v2, the one the embedded fraud rules run', () => {
    expect(AWS_RULE_SET.ruleSetId).toBe(v2.ruleSetId);
    expect(AWS_RULE_SET.version).toBe(v2.version);
  });

  it('holds a card hopping countries inside the hop window, naming the rule', async () => {
    run += 1;
    const card = `tok_awshop${'x'.repeat(run)}`;
    const pays: Pay[] = ['GB', 'FR', 'DE', 'US'].map((country, i) => ({ n: 9000 + run * 100 + i, card, atMs: BASE + i * 60_000, amount: '20.00', country, merchant: 'm-x' }));
    const decisions = await decide(awsStage(), pays.map(enrichedEvent));
    expect(decisions.map((d) => d.firedRules.includes('FRAUD_COUNTRY_HOP'))).toEqual([false, false, true, true]);
    expect(decisions[3]!.outcome).toBe('review');
  });

  it('decides every generated payment as the embedded stage with v2 does (card histories, spikes, hops)', async () => {
    const payArb = fc.record({
      card: fc.constantFrom('a', 'b'),
      gapMin: fc.integer({ min: 1, max: 24 * 60 }),
      minor: fc.oneof(fc.integer({ min: 100, max: 3_000 }), fc.integer({ min: 100_000, max: 900_000 })),
      country: fc.constantFrom('GB', 'GB', 'GB', 'FR', 'US'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(payArb, { minLength: 3, maxLength: 14 }), async (raw) => {
        run += 1;
        const times = new Map<string, number>();
        const pays: Pay[] = raw.map((r, i) => {
          const at = (times.get(r.card) ?? BASE) + r.gapMin * 60_000;
          times.set(r.card, at);
          return { n: run * 100 + i, card: `tok_awsgen${r.card}${'x'.repeat(run)}`, atMs: at, amount: (r.minor / 100).toFixed(2), country: r.country, merchant: 'm-x' };
        });
        const events = pays.map(enrichedEvent);
        expect(await decide(awsStage(), events)).toEqual(await decide(embeddedStage(), events));
      }),
      { numRuns: fuzzRuns(10), seed: fuzzSeed(4_242) },
    );
  }, 120_000);
});
