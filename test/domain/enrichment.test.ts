import type { Authorisation, LedgerEvent, StandardisedData } from '../../src/domain/events';
import { EventTypes, correlationIdFor, deterministicId, nextEvent } from '../../src/domain/events';
import type { ResolvedReference } from '../../src/domain/enrichment';
import { categoryForMcc, enrich, enrichmentEvent, paymentDescription, resolveReference } from '../../src/domain/enrichment';
import { businessKey } from '../../src/domain/dedup';
import { containsPan } from '../../src/domain/pan';
import type { AccountRecord, CardRecord, FxRateRecord, MerchantRecord, ProductRecord, ReferenceData } from '../../src/ports';
import { validateEvent } from '../../schemas';

const VERSION = 'test-ref-1';

function auth(overrides: Partial<Authorisation> = {}): Authorisation {
  return {
    authorizationId: 'AUTH-7-N00000001',
    network: 'VISA',
    stan: '004211',
    rrn: '630510004211',
    transmittedAt: '2026-11-01T10:15:30.250Z',
    panToken: 'tok_Ab3dEf6hIj9kLm2n',
    responseCode: '00',
    amount: { value: '42.50', currency: 'GBP' },
    merchant: { id: 'MER-00001', name: 'Elmstead Clothing', mcc: '5651', country: 'GB' },
    ...overrides,
  };
}

function data(authorisation: Authorisation): StandardisedData {
  let key = 'f'.repeat(64);
  try {
    key = businessKey(authorisation);
  } catch {
    // an amount dedup would refuse (bad currency / precision): enrichment must still say why
  }
  return { authorisation, businessKey: key, pacs008: { GrpHdr: { MsgId: 'x' }, CdtTrfTxInf: { Amt: 'y' } } };
}

const card: CardRecord = { panToken: 'tok_Ab3dEf6hIj9kLm2n', accountId: 'ACC-0000042', network: 'VISA', status: 'ACTIVE' };
const account: AccountRecord = {
  accountId: 'ACC-0000042',
  iban: 'GB93LDGL67874444189555',
  sortCode: '67-87-44',
  branch: 'LONDON CITY',
  holderName: 'Priya Clarke',
  productType: 'CURRENT_STANDARD',
  status: 'OPEN',
  currency: 'GBP',
};
const product: ProductRecord = {
  productType: 'CURRENT_STANDARD',
  name: 'Standard Current Account',
  perTransactionLimit: { value: '2500.00', currency: 'GBP' },
  fxFeeBasisPoints: 299,
  velocityLimit: 20,
  foreignTransactionsAllowed: true,
};
const merchant: MerchantRecord & { city: string } = {
  id: 'MER-00001',
  name: 'Elmstead Clothing',
  mcc: '5651',
  country: 'GB',
  category: 'CLOTHING',
  settlementAccountId: 'SETTLE-GBP-001',
  currency: 'GBP',
  city: 'GLASGOW',
};

function ref(overrides: Partial<ResolvedReference> = {}): ResolvedReference {
  return { version: VERSION, card, account, product, merchant, ...overrides };
}

function enriched(authorisation: Authorisation, reference: ResolvedReference) {
  const outcome = enrich(data(authorisation), reference);
  if (outcome.kind !== 'enriched') throw new Error(`expected enriched, got ${outcome.reason}: ${outcome.detail}`);
  return outcome.enrichment;
}

