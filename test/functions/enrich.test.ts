import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createEnrichHandler } from '../../functions/enrich/enrich';
import { loadReferenceData } from '../../src/adapters/embedded/reference-data';
import { businessKey } from '../../src/domain/dedup';
import type { Authorisation, LedgerEvent } from '../../src/domain/events';
import { EventTypes, correlationIdFor, deterministicId, nextEvent } from '../../src/domain/events';
import { basisPoints, fromMinorUnits, toMinorUnits } from '../../src/domain/money';
import { findPan } from '../../src/domain/pan';
import { generateAuthorisations } from '../../src/generator/authorisations';
import type { Clock, EventPublisher } from '../../src/ports';
import { validateEvent } from '../../schemas';

const ref = loadReferenceData();
const clock: Clock = { now: () => new Date('2026-11-01T12:00:00.000Z') };
const context = {} as Context;

class CollectingPublisher implements EventPublisher {
  readonly published: LedgerEvent[] = [];
  failNext = false;
  async publish(events: readonly LedgerEvent[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('PutEvents throttled');
    }
    this.published.push(...events);
  }
}

/** A card on an OPEN GBP account with an ACTIVE card, and one on a CLOSED account. */
const openGbpCard = ref.cards.find((c) => c.status === 'ACTIVE' && ref.accountSync(c.accountId)?.status === 'OPEN' && ref.accountSync(c.accountId)?.currency === 'GBP');
const closedCard = ref.cards.find((c) => ref.accountSync(c.accountId)?.status === 'CLOSED');
const gbpMerchant = ref.merchants.find((m) => m.currency === 'GBP' && m.mcc === '5411');
const eurMerchant = ref.merchants.find((m) => m.currency === 'EUR' && m.country === 'FR');
if (!openGbpCard || !closedCard || !gbpMerchant || !eurMerchant) throw new Error('reference data lacks the test fixtures');

function authorisation(overrides: Partial<Authorisation> = {}): Authorisation {
  const m = gbpMerchant as NonNullable<typeof gbpMerchant>;
  return {
    authorizationId: 'AUTH-900-N00000001',
    network: 'VISA',
    stan: '104233',
    rrn: '630510104233',
    transmittedAt: '2026-11-01T10:15:30.250Z',
    panToken: (openGbpCard as NonNullable<typeof openGbpCard>).panToken,
    responseCode: '00',
    amount: { value: '36.20', currency: 'GBP' },
    merchant: { id: m.id, name: m.name, mcc: m.mcc, country: m.country },
    authCode: 'A1B2C3',
    terminalId: 'T0000101',
    ...overrides,
  };
}

/** The standardise stage's output, as it arrives on the bus. */
function standardisedEvent(auth: Authorisation): LedgerEvent<'payment.standardised'> {
  const deduplicated = { id: deterministicId('payment.deduplicated', auth.authorizationId), correlationId: correlationIdFor(auth.authorizationId) };
  return nextEvent(
    deduplicated,
    EventTypes.standardised,
    'ledgerline.standardise',
    {
      authorisation: auth,
      businessKey: businessKey(auth),
      pacs008: { GrpHdr: { MsgId: auth.authorizationId, NbOfTxs: '1' }, CdtTrfTxInf: { PmtId: { EndToEndId: auth.authorizationId } } },
    },
    '2026-11-01T10:15:31.000Z',
  );
}

/** An SQS record fed by an EventBridge rule: the body is the bus event, `detail` the envelope. */
function sqsRecord(messageId: string, envelope: unknown): SQSRecord {
  const detail = envelope as { id?: string; type?: string; source?: string; occurredAt?: string };
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: JSON.stringify({
      version: '0',
      id: `bus-${detail.id ?? messageId}`,
      'detail-type': detail.type,
      source: detail.source,
      account: '123456789012',
      time: detail.occurredAt,
      region: 'eu-west-2',
      resources: [],
      detail: envelope,
    }),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1793528131000', SenderId: 'AIDAEXAMPLE', ApproximateFirstReceiveTimestamp: '1793528131000' },
    messageAttributes: {},
    md5OfBody: 'not-checked',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-2:123456789012:test-standardised-to-enrich-queue',
    awsRegion: 'eu-west-2',
  };
}

