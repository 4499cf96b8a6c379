/**
 * Deterministic synthetic authorisation records (the platform's input), built on the shipped
 * reference data. Same options + same seed → byte-identical records; no Math.random, no clock.
 *
 * Mix (approximate shares of original records):
 *   - pace: one authorisation every GENERATOR_PACE.meanGapMs on average (about 14,400 an hour,
 *     so a card pays about once an hour and 1,000,000 records span about three days)
 *   - cards: ACTIVE cards on OPEN accounts; 0.5% "burst" traffic, all on one card per hour (so
 *     that card trips the velocity rule); 0.5% cards on
 *     CLOSED / FROZEN / DORMANT accounts or BLOCKED / EXPIRED cards; 0.2% unknown tokens
 *   - merchants: 10% cross-currency (merchant currency ≠ account currency), most with the
 *     network's billingAmount + conversionRate; 0.3% blocked-MCC merchants
 *   - amounts: per-MCC typical size, exact precision of the merchant's currency; 0.4% over the
 *     card product's per-transaction limit
 *   - response codes: ~2% declines ("05", "51", ...), the rest "00" with an authCode
 *   - `duplicateRate` of records re-send an earlier record: new authorizationId, same network,
 *     stan, rrn, transmittedAt and amount (the dedup business key) and same everything else.
 *
 * Built for volume: lookups are precomputed, a record is a few small objects, and 1,000,000
 * records take a couple of seconds.
 */
import type { Authorisation } from '../domain/events';
import type { Rate } from '../domain/money';
import { convertMinorUnits, currencyExponent, divideHalfEven, fromMinorUnits, isKnownCurrency, parseRate, toMinorUnits } from '../domain/money';
import type { AccountRecord, CardRecord, FxRateRecord, MerchantRecord, ProductRecord } from '../ports';

// Hot globals bound once: inside a vm context (Jest) every global lookup is an interceptor call.
const { imul, floor, exp, round, max, min, sqrt, trunc } = Math;
const toText = String;
const DateCtor = Date;

// ---------------------------------------------------------------------------
// PRNG

/** mulberry32: a small, fast, seedable 32-bit PRNG. Deterministic across platforms. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

// ---------------------------------------------------------------------------
// Options

/** The reference lists the generator draws from (the embedded reference data has them all). */
export interface GeneratorReference {
  readonly cards: readonly CardRecord[];
  readonly accounts: readonly AccountRecord[];
  readonly merchants: readonly MerchantRecord[];
  readonly products: readonly ProductRecord[];
  readonly fxRates: readonly FxRateRecord[];
}

export interface GenerateAuthorisationsOptions {
  count: number;
  seed: number;
  /** Share (0..1) of records that re-send an earlier record under a new authorizationId. */
  duplicateRate?: number;
  referenceData: GeneratorReference;
  /** The first transmission time; default 2026-11-01T00:00:00.000Z. Later records are later. */
  start?: string;
}

export const DEFAULT_START = '2026-11-01T00:00:00.000Z';

/** Shares of original records (see the module comment). */
export const GENERATOR_MIX = Object.freeze({
  unknownCard: 0.002,
  problemCard: 0.005,
  burstCard: 0.005,
  blockedMcc: 0.003,
  crossCurrency: 0.1,
  overLimit: 0.004,
  declined: 0.02,
});

/** How fast the synthetic network sends: the mean gap between original records, in ms. */
export const GENERATOR_PACE = Object.freeze({ meanGapMs: 250, burstCardHours: 1 });

/** The MCCs the rule set blocks; merchants carrying them are only drawn at GENERATOR_MIX.blockedMcc. */
export const HIGH_RISK_MCCS: ReadonlySet<string> = new Set(['7995', '7800', '7801', '7802', '6051']);

const DECLINE_CODES = ['05', '05', '51', '51', '51', '54', '61', '65', '91'];
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALPHANUMERIC = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';

