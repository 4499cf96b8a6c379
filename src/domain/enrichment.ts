/**
 * FR6: enrichment from reference data. Pure: the handler resolves the lookups first
 * (`resolveReference`, through the ReferenceData port), then `enrich` decides.
 *
 * card token → card → account (IBAN, sort code, branch, holder, product, status, currency)
 * merchant id → merchant (category from the MCC, settlement account)
 * transaction currency ≠ account currency → conversion:
 *   1. the network's billingAmount, when it is in the account currency (rateSource NETWORK);
 *   2. else the network's conversionRate, when no billingAmount in another currency was sent (NETWORK);
 *   3. else the reference FX rate (REFERENCE); none → rejected NO_FX_RATE.
 *   fee = product.fxFeeBasisPoints of the converted amount, half-even. accountAmount excludes the fee.
 *
 * Deterministic: the same input and the same reference-data version give the same output.
 */
import type { Authorisation, CurrencyConversion, EnrichedMerchant, Enrichment, LedgerEvent, RejectedData, StandardisedData } from './events';
import { EventTypes, nextEvent } from './events';
import type { Money, Rate } from './money';
import { basisPoints, convertMinorUnits, currencyExponent, divideHalfEven, isKnownCurrency, money, parseRate, toMinorUnits } from './money';
import { redactPans } from './pan';
import type { AccountRecord, CardRecord, FxRateRecord, MerchantRecord, ProductRecord, ReferenceData } from '../ports';

export const ENRICH_SOURCE = 'ledgerline.enrich';
export const DESCRIPTION_MAX_LENGTH = 140;

export type RejectionReason = RejectedData['reason'];

/** The reference records one payment needs, looked up before `enrich` runs. */
export interface ResolvedReference {
  /** The reference-data version the records came from. */
  version: string;
  card?: CardRecord;
  account?: AccountRecord;
  product?: ProductRecord;
  /** May carry an optional `city` (the embedded reference data has one). */
  merchant?: MerchantRecord & { city?: string };
  /** Reference rate from the transaction currency to the account currency, when they differ. */
  fxRate?: FxRateRecord;
}

export type EnrichOutcome = { kind: 'enriched'; enrichment: Enrichment } | { kind: 'rejected'; reason: RejectionReason; detail: string };

// ---------------------------------------------------------------------------
// Merchant categories

const MCC_CATEGORIES: Readonly<Record<string, string>> = Object.freeze({
  '4111': 'TRANSPORT',
  '4121': 'TAXI',
  '4511': 'AIRLINE',
  '4814': 'TELECOMS',
  '4900': 'UTILITIES',
  '5311': 'DEPARTMENT_STORE',
  '5411': 'GROCERY',
  '5541': 'FUEL',
  '5651': 'CLOTHING',
  '5732': 'ELECTRONICS',
  '5812': 'RESTAURANT',
  '5813': 'BAR',
  '5814': 'FAST_FOOD',
  '5912': 'PHARMACY',
  '5942': 'BOOKS',
  '5968': 'SUBSCRIPTION',
  '5999': 'RETAIL_OTHER',
  '6011': 'CASH_WITHDRAWAL',
  '6051': 'QUASI_CASH',
  '7011': 'LODGING',
  '7800': 'GAMBLING',
  '7801': 'GAMBLING',
  '7802': 'GAMBLING',
  '7832': 'ENTERTAINMENT',
  '7995': 'GAMBLING',
  '8099': 'HEALTHCARE',
});

const MCC_RANGES: readonly (readonly [number, number, string])[] = [
  [3000, 3350, 'AIRLINE'],
  [3351, 3500, 'CAR_RENTAL'],
  [3501, 3999, 'LODGING'],
  [4000, 4799, 'TRANSPORT'],
  [4800, 4999, 'UTILITIES'],
  [5000, 5599, 'RETAIL'],
  [5600, 5699, 'CLOTHING'],
  [5700, 5799, 'HOME'],
  [5800, 5899, 'FOOD_AND_DRINK'],
  [5900, 5999, 'RETAIL_OTHER'],
  [6000, 6999, 'FINANCIAL'],
  [7000, 7299, 'SERVICES'],
  [7300, 7999, 'SERVICES'],
  [8000, 8999, 'PROFESSIONAL_SERVICES'],
  [9000, 9999, 'GOVERNMENT'],
];

