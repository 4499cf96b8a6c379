import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { validateXML } from 'xmllint-wasm';
import { createStandardiseHandler } from '../../functions/standardise/standardise';
import { businessKey } from '../../src/domain/dedup';
import type { Authorisation, LedgerEvent } from '../../src/domain/events';
import { EventTypes, correlationIdFor, deterministicId, nextEvent } from '../../src/domain/events';
import type { Pacs008Document } from '../../src/domain/iso20022/pacs008';
import { pacs008ToXml } from '../support/pacs008-xml';
import { findPan } from '../../src/domain/pan';
import type { Clock, EventPublisher } from '../../src/ports';
import { validateEvent } from '../../schemas';

const XSD = readFileSync(join(process.cwd(), '../shared/fixtures/iso20022/pacs.008.001.09.xsd'), 'utf8');

function authorisation(overrides: Partial<Authorisation> = {}): Authorisation {
  return {
    authorizationId: 'auth-std-0001',
    network: 'MASTERCARD',
    stan: '731204',
    rrn: '406112731204',
    transmittedAt: '2024-03-01T10:15:30.250Z',
    panToken: 'tok_Q8sd72LkPz0aXw',
    responseCode: '00',
    amount: { value: '100.00', currency: 'EUR' },
    billingAmount: { value: '85.12', currency: 'GBP' },
    conversionRate: '0.8512',
    merchant: { id: 'mch-fr-77', name: 'Café & Crêpes <Paris>', mcc: '5812', country: 'FR' },
    ...overrides,
  };
}

/** The dedup stage's output for an authorisation, as it would arrive on the bus. */
function deduplicatedEvent(auth: Authorisation): LedgerEvent<'payment.deduplicated'> {
  const authorised = {
    id: deterministicId('payment.authorised', auth.authorizationId),
    correlationId: correlationIdFor(auth.authorizationId),
  };
  return nextEvent(authorised, EventTypes.deduplicated, 'ledgerline.dedup', { authorisation: auth, businessKey: businessKey(auth) }, '2024-03-01T10:15:31.000Z');
}

/** An SQS record fed by an EventBridge rule: the body is the bus event, `detail` the envelope. */
function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1709288131000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1709288131000',
    },
    messageAttributes: {},
    md5OfBody: 'not-checked',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-2:123456789012:test-deduplicated-to-standardise-queue',
    awsRegion: 'eu-west-2',
  };
}

function busBody(envelope: LedgerEvent): string {
  return JSON.stringify({
    version: '0',
    id: `bus-${envelope.id}`,
    'detail-type': envelope.type,
    source: envelope.source,
    account: '123456789012',
    time: envelope.occurredAt,
    region: 'eu-west-2',
    resources: [],
    detail: envelope,
  });
}