describe('enrich: same currency', () => {
  it('adds account, branch, holder, product, merchant category, description and the version', () => {
    const e = enriched(auth(), ref());
    expect(e.card).toEqual({ network: 'VISA', status: 'ACTIVE' });
    expect(e.account).toEqual({
      accountId: 'ACC-0000042',
      iban: 'GB93LDGL67874444189555',
      sortCode: '67-87-44',
      branch: 'LONDON CITY',
      holderName: 'Priya Clarke',
      productType: 'CURRENT_STANDARD',
      status: 'OPEN',
      currency: 'GBP',
    });
    expect(e.merchant).toEqual({
      id: 'MER-00001',
      name: 'Elmstead Clothing',
      mcc: '5651',
      country: 'GB',
      category: 'CLOTHING',
      settlementAccountId: 'SETTLE-GBP-001',
    });
    expect(e.description).toBe('CARD PAYMENT TO ELMSTEAD CLOTHING GLASGOW GB ON 01 NOV 2026');
    expect(e.accountAmount).toEqual({ value: '42.50', currency: 'GBP' });
    expect(e.conversion).toBeUndefined();
    expect(e.referenceDataVersion).toBe(VERSION);
  });

  it('canonicalises the amount to the currency precision', () => {
    expect(enriched(auth({ amount: { value: '7', currency: 'GBP' } }), ref()).accountAmount).toEqual({ value: '7.00', currency: 'GBP' });
  });

  it('enriches FROZEN and DORMANT accounts (the rules decide), only CLOSED is rejected', () => {
    expect(enriched(auth(), ref({ account: { ...account, status: 'FROZEN' } })).account.status).toBe('FROZEN');
    expect(enriched(auth(), ref({ account: { ...account, status: 'DORMANT' } })).account.status).toBe('DORMANT');
  });

  it('enriches BLOCKED and EXPIRED cards and carries the status (the rules hold them for review)', () => {
    expect(enriched(auth(), ref({ card: { ...card, status: 'BLOCKED' } })).card).toEqual({ network: 'VISA', status: 'BLOCKED' });
    expect(enriched(auth(), ref({ card: { ...card, status: 'EXPIRED' } })).card.status).toBe('EXPIRED');
  });

  it('takes the MCC the network sent and categorises it when it differs from the reference MCC', () => {
    const e = enriched(auth({ merchant: { ...auth().merchant, mcc: '7995' } }), ref());
    expect(e.merchant.mcc).toBe('7995');
    expect(e.merchant.category).toBe('GAMBLING');
  });
});

