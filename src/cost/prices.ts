/**
 * The ONE dated list-price file (COST-1), `config/prices/aws-<region>.<yyyy-mm>.json`: each unit
 * price as a decimal string of US dollars with its source, and the default service quotas the
 * design touches (per region where AWS sets them per region), each with its source.
 */
import type { Exact } from './exact';
import { FieldReader } from './read';

export const PRICES_FORMAT = 'ledgerline-prices/1';

/** Every price the model uses; a file lacking one is refused naming it. */
export const PRICE_KEYS = [
  'eventbridge.customEvent',
  'eventbridge.archiveProcessingGb',
  'pipes.request',
  'sqs.standardRequest',
  'dynamodb.onDemandWriteRequestUnit',
  'dynamodb.onDemandReadRequestUnit',
  's3.putClassRequest',
  's3.getClassRequest',
  'lambda.request',
  'lambda.gbSecond.arm64',
  'lambda.gbSecond.x86_64',
  'kms.request',
  'stepFunctions.standardTransition',
  'logs.ingestionGb',
  'logs.storageGbMonth',
] as const;
export type PriceKey = (typeof PRICE_KEYS)[number];

/** Every quota the model checks. */
export const QUOTA_KEYS = [
  'eventbridge.putEventsRequestsPerSecond',
  'eventbridge.invocationsPerSecond',
  'lambda.concurrentExecutions',
  'dynamodb.partitionWriteUnitsPerSecond',
  'dynamodb.tableOnDemandWriteUnitsPerSecond',
  'sqs.standardInFlightMessages',
  's3.putRequestsPerPrefixPerSecond',
] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];

export interface Price {
  /** US dollars per unit. */
  usd: Exact;
  unit: string;
  /** As AWS lists it, e.g. "$1.00 per million events". */
  listed: string;
  source: string;
}

export interface Quota {
  /** The value in regions AWS does not list apart. */
  default?: Exact;
  byRegion: Record<string, Exact>;
  unit: string;
  adjustable: boolean;
  source: string;
}

export interface PriceList {
  format: typeof PRICES_FORMAT;
  asOf: string;
  /** The region whose list prices these are. */
  region: string;
  currency: 'USD';
  notes: string[];
  prices: Record<PriceKey, Price>;
  quotas: Record<QuotaKey, Quota>;
}

export function parsePrices(json: unknown, file: string): PriceList {
  const r = new FieldReader(file);
  const doc = r.object(json, '(document)');
  if (doc.format !== PRICES_FORMAT) r.fail('format', `expected "${PRICES_FORMAT}", got ${JSON.stringify(doc.format)}`);
  if (doc.currency !== 'USD') r.fail('currency', `expected "USD", got ${JSON.stringify(doc.currency)}`);
  const prices = r.object(doc.prices, 'prices');
  const quotas = r.object(doc.quotas, 'quotas');
  const parsedPrices = {} as Record<PriceKey, Price>;
  for (const key of PRICE_KEYS) {
    const field = `prices.${key}`;
    const o = r.object(prices[key], field);
    const source = r.string(o.source, `${field}.source`);
    if (!/^https:\/\//.test(source)) r.fail(`${field}.source`, `expected an https:// URL, got ${JSON.stringify(source)}`);
    parsedPrices[key] = { usd: r.decimal(o.usd, `${field}.usd`), unit: r.string(o.unit, `${field}.unit`), listed: r.string(o.listed, `${field}.listed`), source };
  }
  for (const key of Object.keys(prices)) if (!(PRICE_KEYS as readonly string[]).includes(key)) r.fail(`prices.${key}`, `unknown price (the model uses ${PRICE_KEYS.join(', ')})`);
  const parsedQuotas = {} as Record<QuotaKey, Quota>;
  for (const key of QUOTA_KEYS) {
    const field = `quotas.${key}`;
    const o = r.object(quotas[key], field);
    const source = r.string(o.source, `${field}.source`);
    if (!/^https:\/\//.test(source)) r.fail(`${field}.source`, `expected an https:// URL, got ${JSON.stringify(source)}`);
    const byRegion = o.byRegion === undefined ? {} : r.record(o.byRegion, `${field}.byRegion`, (value, inner) => r.decimal(value, inner));
    const fallback = o.default === undefined ? undefined : r.decimal(o.default, `${field}.default`);
    if (!fallback && Object.keys(byRegion).length === 0) r.fail(field, 'expected a default or byRegion values');
    for (const [region, value] of Object.entries(byRegion)) if (value.isZero()) r.fail(`${field}.byRegion.${region}`, 'a quota of 0');
    if (fallback?.isZero()) r.fail(`${field}.default`, 'a quota of 0');
    parsedQuotas[key] = { default: fallback, byRegion, unit: r.string(o.unit, `${field}.unit`), adjustable: r.boolean(o.adjustable, `${field}.adjustable`), source };
  }
  for (const key of Object.keys(quotas)) if (!(QUOTA_KEYS as readonly string[]).includes(key)) r.fail(`quotas.${key}`, `unknown quota (the model checks ${QUOTA_KEYS.join(', ')})`);
  return {
    format: PRICES_FORMAT,
    asOf: r.date(doc.asOf, 'asOf'),
    region: r.string(doc.region, 'region'),
    currency: 'USD',
    notes: doc.notes === undefined ? [] : r.strings(doc.notes, 'notes'),
    prices: parsedPrices,
    quotas: parsedQuotas,
  };
}

/** A quota's value in `region` (its regional value, else its default), or undefined. */
export function quotaIn(quota: Quota, region: string): { value: Exact; regional: boolean } | undefined {
  const regional = quota.byRegion[region];
  if (regional) return { value: regional, regional: true };
  return quota.default ? { value: quota.default, regional: false } : undefined;
}
