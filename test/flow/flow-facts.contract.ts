/**
 * The flow facts contract (FLOW-1, FLOW-2), run against every adapter set: the embedded flow
 * journal + SQLite stores (src/adapters/embedded/flow-facts.ts) and the AWS flow journal + DynamoDB
 * and S3 stores (src/adapters/aws/flow-facts.ts, on dynalite and s3rver).
 *
 * Each case generates payments, takes each one a random way through the flow by writing what each
 * stage writes, through that adapter set's own stores (dedup claim or parked duplicate, enrichment
 * rejection, rules decision, ledger legs, posting record, transaction state), then reads a random
 * window: the reader must report exactly the payments ingested in the window, each with exactly
 * the facts written for it, and nothing for the payments outside it.
 */
import fc from 'fast-check';
import type { Authorisation, LedgerEvent, PostingLeg, RuleOutcome } from '../../src/domain/events';
import { EventTypes, nextEvent } from '../../src/domain/events';
import { authorisedEvent, isApproved } from '../../src/domain/ingest';
import { decideDuplicate, dedupClaim, DEFAULT_DEDUP_CONFIG } from '../../src/domain/dedup';
import { sequenceIdFor } from '../../src/domain/posting';
import type { DecisionStore, DedupStore, LedgerStore, ParkedDuplicateStore, PostingOutbox, TransactionStateStore, TransactionStatus } from '../../src/ports';
import type { FlowFactsReader, FlowRepairer, PaymentFlowFacts } from '../../src/ports/flow';
import { authorisationLines } from '../../src/generator/authorisations';
import { referenceData } from '../support/runtime';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';

export interface FlowFactsHarness {
  /** Records an ingestion the way this adapter set's ingestion does. */
  ingest(authorisation: Authorisation, ingestedAt: string): Promise<void>;
  /** Records enrichment's rejection (the journal's, as the enrich stage does). */
  reject(event: LedgerEvent<'payment.rejected'>): Promise<void>;
  dedup: DedupStore;
  parking: ParkedDuplicateStore;
  decisions: DecisionStore;
  ledger: LedgerStore;
  /** The assembler's outbox as the deployment wires it (on AWS: the S3 object, then the journal's record markers). */
  outbox: PostingOutbox;
  transactions: TransactionStateStore;
  reader: FlowFactsReader & Partial<FlowRepairer>;
  close(): Promise<void>;
}

export interface FlowFactsAdapter {
  name: string;
  /** A fresh, empty state; `now`: the reader's clock. */
  open(now: Date): Promise<FlowFactsHarness>;
  runs: number;
}

type Step = 'ingested' | 'unique' | 'duplicate' | 'rejected' | 'decided' | 'legs' | 'record';

interface PlannedPayment {
  authorisation: Authorisation;
  ingestedAt: string;
  /** How far it got (cumulative: legs implies a decision, which implies a unique verdict). */
  reach: Step;
  outcome: RuleOutcome;
  transaction?: { status: TransactionStatus; updatedAt: string; stage?: string };
}

const BASE = Date.parse('2026-11-02T08:00:00.000Z');
const NOW = new Date(BASE + 6 * 3_600_000);
const POOL = [...authorisationLines({ count: 60, seed: 20261102, duplicateRate: 0, referenceData: referenceData() })].map((line) => JSON.parse(line) as Authorisation);

const stepArb = fc.constantFrom<Step>('ingested', 'unique', 'duplicate', 'rejected', 'decided', 'legs', 'record');
const paymentArb = fc.record({
  approved: fc.boolean(),
  /** Minutes after BASE, within the 6 hours before NOW. */
  minute: fc.integer({ min: 0, max: 359 }),
  reach: stepArb,
  outcome: fc.constantFrom<RuleOutcome>('approve', 'decline', 'review'),
  transaction: fc.option(
    fc.record({
      status: fc.constantFrom<TransactionStatus>('RUNNING', 'RETRYING', 'FAILED', 'COMPLETED'),
      minute: fc.integer({ min: 0, max: 359 }),
      stage: fc.option(fc.constantFrom('rules', 'posting'), { nil: undefined }),
    }),
    {
      nil: undefined,
    },
  ),
});
const scenarioArb = fc.record({
  payments: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: POOL.length - 1 }), paymentArb), { minLength: 1, maxLength: 10, selector: ([index]) => index }),
  from: fc.option(fc.integer({ min: 0, max: 359 }), { nil: undefined }),
  span: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
});