describe('enrich: currency conversion', () => {
  const eurAuth = (overrides: Partial<Authorisation> = {}): Authorisation =>
    auth({ amount: { value: '100.00', currency: 'EUR' }, merchant: { id: 'MER-00120', name: 'Juniper Bistro', mcc: '5812', country: 'FR' }, ...overrides });
  const eurMerchant: MerchantRecord = {
    ...merchant,
    id: 'MER-00120',
    name: 'Juniper Bistro',
    mcc: '5812',
    country: 'FR',
    category: 'RESTAURANT',
    currency: 'EUR',
    settlementAccountId: 'SETTLE-EUR-001',
  };
  const eurToGbp: FxRateRecord = { from: 'EUR', to: 'GBP', rate: '0.85617855' };

  it('uses the network billingAmount when it is in the account currency (NETWORK)', () => {
    const e = enriched(eurAuth({ billingAmount: { value: '85.10', currency: 'GBP' }, conversionRate: '0.851' }), ref({ merchant: eurMerchant, fxRate: eurToGbp }));
    expect(e.accountAmount).toEqual({ value: '85.10', currency: 'GBP' });
    expect(e.conversion).toEqual({
      source: { value: '100.00', currency: 'EUR' },
      converted: { value: '85.10', currency: 'GBP' },
      rate: '0.851',
      rateSource: 'NETWORK',
      // 8510 × 299 / 10000 = 254.449 → 254
      fee: { value: '2.54', currency: 'GBP' },
      feeBasisPoints: 299,
    });
  });

  it('derives the rate from the billing amount when the network sent none', () => {
    const e = enriched(eurAuth({ billingAmount: { value: '85.10', currency: 'GBP' } }), ref({ merchant: eurMerchant }));
    expect(e.conversion?.rateSource).toBe('NETWORK');
    expect(e.conversion?.rate).toBe('0.85100000');
  });

  it('applies the conversionRate when there is no billingAmount (NETWORK)', () => {
    const e = enriched(eurAuth({ amount: { value: '10.05', currency: 'EUR' }, conversionRate: '0.85' }), ref({ merchant: eurMerchant, fxRate: eurToGbp }));
    // 1005 × 0.85 = 854.25 → 854
    expect(e.accountAmount).toEqual({ value: '8.54', currency: 'GBP' });
    expect(e.conversion?.rateSource).toBe('NETWORK');
    expect(e.conversion?.rate).toBe('0.85');
  });

  it('ignores a billingAmount in another currency and its rate; uses the reference rate', () => {
    const usdAccount = { ...account, currency: 'USD', productType: 'CURRENCY_USD' };
    const usdProduct = { ...product, productType: 'CURRENCY_USD', perTransactionLimit: { value: '5000.00', currency: 'USD' }, fxFeeBasisPoints: 125 };
    const e = enriched(
      eurAuth({ billingAmount: { value: '85.10', currency: 'GBP' }, conversionRate: '0.851' }),
      ref({ account: usdAccount, product: usdProduct, merchant: eurMerchant, fxRate: { from: 'EUR', to: 'USD', rate: '1.08873162' } }),
    );
    expect(e.conversion).toMatchObject({ rateSource: 'REFERENCE', rate: '1.08873162', converted: { value: '108.87', currency: 'USD' } });
    expect(e.accountAmount).toEqual({ value: '108.87', currency: 'USD' });
    // 10887 × 125 / 10000 = 136.0875 → 136
    expect(e.conversion?.fee).toEqual({ value: '1.36', currency: 'USD' });
  });

  it('falls back to the reference rate and handles 0-dp and 3-dp currencies exactly (half-even)', () => {
    const jpy = enriched(
      auth({ amount: { value: '1500', currency: 'JPY' }, merchant: { id: 'MER-00180', name: 'Lantern Noodle Bar', mcc: '5814', country: 'JP' } }),
      ref({ merchant: { ...eurMerchant, id: 'MER-00180', currency: 'JPY', country: 'JP' }, fxRate: { from: 'JPY', to: 'GBP', rate: '0.00519' } }),
    );
    // 1500 × 0.00519 = 7.785 GBP = 778.5 minor → 778 (half to even)
    expect(jpy.accountAmount).toEqual({ value: '7.78', currency: 'GBP' });
    expect(jpy.conversion).toMatchObject({ source: { value: '1500', currency: 'JPY' }, rateSource: 'REFERENCE', rate: '0.00519' });

    const bhd = enriched(
      auth({ amount: { value: '12.345', currency: 'BHD' }, merchant: { id: 'MER-00190', name: 'Wren Deli', mcc: '5814', country: 'BH' } }),
      ref({ merchant: { ...eurMerchant, id: 'MER-00190', currency: 'BHD', country: 'BH' }, fxRate: { from: 'BHD', to: 'GBP', rate: '2.1' } }),
    );
    // 12.345 × 2.1 = 25.9245 → 25.92
    expect(bhd.accountAmount).toEqual({ value: '25.92', currency: 'GBP' });
  });

  it('rounds the fee half to even', () => {
    const cheap = { ...product, fxFeeBasisPoints: 50 };
    const fee = (converted: string): string | undefined =>
      enriched(eurAuth({ billingAmount: { value: converted, currency: 'GBP' } }), ref({ merchant: eurMerchant, product: cheap })).conversion?.fee.value;
    expect(fee('13.00')).toBe('0.06'); // 6.5 minor → 6
    expect(fee('11.00')).toBe('0.06'); // 5.5 minor → 6
    expect(fee('12.00')).toBe('0.06'); // exactly 6
  });

  it('charges no fee on a fee-free product but still records the conversion', () => {
    const e = enriched(eurAuth({ billingAmount: { value: '85.10', currency: 'GBP' } }), ref({ merchant: eurMerchant, product: { ...product, fxFeeBasisPoints: 0 } }));
    expect(e.conversion?.fee).toEqual({ value: '0.00', currency: 'GBP' });
    expect(e.conversion?.feeBasisPoints).toBe(0);
  });

  it('rejects NO_FX_RATE when neither the network nor the reference data gives a rate', () => {
    const outcome = enrich(data(eurAuth()), ref({ merchant: eurMerchant }));
    expect(outcome).toEqual({ kind: 'rejected', reason: 'NO_FX_RATE', detail: `no FX rate EUR→GBP in reference data ${VERSION}` });
  });

  it('does not use a reference rate for another pair', () => {
    const outcome = enrich(data(eurAuth()), ref({ merchant: eurMerchant, fxRate: { from: 'USD', to: 'GBP', rate: '0.79' } }));
    expect(outcome).toMatchObject({ kind: 'rejected', reason: 'NO_FX_RATE' });
  });
});