/** Typical ticket size per MCC, in GBP major units. */
const TYPICAL_GBP: Readonly<Record<string, number>> = {
  '4111': 4,
  '4121': 18,
  '4511': 240,
  '4814': 30,
  '4900': 85,
  '5311': 70,
  '5411': 36,
  '5541': 58,
  '5651': 55,
  '5732': 210,
  '5812': 46,
  '5813': 24,
  '5814': 9,
  '5912': 13,
  '5942': 16,
  '5968': 11,
  '5999': 28,
  '6051': 150,
  '7011': 180,
  '7800': 10,
  '7801': 25,
  '7802': 20,
  '7832': 19,
  '7995': 30,
  '8099': 95,
};

/** Rough size of one GBP in each currency: only to make synthetic ticket sizes plausible. */
const GBP_SCALE: Readonly<Record<string, number>> = { GBP: 1, EUR: 1.17, USD: 1.27, CHF: 1.12, JPY: 192, SEK: 13.3, AED: 4.67, BHD: 0.48 };

// ---------------------------------------------------------------------------
// Precomputed lookups

interface CardInfo {
  token: string;
  network: string;
  currency: string;
  /** Per-transaction limit in account-currency minor units (0 = unknown). */
  limitMinor: number;
}

interface MerchantInfo {
  id: string;
  name: string;
  mcc: string;
  country: string;
  currency: string;
  exponent: number;
  /** Typical ticket in minor units of the merchant currency. */
  typicalMinor: number;
  minimumMinor: number;
  terminals: string[];
}

interface NetworkRate {
  rate: Rate;
  text: string;
}

interface Prepared {
  normalCards: CardInfo[];
  problemCards: CardInfo[];
  burstCards: CardInfo[];
  knownTokens: Set<string>;
  merchants: MerchantInfo[];
  /** Account currency → weighted merchant-index table of merchants in that currency (everyday MCCs). */
  home: Map<string, Int32Array>;
  /** Account currency → weighted table of everyday merchants in other currencies that have a rate. */
  foreign: Map<string, Int32Array>;
  blocked: Int32Array;
  everyday: Int32Array;
  rates: Map<string, NetworkRate>;
}

function weightedTable(indices: readonly number[], weights: readonly number[], size = 2048): Int32Array {
  const table = new Int32Array(indices.length === 0 ? 0 : size);
  if (indices.length === 0) return table;
  let total = 0;
  for (const weight of weights) total += weight;
  let position = 0;
  let cumulative = 0;
  for (let i = 0; i < indices.length; i += 1) {
    cumulative += weights[i] as number;
    const end = i === indices.length - 1 ? size : round((cumulative / total) * size);
    for (; position < end; position += 1) table[position] = indices[i] as number;
  }
  return table;
}