async function run(publisher: CollectingPublisher, envelopes: unknown[]): Promise<SQSBatchResponse> {
  const handler = createEnrichHandler({ referenceData: ref, publisher, clock });
  const event: SQSEvent = { Records: envelopes.map((envelope, i) => sqsRecord(`m-${i + 1}`, envelope)) };
  return handler(event, context);
}

describe('enrich handler', () => {
  it('turns a standardised payment into a schema-valid payment.enriched event', async () => {
    const publisher = new CollectingPublisher();
    const input = standardisedEvent(authorisation());
    const response = await run(publisher, [input]);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(publisher.published).toHaveLength(1);
    const out = validateEvent(publisher.published[0], 'payment.enriched');
    const card = openGbpCard as NonNullable<typeof openGbpCard>;
    const account = ref.accountSync(card.accountId);
    expect(out).toMatchObject({
      id: deterministicId('payment.enriched', input.id, ''),
      correlationId: input.correlationId,
      causationId: input.id,
      source: 'ledgerline.enrich',
      occurredAt: '2026-11-01T12:00:00.000Z',
    });
    expect(out.data.authorisation).toEqual(input.data.authorisation);
    expect(out.data.businessKey).toBe(input.data.businessKey);
    // POST-3: pacs.008 stays with the standardised event; the product enrichment resolved travels on.
    expect(out.data).not.toHaveProperty('pacs008');
    expect(out.data.enrichment.product).toEqual(await ref.product(account!.productType));
    expect(out.data.enrichment).toMatchObject({
      account: { accountId: card.accountId, iban: account?.iban, sortCode: account?.sortCode, holderName: account?.holderName, status: 'OPEN', currency: 'GBP' },
      merchant: { id: gbpMerchant?.id, category: 'GROCERY', settlementAccountId: gbpMerchant?.settlementAccountId },
      accountAmount: { value: '36.20', currency: 'GBP' },
      referenceDataVersion: ref.version,
    });
    expect(out.data.enrichment.description).toBe(`CARD PAYMENT TO ${gbpMerchant?.name.toUpperCase()} ${gbpMerchant?.city} GB ON 01 NOV 2026`);
    expect(out.data.enrichment.conversion).toBeUndefined();
    expect(findPan(out)).toBeUndefined();
  });

  it('converts a foreign payment at the reference rate and charges the product fee', async () => {
    const publisher = new CollectingPublisher();
    const m = eurMerchant as NonNullable<typeof eurMerchant>;
    await run(publisher, [standardisedEvent(authorisation({ amount: { value: '120.00', currency: 'EUR' }, merchant: { id: m.id, name: m.name, mcc: m.mcc, country: m.country } }))]);
    const out = validateEvent(publisher.published[0], 'payment.enriched');
    const account = ref.accountSync((openGbpCard as NonNullable<typeof openGbpCard>).accountId);
    const product = ref.productSync(account?.productType ?? '');
    const rate = ref.fxRateSync('EUR', 'GBP')?.rate;
    const conversion = out.data.enrichment.conversion;
    expect(conversion).toMatchObject({ source: { value: '120.00', currency: 'EUR' }, rateSource: 'REFERENCE', rate, feeBasisPoints: product?.fxFeeBasisPoints });
    const converted = toMinorUnits(conversion?.converted.value ?? '', 'GBP');
    expect(conversion?.fee.value).toBe(fromMinorUnits(basisPoints(converted, product?.fxFeeBasisPoints ?? 0), 'GBP'));
    expect(out.data.enrichment.accountAmount).toEqual(conversion?.converted);
  });

  it('rejects an unknown card with payment.rejected UNKNOWN_CARD', async () => {
    const publisher = new CollectingPublisher();
    const response = await run(publisher, [standardisedEvent(authorisation({ panToken: 'tok_NotInTheRefData99' }))]);
    expect(response).toEqual({ batchItemFailures: [] });
    const out = validateEvent(publisher.published[0], 'payment.rejected');
    expect(out.data.reason).toBe('UNKNOWN_CARD');
    expect(out.data.detail).toContain('tok_NotInTheRefData99');
    expect(out.data.authorisation.panToken).toBe('tok_NotInTheRefData99');
  });

  it('rejects a card on a closed account with ACCOUNT_CLOSED', async () => {
    const publisher = new CollectingPublisher();
    await run(publisher, [standardisedEvent(authorisation({ panToken: (closedCard as NonNullable<typeof closedCard>).panToken }))]);
    const out = validateEvent(publisher.published[0], 'payment.rejected');
    expect(out.data.reason).toBe('ACCOUNT_CLOSED');
  });

  it('rejects a merchant that is not in reference data with UNKNOWN_MERCHANT', async () => {
    const publisher = new CollectingPublisher();
    await run(publisher, [standardisedEvent(authorisation({ merchant: { id: 'MER-77777', name: 'Pop Up', mcc: '5999', country: 'GB' } }))]);
    expect(validateEvent(publisher.published[0], 'payment.rejected').data.reason).toBe('UNKNOWN_MERCHANT');
  });

  it('gives byte-identical output when the same records are replayed', async () => {
    const inputs = [standardisedEvent(authorisation()), standardisedEvent(authorisation({ authorizationId: 'AUTH-900-N00000002', panToken: 'tok_NotInTheRefData99' }))];
    const first = new CollectingPublisher();
    const second = new CollectingPublisher();
    await run(first, inputs);
    await run(second, JSON.parse(JSON.stringify(inputs)) as unknown[]);
    expect(first.published).toHaveLength(2);
    expect(JSON.stringify(second.published)).toBe(JSON.stringify(first.published));
  });

  it('fails only a poison record (wrong type or invalid envelope), still publishing the good one', async () => {
    const publisher = new CollectingPublisher();
    const good = standardisedEvent(authorisation());
    const wrongType = { ...good, type: 'payment.deduplicated', data: { authorisation: good.data.authorisation, businessKey: good.data.businessKey } };
    const response = await run(publisher, [wrongType, good, { ...good, data: { authorisation: good.data.authorisation } }]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-3' }]);
    expect(publisher.published.map((e) => e.type)).toEqual(['payment.enriched']);
  });

  it('fails every producing record when publishing fails, so SQS retries them', async () => {
    const publisher = new CollectingPublisher();
    publisher.failNext = true;
    const response = await run(publisher, [standardisedEvent(authorisation()), standardisedEvent(authorisation({ authorizationId: 'AUTH-900-N00000003' }))]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }]);
  });

  it('retries a record when the reference store is unavailable', async () => {
    const publisher = new CollectingPublisher();
    const flaky = Object.create(ref) as typeof ref;
    flaky.card = async () => {
      throw new Error('reference store timeout');
    };
    const handler = createEnrichHandler({ referenceData: flaky, publisher, clock });
    const response = await handler({ Records: [sqsRecord('m-1', standardisedEvent(authorisation()))] }, context);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(publisher.published).toEqual([]);
  });

  it('enriches a generated batch: every output validates, rejections only where the generator intends them', async () => {
    const publisher = new CollectingPublisher();
    const auths = [...generateAuthorisations({ count: 3000, seed: 11, referenceData: ref })].filter((a) => a.responseCode === '00');
    const response = await run(publisher, auths.map(standardisedEvent));
    expect(response.batchItemFailures).toEqual([]);
    expect(publisher.published).toHaveLength(auths.length);
    const reasons: Record<string, number> = {};
    let converted = 0;
    for (const event of publisher.published) {
      const valid = validateEvent(event, ['payment.enriched', 'payment.rejected']);
      if (valid.type === 'payment.rejected') {
        const { reason } = (valid as LedgerEvent<'payment.rejected'>).data;
        reasons[reason] = (reasons[reason] ?? 0) + 1;
      } else if ((valid as LedgerEvent<'payment.enriched'>).data.enrichment.conversion) {
        converted += 1;
      }
    }
    expect(Object.keys(reasons).every((reason) => reason === 'UNKNOWN_CARD' || reason === 'ACCOUNT_CLOSED')).toBe(true);
    const rejected = Object.values(reasons).reduce((a, b) => a + b, 0);
    expect(rejected).toBeLessThan(auths.length * 0.02);
    expect(converted).toBeGreaterThan(auths.length * 0.06);
    expect(converted).toBeLessThan(auths.length * 0.15);
  });
});
