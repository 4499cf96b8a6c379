import Database from 'better-sqlite3';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { EnrichedData, LedgerEvent, RulesDecision } from '../../src/domain/events';
import { correlationIdFor, deterministicId, EVENT_VERSION } from '../../src/domain/events';
import type { Clock, EventPublisher, ProductRecord } from '../../src/ports';
import { validateEvent } from '../../schemas';
import { loadRuleSetFile } from '../../src/adapters/embedded/rule-set-file';
import { SqliteDecisionStore, SqliteVelocityStore } from '../../src/adapters/embedded/rules-state';
import { createRulesHandler, DEFAULT_VELOCITY_WINDOW_MS } from '../../functions/rules/rules';

const ruleSet = loadRuleSetFile();

const PRODUCTS: Record<string, ProductRecord> = {
  CLASSIC: {
    productType: 'CLASSIC',
    name: 'Classic current account',
    perTransactionLimit: { value: '1000.00', currency: 'GBP' },
    fxFeeBasisPoints: 275,
    velocityLimit: 2,
    foreignTransactionsAllowed: true,
  },
};

interface Variant {
  n: number;
  panToken?: string;
  transmittedAt?: string;
  status?: string;
  productType?: string;
  /** The product limit's currency, when it is not the account's (a fault the facts refuse). */
  productLimitCurrency?: string;
  amount?: string;
}

/** A hand-built `payment.enriched` event (the real enrichment stage is written elsewhere). */
function enrichedEvent(variant: Variant): LedgerEvent<'payment.enriched'> {
  const authorizationId = `auth-${String(variant.n).padStart(4, '0')}`;
  const amount = { value: variant.amount ?? '25.00', currency: 'GBP' };
  const merchant = { id: 'merch-1', name: 'Corner Grocer', mcc: '5411', country: 'GB' };
  const data: EnrichedData = {
    authorisation: {
      authorizationId,
      network: 'VISA',
      stan: String(variant.n).padStart(6, '0'),
      rrn: `RRN${String(variant.n).padStart(9, '0')}`,
      transmittedAt: variant.transmittedAt ?? '2026-03-01T10:00:00.000Z',
      panToken: variant.panToken ?? 'tok_card00000001',
      responseCode: '00',
      amount,
      merchant,
    },
    businessKey: deterministicId('bk', authorizationId).replace(/-/g, '').padEnd(64, '0'),
    enrichment: {
      card: { network: 'VISA', status: 'ACTIVE' },
      product: {
        ...PRODUCTS[variant.productType ?? 'CLASSIC']!,
        ...(variant.productLimitCurrency ? { perTransactionLimit: { value: '1000.00', currency: variant.productLimitCurrency } } : {}),
      },
      account: {
        accountId: 'acc-0001',
        iban: 'GB82WEST12345698765432',
        sortCode: '12-34-56',
        branch: 'London Bridge',
        holderName: 'A Customer',
        productType: variant.productType ?? 'CLASSIC',
        status: variant.status ?? 'OPEN',
        currency: 'GBP',
      },
      merchant: { ...merchant, category: 'Groceries', settlementAccountId: 'settle-1' },
      description: 'Corner Grocer',
      accountAmount: amount,
      referenceDataVersion: 'ref-test-1',
    },
  };
  return {
    id: deterministicId('payment.enriched', authorizationId),
    type: 'payment.enriched',
    version: EVENT_VERSION,
    occurredAt: '2026-03-01T10:00:01.000Z',
    correlationId: correlationIdFor(authorizationId),
    causationId: deterministicId('payment.standardised', authorizationId),
    source: 'ledgerline.enrich',
    data,
  };
}

/** An SQS record as Lambda delivers it: the body is the EventBridge event, the envelope in `detail`. */
function sqsRecord(event: LedgerEvent, messageId: string): SQSRecord {
  const body = JSON.stringify({
    version: '0',
    id: `eb-${messageId}`,
    'detail-type': event.type,
    source: event.source,
    account: '123456789012',
    time: event.occurredAt,
    region: 'eu-west-2',
    resources: [],
    detail: event,
  });
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1772359201000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1772359201000',
    },
    messageAttributes: {},
    md5OfBody: 'd41d8cd98f00b204e9800998ecf8427e',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-2:123456789012:ledgerline-enriched-to-rules',
    awsRegion: 'eu-west-2',
  };
}