describe('enrich: rejections', () => {
  it.each([
    ['UNKNOWN_CARD', ref({ card: undefined, account: undefined }), auth()],
    ['UNKNOWN_ACCOUNT', ref({ account: undefined }), auth()],
    ['UNKNOWN_ACCOUNT', ref({ product: undefined }), auth()],
    ['ACCOUNT_CLOSED', ref({ account: { ...account, status: 'CLOSED' } }), auth()],
    ['UNKNOWN_MERCHANT', ref({ merchant: undefined }), auth({ merchant: { id: 'MER-99999', name: 'Nobody', mcc: '5999', country: 'GB' } })],
    ['UNSUPPORTED_CURRENCY', ref(), auth({ amount: { value: '10.00', currency: 'XTS' } })],
    ['UNSUPPORTED_CURRENCY', ref({ account: { ...account, currency: 'XXX' } }), auth()],
    ['UNSUPPORTED_CURRENCY', ref(), auth({ amount: { value: '10.001', currency: 'GBP' } })],
  ] as const)('%s', (reason, reference, authorisation) => {
    const outcome = enrich(data(authorisation), reference);
    expect(outcome.kind).toBe('rejected');
    if (outcome.kind === 'rejected') {
      expect(outcome.reason).toBe(reason);
      expect(outcome.detail.length).toBeGreaterThan(10);
    }
  });

  it('names the card token (never anything PAN-like) in an unknown-card detail', () => {
    const outcome = enrich(data(auth()), ref({ card: undefined }));
    expect(outcome).toEqual({ kind: 'rejected', reason: 'UNKNOWN_CARD', detail: `card token tok_Ab3dEf6hIj9kLm2n is not in reference data ${VERSION}` });
  });

  it('checks the closed account before the merchant', () => {
    expect(enrich(data(auth()), ref({ account: { ...account, status: 'CLOSED' }, merchant: undefined }))).toMatchObject({ reason: 'ACCOUNT_CLOSED' });
  });
});

describe('description', () => {
  it('is at most 140 characters and keeps the place and date for long merchant names', () => {
    const text = paymentDescription('The Extremely Long Named Merchant '.repeat(8), 'SAN FRANCISCO', 'US', '2026-12-31T23:59:59.999Z');
    expect(text.length).toBeLessThanOrEqual(140);
    expect(text.startsWith('CARD PAYMENT TO THE EXTREMELY LONG NAMED MERCHANT')).toBe(true);
    expect(text.endsWith(' SAN FRANCISCO US ON 31 DEC 2026')).toBe(true);
  });

  it('never carries a PAN-like run from a merchant name', () => {
    const text = paymentDescription('Shop 4111 1111 1111 1111', undefined, 'GB', '2026-11-01T00:00:00Z');
    expect(containsPan(text)).toBe(false);
    expect(text).toBe('CARD PAYMENT TO SHOP [REDACTED-PAN] GB ON 01 NOV 2026');
  });
});

