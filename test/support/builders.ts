/** Hand-built domain objects for tests (no reference data needed). */
import type { Authorisation, EnrichedData, LedgerEvent, RulesDecidedData } from '../../src/domain/events';
import { correlationIdFor, deterministicId, EVENT_VERSION } from '../../src/domain/events';
import { toBusEvent } from '../../src/runtime/embedded-bus';
import type { SQSEvent } from 'aws-lambda';

export function authorisation(overrides: Partial<Authorisation> = {}): Authorisation {
  return {
    authorizationId: 'AUTH-1',
    network: 'VISA',
    stan: '123456',
    rrn: '000000654321',
    transmittedAt: '2026-11-01T10:00:00.000Z',
    panToken: 'tok_ABCDEFGH12345678',
    responseCode: '00',
    amount: { value: '25.00', currency: 'GBP' },
    merchant: { id: 'M-0001', name: 'Corner Shop', mcc: '5411', country: 'GB' },
    ...overrides,
  };
}

export function enrichedData(overrides: { authorisation?: Partial<Authorisation>; accountCurrency?: string; fee?: string; converted?: string } = {}): EnrichedData {
  const auth = authorisation(overrides.authorisation);
  const accountCurrency = overrides.accountCurrency ?? auth.amount.currency;
  const cross = accountCurrency !== auth.amount.currency;
  const converted = { value: overrides.converted ?? auth.amount.value, currency: accountCurrency };
  return {
    authorisation: auth,
    businessKey: 'a'.repeat(64),
    enrichment: {
      card: { network: auth.network, status: 'ACTIVE' },
      product: {
        productType: 'CURRENT_STANDARD',
        name: 'Standard current account',
        perTransactionLimit: { value: '5000.00', currency: accountCurrency },
        fxFeeBasisPoints: 275,
        velocityLimit: 10,
        foreignTransactionsAllowed: true,
      },
      account: {
        accountId: 'ACC-0001',
        iban: 'GB33BUKB20201555555555',
        sortCode: '20-20-15',
        branch: 'London Bridge',
        holderName: 'A Customer',
        productType: 'CURRENT_STANDARD',
        status: 'OPEN',
        currency: accountCurrency,
      },
      merchant: { ...auth.merchant, category: 'GROCERY', settlementAccountId: `SETTLE-${auth.amount.currency}-001` },
      description: `CARD PAYMENT TO ${auth.merchant.name.toUpperCase()}`,
      accountAmount: cross ? converted : auth.amount,
      ...(cross
        ? { conversion: { source: auth.amount, converted, rate: '0.85', rateSource: 'NETWORK' as const, fee: { value: overrides.fee ?? '0.59', currency: accountCurrency }, feeBasisPoints: 275 } }
        : {}),
      referenceDataVersion: 'test',
    },
  };
}

export function approvedData(overrides: Parameters<typeof enrichedData>[0] = {}): RulesDecidedData {
  return { ...enrichedData(overrides), decision: { outcome: 'approve', firedRules: [], ruleSetId: 'card-posting', ruleSetVersion: '1.0.0', velocityCount: 1 } };
}

export function envelope<T extends LedgerEvent['type']>(type: T, data: Extract<LedgerEvent, { type: T }>['data'], authorizationId = 'AUTH-1'): Extract<LedgerEvent, { type: T }> {
  return {
    id: deterministicId('test', type, authorizationId),
    type,
    version: EVENT_VERSION,
    occurredAt: '2026-11-01T10:00:01.000Z',
    correlationId: correlationIdFor(authorizationId),
    causationId: authorizationId,
    source: 'ledgerline.test',
    data,
  } as Extract<LedgerEvent, { type: T }>;
}

/** An SQS batch as Lambda receives it from an EventBridge rule target. */
export function sqsEvent(events: readonly LedgerEvent[], receiveCount = 1): SQSEvent {
  return {
    Records: events.map((event, index) => ({
      messageId: `m-${index}`,
      receiptHandle: `r-${index}`,
      body: JSON.stringify(toBusEvent(event)),
      attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-2:123456789012:test-queue',
      awsRegion: 'eu-west-2',
    })),
  };
}

export const fixedClock = { now: () => new Date('2026-11-01T10:00:05.000Z') };

export class CapturingPublisher {
  readonly published: LedgerEvent[] = [];
  failNext = 0;
  async publish(events: readonly LedgerEvent[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('PutEvents unavailable');
    }
    this.published.push(...events);
  }
}

export const lambdaContext = {} as never;