/** Integer minor units as a JS number, for sampling only (exact: limits are far below 2^53). */
function sampleMinorUnits(decimal: string, currency: string): number {
  const minor = toMinorUnits(decimal, currency);
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${decimal} ${currency} is too large to sample`);
  return Number(minor);
}

/** Network rate = reference rate + 0.25% (a plausible scheme margin), 8 dp, half-even. */
function networkRate(reference: Rate): NetworkRate {
  const scaled = divideHalfEven(reference.numerator * 100_000_000n * 10_025n, reference.denominator * 10_000n);
  const text = `${scaled / 100_000_000n}.${(scaled % 100_000_000n).toString().padStart(8, '0')}`;
  return { rate: parseRate(text), text };
}

function prepare(reference: GeneratorReference, prng: Prng): Prepared {
  const accounts = new Map<string, AccountRecord>();
  for (const account of reference.accounts) accounts.set(account.accountId, account);
  const products = new Map<string, ProductRecord>();
  for (const product of reference.products) products.set(product.productType, product);

  const normalCards: CardInfo[] = [];
  const problemCards: CardInfo[] = [];
  const knownTokens = new Set<string>();
  for (const card of reference.cards) {
    knownTokens.add(card.panToken);
    const account = accounts.get(card.accountId);
    if (!account || !isKnownCurrency(account.currency)) continue;
    const product = products.get(account.productType);
    const limitMinor = product && product.perTransactionLimit.currency === account.currency ? sampleMinorUnits(product.perTransactionLimit.value, account.currency) : 0;
    const info: CardInfo = { token: card.panToken, network: card.network, currency: account.currency, limitMinor };
    if (card.status === 'ACTIVE' && account.status === 'OPEN') normalCards.push(info);
    else problemCards.push(info);
  }
  if (normalCards.length === 0) throw new Error('reference data has no ACTIVE card on an OPEN account');
  const burstCards: CardInfo[] = [];
  for (let i = 0; i < min(25, normalCards.length); i += 1) burstCards.push(prng.pick(normalCards));

  const rates = new Map<string, NetworkRate>();
  for (const fx of reference.fxRates) rates.set(`${fx.from}>${fx.to}`, networkRate(parseRate(fx.rate)));

  const merchants: MerchantInfo[] = [];
  for (const merchant of reference.merchants) {
    if (!isKnownCurrency(merchant.currency)) continue;
    const exponent = currencyExponent(merchant.currency);
    const scale = (GBP_SCALE[merchant.currency] ?? 1) * 10 ** exponent;
    const terminals: string[] = [];
    const terminalCount = 1 + (merchant.id.charCodeAt(merchant.id.length - 1) % 3);
    const stem = (merchant.id.replace(/[^0-9]/g, '') || '0').slice(-6);
    for (let t = 1; t <= terminalCount; t += 1) terminals.push(`T${stem}${toText(t).padStart(2, '0')}`);
    merchants.push({
      id: merchant.id,
      name: merchant.name,
      mcc: merchant.mcc,
      country: merchant.country,
      currency: merchant.currency,
      exponent,
      typicalMinor: (TYPICAL_GBP[merchant.mcc] ?? 30) * scale,
      minimumMinor: max(1, round(0.5 * scale)),
      terminals,
    });
  }

  // Popularity: within a currency the earlier merchants are busier (1/sqrt(rank)).
  const accountCurrencies = [...new Set(normalCards.concat(problemCards).map((card) => card.currency))].sort();
  const rank = new Map<string, number>();
  const everydayIndices: number[] = [];
  const everydayWeights: number[] = [];
  const blockedIndices: number[] = [];
  merchants.forEach((merchant, index) => {
    if (HIGH_RISK_MCCS.has(merchant.mcc)) {
      blockedIndices.push(index);
      return;
    }
    const position = rank.get(merchant.currency) ?? 0;
    rank.set(merchant.currency, position + 1);
    everydayIndices.push(index);
    everydayWeights.push(1 / sqrt(1 + position));
  });
  const home = new Map<string, Int32Array>();
  const foreign = new Map<string, Int32Array>();
  for (const currency of accountCurrencies) {
    const homeIdx: number[] = [];
    const homeW: number[] = [];
    const foreignIdx: number[] = [];
    const foreignW: number[] = [];
    everydayIndices.forEach((index, i) => {
      const merchant = merchants[index] as MerchantInfo;
      if (merchant.currency === currency) {
        homeIdx.push(index);
        homeW.push(everydayWeights[i] as number);
      } else if (rates.has(`${merchant.currency}>${currency}`)) {
        foreignIdx.push(index);
        foreignW.push(everydayWeights[i] as number);
      }
    });
    home.set(currency, weightedTable(homeIdx, homeW));
    foreign.set(currency, weightedTable(foreignIdx, foreignW));
  }
  return {
    normalCards,
    problemCards,
    burstCards,
    knownTokens,
    merchants,
    home,
    foreign,
    blocked: weightedTable(
      blockedIndices,
      blockedIndices.map(() => 1),
      64,
    ),
    everyday: weightedTable(everydayIndices, everydayWeights),
    rates,
  };
}

function formatMinor(minor: number, exponent: number): string {
  const digits = toText(minor);
  if (exponent === 0) return digits;
  const padded = digits.length > exponent ? digits : digits.padStart(exponent + 1, '0');
  return `${padded.slice(0, padded.length - exponent)}.${padded.slice(padded.length - exponent)}`;
}

/** Day of year (1-366) of a UTC epoch-ms instant. */
function dayOfYear(epochMs: number): { year: number; day: number } {
  const date = new DateCtor(epochMs);
  const year = date.getUTCFullYear();
  return { year, day: floor((epochMs - DateCtor.UTC(year, 0, 1)) / 86_400_000) + 1 };
}

// ---------------------------------------------------------------------------
// The generator

/**
 * Yields `count` authorisation records, deterministic for (seed, options, reference data).
 * Treat yielded records as read-only: a later re-send copies its fields from them.
 */
export function* generateAuthorisations(opts: GenerateAuthorisationsOptions): Generator<Authorisation> {
  const { count } = opts;
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count ${count} must be a non-negative integer`);
  const duplicateRate = opts.duplicateRate ?? 0;
  if (!(duplicateRate >= 0 && duplicateRate <= 1)) throw new RangeError(`duplicateRate ${duplicateRate} must be within 0..1`);
  const seed = trunc(opts.seed) >>> 0;
  const startMs = DateCtor.parse(opts.start ?? DEFAULT_START);
  if (Number.isNaN(startMs)) throw new RangeError(`start ${opts.start} is not a timestamp`);

  const prng = new Prng(seed ^ 0x5eed1ed6);
  const p = prepare(opts.referenceData, prng);
  const mix = GENERATOR_MIX;
  const problemEnd = mix.unknownCard + mix.problemCard;
  const burstEnd = problemEnd + mix.burstCard;
  const crossEnd = mix.blockedMcc + mix.crossCurrency;

  const stanCounters = new Map<string, number>();
  const recent: Authorisation[] = [];
  const RECENT = 4096;
  let recentNext = 0;
  let clockMs = startMs;
  let rrnHour = -1;
  let rrnPrefix = '';
  const idPrefix = `AUTH-${seed}-N`;

  const unknownCard = (): CardInfo => {
    for (;;) {
      let token = 'tok_';
      for (let i = 0; i < 16; i += 1) token += ALPHANUMERIC[prng.int(62)];
      if (!p.knownTokens.has(token) && /[A-Za-z]/.test(token.slice(4))) {
        return { token, network: prng.next() < 0.6 ? 'VISA' : 'MASTERCARD', currency: 'GBP', limitMinor: 0 };
      }
    }
  };

  for (let n = 1; n <= count; n += 1) {
    const authorizationId = `${idPrefix}${toText(n).padStart(8, '0')}`;

    // A re-send of an earlier record: new authorizationId, everything else as first sent.
    if (recent.length > 0 && duplicateRate > 0 && prng.next() < duplicateRate) {
      const original = recent[prng.int(recent.length)] as Authorisation;
      const duplicate: Authorisation = {
        authorizationId,
        network: original.network,
        stan: original.stan,
        rrn: original.rrn,
        transmittedAt: original.transmittedAt,
        panToken: original.panToken,
        responseCode: original.responseCode,
        amount: { value: original.amount.value, currency: original.amount.currency },
        merchant: { id: original.merchant.id, name: original.merchant.name, mcc: original.merchant.mcc, country: original.merchant.country },
      };
      if (original.billingAmount) duplicate.billingAmount = { value: original.billingAmount.value, currency: original.billingAmount.currency };
      if (original.conversionRate !== undefined) duplicate.conversionRate = original.conversionRate;
      if (original.authCode !== undefined) duplicate.authCode = original.authCode;
      if (original.terminalId !== undefined) duplicate.terminalId = original.terminalId;
      yield duplicate;
      continue;
    }

    clockMs += 1 + prng.int(2 * GENERATOR_PACE.meanGapMs - 1);

    // Card.
    const cardRoll = prng.next();
    const card =
      cardRoll < mix.unknownCard
        ? unknownCard()
        : cardRoll < problemEnd && p.problemCards.length > 0
          ? prng.pick(p.problemCards)
          : cardRoll < burstEnd && p.burstCards.length > 0
            ? p.burstCards[floor(clockMs / (GENERATOR_PACE.burstCardHours * 3_600_000)) % p.burstCards.length]!
            : prng.pick(p.normalCards);

    // Merchant.
    const merchantRoll = prng.next();
    let table: Int32Array | undefined;
    if (merchantRoll < mix.blockedMcc && p.blocked.length > 0) table = p.blocked;
    else if (merchantRoll < crossEnd) table = p.foreign.get(card.currency);
    if (!table || table.length === 0) table = p.home.get(card.currency);
    if (!table || table.length === 0) table = p.everyday;
    const merchant = p.merchants[table[prng.int(table.length)] as number] as MerchantInfo;

    // Amount, in the merchant's currency with its exact precision.
    let minor: number;
    if (card.limitMinor > 0 && merchant.currency === card.currency && prng.next() < mix.overLimit) {
      minor = card.limitMinor + 1 + prng.int(max(1, floor(card.limitMinor / 2)));
    } else {
      const z = (prng.next() + prng.next() + prng.next() + prng.next() - 2) * 1.7320508;
      minor = max(merchant.minimumMinor, round(merchant.typicalMinor * exp(0.7 * z)));
    }
    const value = formatMinor(minor, merchant.exponent);

    // Network identifiers.
    const stanCounter = (stanCounters.get(card.network) ?? (seed + card.network.length * 104_729 + card.network.charCodeAt(0) * 7_919) % 999_983) + 1;
    stanCounters.set(card.network, stanCounter);
    const stan = toText((stanCounter % 999_999) + 1).padStart(6, '0');
    const hour = floor(clockMs / 3_600_000);
    if (hour !== rrnHour) {
      rrnHour = hour;
      const { year, day } = dayOfYear(clockMs);
      rrnPrefix = `${year % 10}${toText(day).padStart(3, '0')}${toText(new DateCtor(clockMs).getUTCHours()).padStart(2, '0')}`;
    }

    const declined = prng.next() < mix.declined;
    const record: Authorisation = {
      authorizationId,
      network: card.network,
      stan,
      rrn: rrnPrefix + stan,
      transmittedAt: new DateCtor(clockMs).toISOString(),
      panToken: card.token,
      responseCode: declined ? (DECLINE_CODES[prng.int(DECLINE_CODES.length)] as string) : '00',
      amount: { value, currency: merchant.currency },
      merchant: { id: merchant.id, name: merchant.name, mcc: merchant.mcc, country: merchant.country },
    };

    // Cross-currency: the network's billing amount in the account currency, and its rate.
    if (merchant.currency !== card.currency) {
      const rate = p.rates.get(`${merchant.currency}>${card.currency}`);
      const shape = prng.next();
      if (rate && shape < 0.9) {
        if (shape < 0.8) {
          const billing = convertMinorUnits(BigInt(minor), merchant.currency, card.currency, rate.rate);
          record.billingAmount = { value: fromMinorUnits(billing, card.currency), currency: card.currency };
        }
        record.conversionRate = rate.text;
      }
    }

    if (!declined) {
      let code = '';
      for (let i = 0; i < 6; i += 1) code += UPPER_ALPHANUMERIC[prng.int(UPPER_ALPHANUMERIC.length)];
      record.authCode = code;
    }
    record.terminalId = merchant.terminals[prng.int(merchant.terminals.length)] as string;

    if (recent.length < RECENT) recent.push(record);
    else recent[recentNext] = record;
    recentNext = (recentNext + 1) % RECENT;
    yield record;
  }
}

/** The same records as NDJSON lines (one JSON object per line, without the trailing newline). */
export function* authorisationLines(opts: GenerateAuthorisationsOptions): Generator<string> {
  for (const record of generateAuthorisations(opts)) yield JSON.stringify(record);
}