describe('categoryForMcc', () => {
  it('maps known codes, falls back to ISO 18245 ranges, then UNCLASSIFIED', () => {
    expect(categoryForMcc('5411')).toBe('GROCERY');
    expect(categoryForMcc('7995')).toBe('GAMBLING');
    expect(categoryForMcc('6051')).toBe('QUASI_CASH');
    expect(categoryForMcc('3005')).toBe('AIRLINE');
    expect(categoryForMcc('5047')).toBe('RETAIL');
    expect(categoryForMcc('0742')).toBe('UNCLASSIFIED');
    expect(categoryForMcc('abc')).toBe('UNCLASSIFIED');
  });
});

describe('determinism and events', () => {
  function standardisedEvent(authorisation: Authorisation): LedgerEvent<'payment.standardised'> {
    const cause = { id: deterministicId('payment.deduplicated', authorisation.authorizationId), correlationId: correlationIdFor(authorisation.authorizationId) };
    return nextEvent(cause, EventTypes.standardised, 'ledgerline.standardise', data(authorisation), '2026-11-01T10:15:31.000Z');
  }

  it('gives identical output for the same input and reference version', () => {
    const a = auth({ amount: { value: '100.00', currency: 'EUR' }, conversionRate: '0.85' });
    const reference = ref({ merchant: { ...merchant, currency: 'EUR' } });
    expect(JSON.stringify(enrich(data(a), reference))).toBe(JSON.stringify(enrich(data(structuredClone(a)), structuredClone(reference))));
  });

  it('emits schema-valid payment.enriched and payment.rejected events with deterministic ids', () => {
    const event = standardisedEvent(auth());
    const good = enrichmentEvent(event, ref(), '2026-11-01T10:15:32.000Z');
    expect(good.type).toBe('payment.enriched');
    expect(() => validateEvent(good, 'payment.enriched')).not.toThrow();
    expect(good.id).toBe(deterministicId('payment.enriched', event.id, ''));
    expect(good.correlationId).toBe(event.correlationId);
    expect(good.causationId).toBe(event.id);
    expect(good.source).toBe('ledgerline.enrich');

    const bad = enrichmentEvent(event, ref({ card: undefined }), '2026-11-01T10:15:32.000Z');
    expect(bad.type).toBe('payment.rejected');
    expect(() => validateEvent(bad, 'payment.rejected')).not.toThrow();
    expect(bad.data).toEqual({ authorisation: event.data.authorisation, reason: 'UNKNOWN_CARD', detail: expect.any(String) });
  });
});

describe('resolveReference', () => {
  function fakePort(): ReferenceData & { calls: string[] } {
    const calls: string[] = [];
    return {
      version: 'fake-1',
      calls,
      card: async (token) => (calls.push(`card:${token}`), token === card.panToken ? card : undefined),
      account: async (id) => (calls.push(`account:${id}`), id === account.accountId ? account : undefined),
      merchant: async (id) => (calls.push(`merchant:${id}`), id === merchant.id ? merchant : undefined),
      product: async (type) => (calls.push(`product:${type}`), type === product.productType ? product : undefined),
      fxRate: async (from, to) => (calls.push(`fx:${from}>${to}`), { from, to, rate: '0.85' }),
    };
  }

  it('looks up card → account → product, the merchant, and an FX rate only across currencies', async () => {
    const port = fakePort();
    const same = await resolveReference(auth(), port);
    expect(same).toEqual({ version: 'fake-1', card, account, product, merchant, fxRate: undefined });
    expect(port.calls.some((call) => call.startsWith('fx:'))).toBe(false);

    const cross = await resolveReference(auth({ amount: { value: '1.00', currency: 'EUR' } }), port);
    expect(cross.fxRate).toEqual({ from: 'EUR', to: 'GBP', rate: '0.85' });
  });

  it('stops at an unknown card', async () => {
    const port = fakePort();
    const resolved = await resolveReference(auth({ panToken: 'tok_unknown00000000' }), port);
    expect(resolved.card).toBeUndefined();
    expect(port.calls.filter((call) => call.startsWith('account:'))).toEqual([]);
  });
});
