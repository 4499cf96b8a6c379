/** Enriched payments of one card for the FRAUD-1 rules tests: a payment is its number, card, time, amount, country and merchant. */
import type { EnrichedData, LedgerEvent } from '../../../src/domain/events';
import { correlationIdFor, deterministicId, EVENT_VERSION } from '../../../src/domain/events';

export interface Pay {
  n: number;
  card: string;
  atMs: number;
  amount: string;
  country: string;
  merchant: string;
}

export function enrichedEvent(p: Pay): LedgerEvent<'payment.enriched'> {
  const authorizationId = `auth-${String(p.n).padStart(5, '0')}`;
  const amount = { value: p.amount, currency: 'GBP' };
  const merchant = { id: p.merchant, name: 'Shop', mcc: '5411', country: p.country };
  const data: EnrichedData = {
    authorisation: {
      authorizationId,
      network: 'VISA',
      stan: String(p.n).padStart(6, '0'),
      rrn: `RRN${String(p.n).padStart(9, '0')}`,
      transmittedAt: new Date(p.atMs).toISOString(),
      panToken: p.card,
      responseCode: '00',
      amount,
      merchant,
    },
    businessKey: deterministicId('bk', authorizationId).replace(/-/g, '').padEnd(64, '0'),
    enrichment: {
      card: { network: 'VISA', status: 'ACTIVE' },
      product: {
        productType: 'CLASSIC',
        name: 'Classic',
        perTransactionLimit: { value: '100000.00', currency: 'GBP' },
        fxFeeBasisPoints: 275,
        velocityLimit: 1000,
        foreignTransactionsAllowed: true,
      },
      account: {
        accountId: `acc-${p.card}`,
        iban: 'GB82WEST12345698765432',
        sortCode: '12-34-56',
        branch: 'London Bridge',
        holderName: 'A Customer',
        productType: 'CLASSIC',
        status: 'OPEN',
        currency: 'GBP',
      },
      merchant: { ...merchant, category: 'Groceries', settlementAccountId: 'settle-1' },
      description: 'Shop',
      accountAmount: amount,
      referenceDataVersion: 'ref-test-1',
    },
  };
  return {
    id: deterministicId('payment.enriched', authorizationId),
    type: 'payment.enriched',
    version: EVENT_VERSION,
    occurredAt: new Date(p.atMs + 1000).toISOString(),
    correlationId: correlationIdFor(authorizationId),
    causationId: deterministicId('payment.standardised', authorizationId),
    source: 'ledgerline.enrich',
    data,
  };
}