/** The category of a merchant category code (ISO 18245), e.g. "5411" → "GROCERY". */
export function categoryForMcc(mcc: string): string {
  const exact = MCC_CATEGORIES[mcc];
  if (exact) return exact;
  const code = /^[0-9]{4}$/.test(mcc) ? Number.parseInt(mcc, 10) : -1;
  for (const [low, high, category] of MCC_RANGES) if (code >= low && code <= high) return category;
  return 'UNCLASSIFIED';
}

// ---------------------------------------------------------------------------
// Lookups (through the port) and the pure decision

/** Resolves every record `enrich` needs. Store errors propagate (the event is retried). */
export async function resolveReference(authorisation: Authorisation, referenceData: ReferenceData): Promise<ResolvedReference> {
  const [card, merchant] = await Promise.all([referenceData.card(authorisation.panToken), referenceData.merchant(authorisation.merchant.id)]);
  const account = card ? await referenceData.account(card.accountId) : undefined;
  const needsRate = account !== undefined && account.currency !== authorisation.amount.currency;
  const [product, fxRate] = account
    ? await Promise.all([referenceData.product(account.productType), needsRate ? referenceData.fxRate(authorisation.amount.currency, account.currency) : Promise.resolve(undefined)])
    : [undefined, undefined];
  return { version: referenceData.version, card, account, product, merchant, fxRate };
}

function rejected(reason: RejectionReason, detail: string): EnrichOutcome {
  return { kind: 'rejected', reason, detail };
}

/** Minor units of an amount, or undefined when its precision does not fit the currency. */
function minorOrUndefined(amount: Money): bigint | undefined {
  try {
    return toMinorUnits(amount.value, amount.currency);
  } catch {
    return undefined;
  }
}

function rateOrUndefined(text: string | undefined): Rate | undefined {
  if (text === undefined) return undefined;
  try {
    return parseRate(text);
  } catch {
    return undefined;
  }
}