type PaymentSpec = typeof paymentArb extends fc.Arbitrary<infer T> ? T : never;

function plan(index: number, spec: PaymentSpec): PlannedPayment {
  const base = POOL[index]!;
  const authorisation: Authorisation = { ...base, responseCode: spec.approved ? '00' : '05' };
  const at = (minute: number) => new Date(BASE + minute * 60_000).toISOString();
  // An outcome only matters once decided; legs need an approval.
  const reach = spec.reach;
  const outcome = reach === 'legs' || reach === 'record' ? 'approve' : spec.outcome;
  return {
    authorisation,
    ingestedAt: at(spec.minute),
    reach,
    outcome,
    ...(spec.transaction ? { transaction: { status: spec.transaction.status, updatedAt: at(spec.transaction.minute), ...(spec.transaction.stage ? { stage: spec.transaction.stage } : {}) } } : {}),
  };
}

const ORDER: Step[] = ['ingested', 'unique', 'decided', 'legs', 'record'];
function reached(payment: PlannedPayment, step: Step): boolean {
  if (payment.reach === 'duplicate') return step === 'ingested' || step === 'duplicate';
  if (payment.reach === 'rejected') return step === 'ingested' || step === 'unique' || step === 'rejected';
  return ORDER.indexOf(payment.reach) >= ORDER.indexOf(step) && ORDER.includes(step);
}

function legsOf(sequenceId: string, authorisation: Authorisation): PostingLeg[] {
  const leg = (index: number, accountId: string, direction: PostingLeg['direction'], legType: PostingLeg['legType']): PostingLeg => ({
    legId: `${sequenceId}:${index}`,
    sequenceId,
    legIndex: index,
    legCount: 2,
    legType,
    accountId,
    direction,
    amount: authorisation.amount,
    valueDate: authorisation.transmittedAt.slice(0, 10),
    narrative: 'flow facts contract',
    authorizationId: authorisation.authorizationId,
  });
  return [leg(1, `CUST-${authorisation.amount.currency}`, 'DEBIT', 'CUSTOMER_DEBIT'), leg(2, `MERCH-${authorisation.amount.currency}`, 'CREDIT', 'MERCHANT_SETTLEMENT_CREDIT')];
}

/** Writes what each stage writes for the payment, through the harness's stores. */
async function seed(harness: FlowFactsHarness, payment: PlannedPayment): Promise<void> {
  const { authorisation } = payment;
  await harness.ingest(authorisation, payment.ingestedAt);
  if (!isApproved(authorisation)) return;
  const event = authorisedEvent(authorisation, payment.ingestedAt);
  const nowSeconds = Math.floor(Date.parse(payment.ingestedAt) / 1000);
  const claim = dedupClaim(event, nowSeconds, DEFAULT_DEDUP_CONFIG);
  if (reached(payment, 'duplicate')) {
    // Another authorisation holds the business key: dedup parks this one.
    const outcome = decideDuplicate(event, claim, { claimed: false, existing: { ...claim, eventId: 'original-event', authorizationId: 'ORIGINAL-AUTH' } }, payment.ingestedAt);
    if (outcome.kind !== 'duplicate') throw new Error('expected a duplicate');
    await harness.parking.park(outcome.event);
  }
  if (reached(payment, 'unique')) await harness.dedup.claim(claim, nowSeconds);
  if (reached(payment, 'rejected')) {
    await harness.reject(nextEvent(event, EventTypes.rejected, 'ledgerline.enrich', { authorisation, reason: 'UNKNOWN_CARD', detail: 'contract' }, payment.ingestedAt));
  }
  if (reached(payment, 'decided')) {
    await harness.decisions.putIfAbsent(event.correlationId, { outcome: payment.outcome, firedRules: [], ruleSetId: 'contract', ruleSetVersion: '1', velocityCount: 1 });
  }
  const sequenceId = sequenceIdFor(event.correlationId);
  if (reached(payment, 'legs')) await harness.ledger.recordPostings([{ sequenceId, authorizationId: authorisation.authorizationId, legs: legsOf(sequenceId, authorisation) }]);
  if (reached(payment, 'record')) await harness.outbox.writeBatch([{ recordId: `PR-${sequenceId}`, sequenceId, content: `PR-${sequenceId} contract\n` }]);
  if (payment.transaction) {
    await harness.transactions.put({ transactionId: event.correlationId, authorizationId: authorisation.authorizationId, attempts: 0, version: 1, ...payment.transaction }, 0);
  }
}