const context = { getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

class CapturingPublisher implements EventPublisher {
  published: LedgerEvent[] = [];
  failNext = false;
  async publish(events: readonly LedgerEvent[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('EventBridge throttled');
    }
    this.published.push(...events);
  }
}

describe('rules handler', () => {
  let db: Database.Database;
  let publisher: CapturingPublisher;
  let velocity: SqliteVelocityStore;
  let decisions: SqliteDecisionStore;
  let run: (records: SQSRecord[]) => Promise<SQSBatchResponse>;
  const clock: Clock = { now: () => new Date('2026-03-01T10:00:02.000Z') };

  beforeEach(() => {
    db = new Database(':memory:');
    publisher = new CapturingPublisher();
    velocity = new SqliteVelocityStore(db);
    decisions = new SqliteDecisionStore(db);
    const handler = createRulesHandler({ ruleSet, velocity, decisions, publisher, clock });
    run = async (records) => (await handler({ Records: records } as SQSEvent, context)) as SQSBatchResponse;
  });
  afterEach(() => db.close());

  it('emits payment.rules-decided with the enriched data plus the decision, valid against its schema', async () => {
    const input = enrichedEvent({ n: 1 });
    const response = await run([sqsRecord(input, 'm-1')]);
    expect(response.batchItemFailures).toEqual([]);
    expect(publisher.published).toHaveLength(1);
    const output = validateEvent(publisher.published[0], 'payment.rules-decided');
    expect(output).toMatchObject({
      type: 'payment.rules-decided',
      correlationId: input.correlationId,
      causationId: input.id,
      source: 'ledgerline.rules',
      occurredAt: '2026-03-01T10:00:02.000Z',
    });
    expect(output.id).toBe(deterministicId('payment.rules-decided', input.id, ''));
    const { decision, ...rest } = output.data;
    expect(rest).toEqual(input.data);
    // The default rule set (src/rule-sets.ts: card-posting v2, the one AWS runs); no fraud signal here.
    expect(decision).toEqual({ outcome: 'approve', firedRules: [], ruleSetId: 'card-posting', ruleSetVersion: '2.0.0', velocityCount: 1 });
    expect(await decisions.get(input.correlationId)).toEqual(decision);
  });

  it('emits declines and reviews too (downstream acts on the outcome)', async () => {
    await run([sqsRecord(enrichedEvent({ n: 1, status: 'FROZEN' }), 'm-1'), sqsRecord(enrichedEvent({ n: 2, amount: '950.00', panToken: 'tok_card00000002' }), 'm-2')]);
    const outcomes = publisher.published.map((event) => validateEvent(event, 'payment.rules-decided').data.decision);
    expect(outcomes.map((decision) => [decision.outcome, decision.firedRules])).toEqual([
      ['decline', ['ACCOUNT_FROZEN']],
      ['review', ['NEAR_TRANSACTION_LIMIT']],
    ]);
  });

  it('gives a re-delivery the same decision and event id, without counting velocity again', async () => {
    const input = enrichedEvent({ n: 1 });
    await run([sqsRecord(input, 'm-1')]);
    await run([sqsRecord(input, 'm-1-again')]);
    await run([sqsRecord(input, 'm-1-third')]);
    expect(publisher.published).toHaveLength(3);
    const [first, second, third] = publisher.published.map((event) => validateEvent(event, 'payment.rules-decided'));
    expect(second?.id).toBe(first?.id);
    expect(third?.id).toBe(first?.id);
    expect(second?.data.decision).toEqual(first?.data.decision);
    expect(third?.data.decision).toEqual(first?.data.decision);
    expect(first?.data.decision.velocityCount).toBe(1);
    // The card has one payment on record, not three: the next payment is the second.
    expect(db.prepare('SELECT COUNT(*) AS n FROM rules_velocity').get()).toEqual({ n: 1 });
    await run([sqsRecord(enrichedEvent({ n: 2, transmittedAt: '2026-03-01T10:05:00.000Z' }), 'm-2')]);
    expect(validateEvent(publisher.published[3], 'payment.rules-decided').data.decision.velocityCount).toBe(2);
  });

  it('re-emits the stored decision even when the facts would now decide differently', async () => {
    const stored: RulesDecision = { outcome: 'review', firedRules: ['VELOCITY_EXCEEDED'], ruleSetId: 'card-posting', ruleSetVersion: '0.9.0', velocityCount: 7 };
    const input = enrichedEvent({ n: 1 });
    await decisions.putIfAbsent(input.correlationId, stored);
    await run([sqsRecord(input, 'm-1')]);
    expect(validateEvent(publisher.published[0], 'payment.rules-decided').data.decision).toEqual(stored);
    expect(db.prepare('SELECT COUNT(*) AS n FROM rules_velocity').get()).toEqual({ n: 0 });
  });

  it('reviews a card over its velocity limit inside the window, and not after the window', async () => {
    // CLASSIC allows 2 payments per card per window.
    const times = ['10:00:00', '10:10:00', '10:20:00'].map((time) => `2026-03-01T${time}.000Z`);
    await run(times.map((transmittedAt, i) => sqsRecord(enrichedEvent({ n: i + 1, transmittedAt }), `m-${i + 1}`)));
    const decided = publisher.published.map((event) => validateEvent(event, 'payment.rules-decided').data.decision);
    expect(decided.map((decision) => [decision.outcome, decision.velocityCount, decision.firedRules])).toEqual([
      ['approve', 1, []],
      ['approve', 2, []],
      ['review', 3, ['VELOCITY_EXCEEDED']],
    ]);
    // Another card is unaffected; the first card, a window later, is back under the limit.
    const later = new Date(Date.parse(times[2] as string) + DEFAULT_VELOCITY_WINDOW_MS).toISOString();
    await run([sqsRecord(enrichedEvent({ n: 4, panToken: 'tok_card00000002' }), 'm-4'), sqsRecord(enrichedEvent({ n: 5, transmittedAt: later }), 'm-5')]);
    const [other, afterWindow] = publisher.published.slice(3).map((event) => validateEvent(event, 'payment.rules-decided').data.decision);
    expect(other).toMatchObject({ outcome: 'approve', velocityCount: 1 });
    expect(afterWindow).toMatchObject({ outcome: 'approve', velocityCount: 1 });
  });

  it('fails the record when the product enrichment carried cannot be applied (never a silent approve)', async () => {
    const good = enrichedEvent({ n: 1 });
    const unknown = enrichedEvent({ n: 2, productLimitCurrency: 'EUR' });
    const response = await run([sqsRecord(good, 'm-good'), sqsRecord(unknown, 'm-unknown')]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-unknown' }]);
    expect(publisher.published.map((event) => event.correlationId)).toEqual([good.correlationId]);
    expect(await decisions.get(unknown.correlationId)).toBeUndefined();
    // The failed record's velocity entry is idempotent by transaction: its retry counts it once.
    expect(db.prepare('SELECT COUNT(*) AS n FROM rules_velocity').get()).toEqual({ n: 2 });
    expect((await run([sqsRecord(unknown, 'm-unknown')])).batchItemFailures).toEqual([{ itemIdentifier: 'm-unknown' }]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM rules_velocity').get()).toEqual({ n: 2 });
  });

  it('fails a record of the wrong type or shape', async () => {
    const wrongType = { ...enrichedEvent({ n: 1 }), type: 'payment.standardised' } as unknown as LedgerEvent;
    const badShape = enrichedEvent({ n: 2 });
    (badShape.data.authorisation as { panToken: string }).panToken = 'not-a-card-token';
    const response = await run([sqsRecord(wrongType, 'm-type'), sqsRecord(badShape, 'm-shape')]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-type' }, { itemIdentifier: 'm-shape' }]);
    expect(publisher.published).toEqual([]);
  });

  it('retries after a failed publish with the same event and decision, counting velocity once', async () => {
    const input = enrichedEvent({ n: 1 });
    publisher.failNext = true;
    expect((await run([sqsRecord(input, 'm-1')])).batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(publisher.published).toEqual([]);
    const stored = await decisions.get(input.correlationId);
    expect(stored).toMatchObject({ outcome: 'approve', velocityCount: 1 });
    expect((await run([sqsRecord(input, 'm-1')])).batchItemFailures).toEqual([]);
    const output = validateEvent(publisher.published[0], 'payment.rules-decided');
    expect(output.data.decision).toEqual(stored);
    expect(db.prepare('SELECT COUNT(*) AS n FROM rules_velocity').get()).toEqual({ n: 1 });
  });
});

describe('createRulesHandler', () => {
  it('refuses a non-positive velocity window', () => {
    const db = new Database(':memory:');
    try {
      expect(() =>
        createRulesHandler({
          ruleSet,
          velocity: new SqliteVelocityStore(db),
          decisions: new SqliteDecisionStore(db),
          publisher: new CapturingPublisher(),
          clock: { now: () => new Date() },
          velocityWindowMs: 0,
        }),
      ).toThrow(RangeError);
    } finally {
      db.close();
    }
  });
});