/** The effective rate target/source as an 8-dp decimal string (from two exact amounts). */
function impliedRate(sourceMinor: bigint, from: string, targetMinor: bigint, to: string): string {
  const scaled = divideHalfEven(targetMinor * 10n ** BigInt(currencyExponent(from)) * 100_000_000n, sourceMinor * 10n ** BigInt(currencyExponent(to)));
  return `${scaled / 100_000_000n}.${(scaled % 100_000_000n).toString().padStart(8, '0')}`;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** "CARD PAYMENT TO <MERCHANT> <CITY> <COUNTRY> ON <DD MON YYYY>", at most 140 characters. */
export function paymentDescription(merchantName: string, city: string | undefined, country: string, transmittedAt: string): string {
  const at = new Date(transmittedAt);
  const date = Number.isNaN(at.getTime()) ? '' : ` ON ${String(at.getUTCDate()).padStart(2, '0')} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()}`;
  const clean = (text: string): string => text.toUpperCase().replace(/\s+/g, ' ').trim();
  const place = [city ? clean(city) : '', clean(country)].filter((part) => part.length > 0).join(' ');
  const prefix = 'CARD PAYMENT TO ';
  const suffix = `${place ? ` ${place}` : ''}${date}`;
  const room = Math.max(0, DESCRIPTION_MAX_LENGTH - prefix.length - suffix.length);
  const name = clean(merchantName).slice(0, room).trimEnd();
  return redactPans(`${prefix}${name}${suffix}`).slice(0, DESCRIPTION_MAX_LENGTH);
}

/** FR6, pure: enriches one standardised payment from its resolved reference records. */
export function enrich(data: Pick<StandardisedData, 'authorisation'>, ref: ResolvedReference): EnrichOutcome {
  const { authorisation } = data;
  const { card, account, product, merchant } = ref;
  if (!card) return rejected('UNKNOWN_CARD', `card token ${authorisation.panToken} is not in reference data ${ref.version}`);
  if (!account || account.accountId !== card.accountId) {
    return rejected('UNKNOWN_ACCOUNT', `account ${card.accountId} of card ${card.panToken} is not in reference data ${ref.version}`);
  }
  if (account.status === 'CLOSED') return rejected('ACCOUNT_CLOSED', `account ${account.accountId} is closed`);
  if (!merchant || merchant.id !== authorisation.merchant.id) {
    return rejected('UNKNOWN_MERCHANT', `merchant ${authorisation.merchant.id} is not in reference data ${ref.version}`);
  }
  if (!product || product.productType !== account.productType) {
    return rejected('UNKNOWN_ACCOUNT', `product ${account.productType} of account ${account.accountId} is not in reference data ${ref.version}`);
  }

  const source = authorisation.amount;
  if (!isKnownCurrency(source.currency)) return rejected('UNSUPPORTED_CURRENCY', `transaction currency ${source.currency} is not supported`);
  if (!isKnownCurrency(account.currency)) {
    return rejected('UNSUPPORTED_CURRENCY', `account ${account.accountId} currency ${account.currency} is not supported`);
  }
  const sourceMinor = minorOrUndefined(source);
  if (sourceMinor === undefined) {
    return rejected('UNSUPPORTED_CURRENCY', `amount ${source.value} has more decimal places than ${source.currency} allows`);
  }

  let accountMinor = sourceMinor;
  let conversion: CurrencyConversion | undefined;
  if (source.currency !== account.currency) {
    const to = account.currency;
    const billing = authorisation.billingAmount;
    const billingMinor = billing && billing.currency === to ? minorOrUndefined(billing) : undefined;
    const networkRate = rateOrUndefined(authorisation.conversionRate);
    let rate: string;
    let rateSource: CurrencyConversion['rateSource'];
    if (billingMinor !== undefined) {
      accountMinor = billingMinor;
      rateSource = 'NETWORK';
      rate =
        networkRate && authorisation.conversionRate !== undefined
          ? authorisation.conversionRate
          : sourceMinor > 0n
            ? impliedRate(sourceMinor, source.currency, billingMinor, to)
            : (ref.fxRate?.rate ?? '0');
    } else if (networkRate && authorisation.conversionRate !== undefined && billing === undefined) {
      accountMinor = convertMinorUnits(sourceMinor, source.currency, to, networkRate);
      rateSource = 'NETWORK';
      rate = authorisation.conversionRate;
    } else {
      const reference = ref.fxRate && ref.fxRate.from === source.currency && ref.fxRate.to === to ? rateOrUndefined(ref.fxRate.rate) : undefined;
      if (!reference || !ref.fxRate) {
        return rejected('NO_FX_RATE', `no FX rate ${source.currency}→${to} in reference data ${ref.version}`);
      }
      accountMinor = convertMinorUnits(sourceMinor, source.currency, to, reference);
      rateSource = 'REFERENCE';
      rate = ref.fxRate.rate;
    }
    conversion = {
      source: money(sourceMinor, source.currency),
      converted: money(accountMinor, to),
      rate,
      rateSource,
      fee: money(basisPoints(accountMinor, product.fxFeeBasisPoints), to),
      feeBasisPoints: product.fxFeeBasisPoints,
    };
  }

  const enrichedMerchant: EnrichedMerchant = {
    id: merchant.id,
    name: merchant.name,
    mcc: authorisation.merchant.mcc,
    country: merchant.country,
    category: authorisation.merchant.mcc === merchant.mcc ? merchant.category : categoryForMcc(authorisation.merchant.mcc),
    settlementAccountId: merchant.settlementAccountId,
  };
  const enrichment: Enrichment = {
    card: { network: card.network, status: card.status },
    product: {
      productType: product.productType,
      name: product.name,
      perTransactionLimit: product.perTransactionLimit,
      fxFeeBasisPoints: product.fxFeeBasisPoints,
      velocityLimit: product.velocityLimit,
      foreignTransactionsAllowed: product.foreignTransactionsAllowed,
    },
    account: {
      accountId: account.accountId,
      iban: account.iban,
      sortCode: account.sortCode,
      branch: account.branch,
      holderName: account.holderName,
      productType: account.productType,
      status: account.status,
      currency: account.currency,
    },
    merchant: enrichedMerchant,
    description: paymentDescription(merchant.name, merchant.city, merchant.country, authorisation.transmittedAt),
    accountAmount: money(accountMinor, account.currency),
    ...(conversion ? { conversion } : {}),
    referenceDataVersion: ref.version,
  };
  return { kind: 'enriched', enrichment };
}

/** The event that follows a standardised payment: `payment.enriched` or `payment.rejected`. */
export function enrichmentEvent(event: LedgerEvent<'payment.standardised'>, ref: ResolvedReference, occurredAt: string): LedgerEvent<'payment.enriched'> | LedgerEvent<'payment.rejected'> {
  const { authorisation, businessKey } = event.data;
  const outcome = enrich(event.data, ref);
  if (outcome.kind === 'rejected') {
    return nextEvent(event, EventTypes.rejected, ENRICH_SOURCE, { authorisation, reason: outcome.reason, detail: outcome.detail }, occurredAt);
  }
  return nextEvent(event, EventTypes.enriched, ENRICH_SOURCE, { authorisation, businessKey, enrichment: outcome.enrichment }, occurredAt);
}