class RecordingPublisher implements EventPublisher {
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

const fixedClock = (iso: string): Clock => ({ now: () => new Date(iso) });
const context = {} as Context;

async function run(publisher: EventPublisher, clock: Clock, records: SQSRecord[]): Promise<SQSBatchResponse> {
  const handler = createStandardiseHandler({ publisher, clock });
  return handler({ Records: records } as SQSEvent, context);
}

describe('standardise handler', () => {
  const input = deduplicatedEvent(authorisation());

  it('publishes a schema-valid payment.standardised event whose pacs.008 validates against the XSD', async () => {
    const publisher = new RecordingPublisher();
    const response = await run(publisher, fixedClock('2024-03-01T10:15:32.000Z'), [sqsRecord('m-1', busBody(input))]);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(publisher.published).toHaveLength(1);
    const published = validateEvent(publisher.published[0], EventTypes.standardised);
    expect(published).toMatchObject({
      type: 'payment.standardised',
      version: 1,
      source: 'ledgerline.standardise',
      correlationId: input.correlationId,
      causationId: input.id,
      occurredAt: '2024-03-01T10:15:32.000Z',
      data: { authorisation: input.data.authorisation, businessKey: input.data.businessKey },
    });
    expect(published.id).toBe(deterministicId('payment.standardised', input.id, ''));

    const pacs = published.data.pacs008 as Pacs008Document;
    // Deterministic content: CreDtTm from transmittedAt (not the clock), UETR UUIDv4.
    expect(pacs.GrpHdr.CreDtTm).toBe('2024-03-01T10:15:30.250Z');
    expect(pacs.CdtTrfTxInf.PmtId.EndToEndId).toBe('auth-std-0001');
    expect(pacs.CdtTrfTxInf.IntrBkSttlmAmt).toEqual({ Ccy: 'GBP', value: '85.12' });
    expect(pacs.CdtTrfTxInf.InstdAmt).toEqual({ Ccy: 'EUR', value: '100.00' });
    expect(findPan(published)).toBeUndefined();

    const result = await validateXML({
      xml: [{ fileName: 'standardised.xml', contents: pacs008ToXml(published.data.pacs008) }],
      schema: [{ fileName: 'pacs.008.001.09.xsd', contents: XSD }],
    });
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('reports malformed records in batchItemFailures and still publishes the good one', async () => {
    const publisher = new RecordingPublisher();
    const wrongType = { ...input, id: 'evt-wrong-type', type: EventTypes.authorised, data: { authorisation: input.data.authorisation } };
    const badSchema = { ...input, id: 'evt-bad-schema', data: { ...input.data, businessKey: 'not-a-sha256' } };
    const response = await run(publisher, fixedClock('2024-03-01T10:15:32.000Z'), [
      sqsRecord('m-broken-json', '{"detail": '),
      sqsRecord('m-good', busBody(input)),
      sqsRecord('m-wrong-type', busBody(wrongType as LedgerEvent)),
      sqsRecord('m-bad-schema', busBody(badSchema as LedgerEvent)),
    ]);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-broken-json' }, { itemIdentifier: 'm-wrong-type' }, { itemIdentifier: 'm-bad-schema' }]);
    expect(publisher.published).toHaveLength(1);
    expect(publisher.published[0]?.causationId).toBe(input.id);
  });

  it('a record whose authorisation cannot be standardised fails alone', async () => {
    const publisher = new RecordingPublisher();
    // Valid against the event schema, but 1500.5 JPY is not valid money (JPY has no minor unit).
    const bad = deduplicatedEvent(authorisation({ authorizationId: 'auth-jpy-bad', billingAmount: { value: '1500.5', currency: 'JPY' } }));
    const response = await run(publisher, fixedClock('2024-03-01T10:15:32.000Z'), [sqsRecord('m-bad-money', busBody(bad)), sqsRecord('m-good', busBody(input))]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-bad-money' }]);
    expect(publisher.published.map((event) => event.causationId)).toEqual([input.id]);
  });

  it('a failed publish fails the records that produced output, for retry', async () => {
    const publisher = new RecordingPublisher();
    publisher.failNext = true;
    const response = await run(publisher, fixedClock('2024-03-01T10:15:32.000Z'), [sqsRecord('m-1', busBody(input))]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(publisher.published).toHaveLength(0);
  });

  it('re-delivery yields the identical event id and pacs.008, whatever the clock says', async () => {
    const publisher = new RecordingPublisher();
    await run(publisher, fixedClock('2024-03-01T10:15:32.000Z'), [sqsRecord('m-1', busBody(input))]);
    // Re-delivered later, on a fresh handler instance, with a new SQS message id.
    await run(publisher, fixedClock('2024-03-02T08:00:00.000Z'), [sqsRecord('m-1-redelivered', busBody(input))]);

    expect(publisher.published).toHaveLength(2);
    const [first, second] = publisher.published as LedgerEvent<'payment.standardised'>[];
    expect(second?.id).toBe(first?.id);
    expect(second?.data).toEqual(first?.data);
    expect(pacs008ToXml(second!.data.pacs008)).toBe(pacs008ToXml(first!.data.pacs008));

    // A different transaction gets different ids.
    const other = deduplicatedEvent(authorisation({ authorizationId: 'auth-std-0002', stan: '731205' }));
    await run(publisher, fixedClock('2024-03-01T10:15:32.000Z'), [sqsRecord('m-2', busBody(other))]);
    const third = publisher.published[2] as LedgerEvent<'payment.standardised'>;
    expect(third.id).not.toBe(first?.id);
    const pacs = (event: LedgerEvent<'payment.standardised'> | undefined) => event?.data.pacs008 as Pacs008Document;
    expect(pacs(third).GrpHdr.MsgId).not.toBe(pacs(first).GrpHdr.MsgId);
    expect(pacs(third).CdtTrfTxInf.PmtId.UETR).not.toBe(pacs(first).CdtTrfTxInf.PmtId.UETR);
  });
});