/** The facts the reader must report for a planned payment (without its location). */
function expectedFacts(payment: PlannedPayment): Omit<PaymentFlowFacts, 'location'> {
  const event = authorisedEvent(payment.authorisation, payment.ingestedAt);
  const approved = isApproved(payment.authorisation);
  const facts: Omit<PaymentFlowFacts, 'location'> = {
    authorizationId: payment.authorisation.authorizationId,
    transactionId: event.correlationId,
    amount: { value: payment.authorisation.amount.value, currency: payment.authorisation.amount.currency },
    ingestedAt: payment.ingestedAt,
    approved,
  };
  if (!approved) return facts;
  return {
    ...facts,
    ...(reached(payment, 'duplicate') ? { dedup: 'duplicate' as const } : reached(payment, 'unique') ? { dedup: 'unique' as const } : {}),
    ...(reached(payment, 'rejected') ? { rejected: true } : {}),
    ...(reached(payment, 'decided') ? { decision: payment.outcome } : {}),
    ...(reached(payment, 'legs') ? { legs: true } : {}),
    ...(reached(payment, 'record') ? { record: true } : {}),
    ...(payment.transaction ? { transaction: payment.transaction } : {}),
  };
}

function withoutLocation(facts: readonly PaymentFlowFacts[]): Omit<PaymentFlowFacts, 'location'>[] {
  return facts.map(({ location: _location, ...rest }) => rest).sort((a, b) => (a.authorizationId < b.authorizationId ? -1 : 1));
}

export function flowFactsContract(adapter: FlowFactsAdapter): void {
  describe(`flow facts contract: ${adapter.name}`, () => {
    it('reports exactly the payments ingested in the window, each with exactly the facts its stages wrote', async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb, async (scenario) => {
          const harness = await adapter.open(NOW);
          try {
            const payments = scenario.payments.map(([index, spec]) => plan(index, spec));
            for (const payment of payments) await seed(harness, payment);
            const from = scenario.from === undefined ? undefined : new Date(BASE + scenario.from * 60_000);
            const to = scenario.span === undefined ? undefined : new Date((from?.getTime() ?? BASE) + scenario.span * 60_000);
            const inside = payments.filter((payment) => {
              const at = Date.parse(payment.ingestedAt);
              return (from === undefined || at >= from.getTime()) && (to === undefined || at < to.getTime());
            });
            const facts = await harness.reader.read({ ...(from ? { from } : {}), ...(to ? { to } : {}) });
            expect(withoutLocation(facts.payments)).toEqual(withoutLocation(inside.map((payment) => ({ location: '', ...expectedFacts(payment) }))));
            expect(new Set(facts.payments.map((payment) => payment.location)).size).toBeLessThanOrEqual(1);
          } finally {
            await harness.close();
          }
        }),
        { numRuns: fuzzRuns(adapter.runs), seed: fuzzSeed(20261102) },
      );
    });

    it('an authorisation ingested twice (a re-run file, a retried call) is one payment, at its first ingestion', async () => {
      const harness = await adapter.open(NOW);
      try {
        const authorisation = POOL[0]!;
        const first = new Date(BASE + 60_000).toISOString();
        await harness.ingest(authorisation, first);
        await harness.ingest(authorisation, new Date(BASE + 120 * 60_000).toISOString());
        const facts = await harness.reader.read({});
        expect(facts.payments.map((payment) => [payment.authorizationId, payment.ingestedAt])).toEqual([[authorisation.authorizationId, first]]);
      } finally {
        await harness.close();
      }
    });
  });
}
