/**
 * Generates the committed reference data in `reference-data/` (FR6 enrichment inputs):
 *
 *   products.json              product types and their limits / FX fee / velocity rules
 *   accounts.csv               customer accounts (GB IBANs with valid mod-97 check digits)
 *   settlement-accounts.csv    the bank's merchant settlement accounts (a few very HOT ones)
 *   cards.csv                  card tokens (tok_ + 16 alphanumerics) → account
 *   merchants.csv              ~200 merchants across countries, currencies and MCCs
 *   fx-rates.json              reference FX rates between every pair of used currencies
 *   manifest.json              version (content hash), seed, counts, per-file SHA-256
 *
 * Deterministic: a seeded PRNG (mulberry32), no Math.random, no clock. Re-running the script
 * rewrites byte-identical files; the reference-data test checks that.
 * Nothing PAN-like: every line is checked with `containsPan` before it is written.
 *
 *   npx tsx scripts/generate-reference-data.ts [--out <dir>] [--seed <n>]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Prng } from '../src/generator/authorisations';
import { categoryForMcc } from '../src/domain/enrichment';
import { containsPan, passesLuhn } from '../src/domain/pan';
import { currencyExponent, divideHalfEven, money } from '../src/domain/money';
import type { AccountRecord, AccountStatus, CardRecord, FxRateRecord, MerchantRecord, ProductRecord } from '../src/ports';
import { csvTable } from '../src/recon/run/csv-writer';

export const DEFAULT_SEED = 20261101;
/** The effective date of this reference-data set (part of the version string). */
export const EFFECTIVE_DATE = '2026-11-01';
export const CUSTOMER_ACCOUNT_COUNT = 10_000;

export const ACCOUNT_COLUMNS = ['accountId', 'iban', 'sortCode', 'branch', 'holderName', 'productType', 'status', 'currency'] as const;
export const CARD_COLUMNS = ['panToken', 'accountId', 'network', 'status'] as const;
export const MERCHANT_COLUMNS = ['id', 'name', 'mcc', 'category', 'country', 'city', 'currency', 'settlementAccountId'] as const;

export const REFERENCE_FILES = ['products.json', 'accounts.csv', 'settlement-accounts.csv', 'cards.csv', 'merchants.csv', 'fx-rates.json'] as const;

export interface ReferenceManifest {
  version: string;
  effectiveDate: string;
  seed: number;
  generatedBy: string;
  counts: Record<string, number>;
  /** File name → SHA-256 (hex) of its content. */
  files: Record<string, string>;
}

// ---------------------------------------------------------------------------
// Static catalogue

/** Product types. Each product's limit is in the currency of the accounts that hold it. */
const PRODUCTS: ProductRecord[] = [
  { productType: 'CURRENT_STANDARD', name: 'Standard Current Account', perTransactionLimit: money(250_000n, 'GBP'), fxFeeBasisPoints: 299, velocityLimit: 20, foreignTransactionsAllowed: true },
  { productType: 'CURRENT_PREMIUM', name: 'Premium Current Account', perTransactionLimit: money(1_000_000n, 'GBP'), fxFeeBasisPoints: 0, velocityLimit: 50, foreignTransactionsAllowed: true },
  { productType: 'STUDENT', name: 'Student Account', perTransactionLimit: money(50_000n, 'GBP'), fxFeeBasisPoints: 275, velocityLimit: 12, foreignTransactionsAllowed: true },
  { productType: 'BASIC', name: 'Basic Bank Account', perTransactionLimit: money(25_000n, 'GBP'), fxFeeBasisPoints: 299, velocityLimit: 8, foreignTransactionsAllowed: false },
  { productType: 'BUSINESS', name: 'Business Current Account', perTransactionLimit: money(2_500_000n, 'GBP'), fxFeeBasisPoints: 150, velocityLimit: 100, foreignTransactionsAllowed: true },
  { productType: 'CREDIT_GOLD', name: 'Gold Credit Card', perTransactionLimit: money(750_000n, 'GBP'), fxFeeBasisPoints: 95, velocityLimit: 30, foreignTransactionsAllowed: true },
  { productType: 'CURRENCY_EUR', name: 'Euro Currency Account', perTransactionLimit: money(500_000n, 'EUR'), fxFeeBasisPoints: 125, velocityLimit: 25, foreignTransactionsAllowed: true },
  { productType: 'CURRENCY_USD', name: 'US Dollar Currency Account', perTransactionLimit: money(500_000n, 'USD'), fxFeeBasisPoints: 125, velocityLimit: 25, foreignTransactionsAllowed: true },
];

/** GBP account products and their share of GBP accounts (percent). */
const GBP_PRODUCT_WEIGHTS: [string, number][] = [
  ['CURRENT_STANDARD', 48],
  ['CURRENT_PREMIUM', 14],
  ['STUDENT', 10],
  ['BASIC', 8],
  ['BUSINESS', 8],
  ['CREDIT_GOLD', 12],
];

/** Units per 1 USD, 8 decimal places (a fixed, plausible snapshot; synthetic). */
const UNITS_PER_USD: Record<string, string> = {
  USD: '1.00000000',
  GBP: '0.78640000',
  EUR: '0.91850000',
  CHF: '0.88210000',
  JPY: '151.37000000',
  SEK: '10.46200000',
  AED: '3.67250000',
  BHD: '0.37600000',
};

const BRANCH_NAMES = [
  'LONDON CITY',
  'LONDON WEST END',
  'CANARY WHARF',
  'MANCHESTER',
  'BIRMINGHAM',
  'LEEDS',
  'GLASGOW',
  'EDINBURGH',
  'BRISTOL',
  'CARDIFF',
  'LIVERPOOL',
  'NEWCASTLE',
  'SHEFFIELD',
  'NOTTINGHAM',
  'SOUTHAMPTON',
  'BELFAST',
  'ABERDEEN',
  'BRIGHTON',
  'CAMBRIDGE',
  'OXFORD',
  'YORK',
  'NORWICH',
  'EXETER',
  'LEICESTER',
];

const FIRST_NAMES = [
  'Alex',
  'Amelia',
  'Arjun',
  'Beatrice',
  'Callum',
  'Chloe',
  'Daniel',
  'Eilidh',
  'Ewan',
  'Fatima',
  'Freya',
  'George',
  'Hannah',
  'Harry',
  'Imran',
  'Isla',
  'Jack',
  'Jasmine',
  'Kieran',
  'Leah',
  'Liam',
  'Maya',
  'Mohammed',
  'Niamh',
  'Noah',
  'Olivia',
  'Oscar',
  'Priya',
  'Rhys',
  'Rosie',
  'Samuel',
  'Sofia',
  'Thomas',
  'Zara',
  'Yusuf',
  'Megan',
  'Owen',
  'Ruby',
  'Ethan',
  'Grace',
];

const SURNAMES = [
  'Ahmed',
  'Bennett',
  'Campbell',
  'Clarke',
  'Davies',
  'Evans',
  'Fletcher',
  'Graham',
  'Hughes',
  'Iqbal',
  'Jenkins',
  'Kaur',
  'Khan',
  'Lewis',
  'MacDonald',
  'Morgan',
  'Murphy',
  'Nolan',
  'OBrien',
  'Patel',
  'Quinn',
  'Reid',
  'Roberts',
  'Shah',
  'Singh',
  'Stewart',
  'Taylor',
  'Thomson',
  'Turner',
  'Walker',
  'Ward',
  'Watson',
  'White',
  'Williams',
  'Wilson',
  'Wright',
  'Young',
  'Fraser',
  'Harper',
  'Lloyd',
  'Mitchell',
  'Palmer',
  'Rahman',
  'Sutton',
  'Wood',
];

const BUSINESS_TRADES = ['Joinery', 'Plumbing', 'Consulting', 'Catering', 'Design', 'Logistics', 'Electrical', 'Bakery', 'Studios', 'Garden Services'];

/** Merchant name stems; combined with an MCC-specific trade word. */
const MERCHANT_STEMS = [
  'Northgate',
  'Riverside',
  'Oak and Ivy',
  'Harbour',
  'Bluebell',
  'Kingsway',
  'Meadow',
  'Copper Kettle',
  'Lantern',
  'Greenwood',
  'Saltmarsh',
  'Highfield',
  'Juniper',
  'Old Mill',
  'Redbrick',
  'Silverline',
  'Thistle',
  'Wren',
  'Foxglove',
  'Granite',
  'Marble Arch',
  'Orchard',
  'Pennant',
  'Quayside',
  'Stonebridge',
  'Tidewater',
  'Union',
  'Velvet',
  'Westfield',
  'Yardley',
  'Ashdown',
  'Beacon',
  'Cedar',
  'Driftwood',
  'Elmstead',
  'Fairway',
];

interface MccSpec {
  mcc: string;
  trades: string[];
  weight: number;
}

/** Everyday MCCs (blocked MCCs are added separately, on purpose and in small number). */
const EVERYDAY_MCCS: MccSpec[] = [
  { mcc: '5411', trades: ['Market', 'Grocers', 'Foods'], weight: 14 },
  { mcc: '5812', trades: ['Kitchen', 'Bistro', 'Trattoria'], weight: 10 },
  { mcc: '5814', trades: ['Burgers', 'Noodle Bar', 'Deli'], weight: 8 },
  { mcc: '5813', trades: ['Tavern', 'Bar'], weight: 5 },
  { mcc: '5541', trades: ['Fuel', 'Service Station'], weight: 6 },
  { mcc: '4111', trades: ['Transit', 'Metro'], weight: 4 },
  { mcc: '4121', trades: ['Cabs', 'Taxis'], weight: 3 },
  { mcc: '4511', trades: ['Air'], weight: 2 },
  { mcc: '7011', trades: ['Hotel', 'Inn'], weight: 3 },
  { mcc: '5311', trades: ['Department Store'], weight: 3 },
  { mcc: '5651', trades: ['Outfitters', 'Clothing'], weight: 5 },
  { mcc: '5732', trades: ['Electronics'], weight: 3 },
  { mcc: '5912', trades: ['Pharmacy', 'Chemist'], weight: 4 },
  { mcc: '5942', trades: ['Books'], weight: 2 },
  { mcc: '4814', trades: ['Mobile'], weight: 2 },
  { mcc: '4900', trades: ['Energy', 'Water'], weight: 2 },
  { mcc: '5968', trades: ['Subscriptions', 'Streaming'], weight: 3 },
  { mcc: '7832', trades: ['Cinema'], weight: 2 },
  { mcc: '5999', trades: ['Goods', 'Supplies'], weight: 3 },
  { mcc: '8099', trades: ['Dental', 'Clinic'], weight: 1 },
];

/** High-risk MCCs (the rule set blocks these); a handful of merchants carry them. */
const BLOCKED_MERCHANTS: { mcc: string; trade: string; country: string }[] = [
  { mcc: '7995', trade: 'Bet', country: 'GB' },
  { mcc: '7995', trade: 'Casino Online', country: 'GB' },
  { mcc: '7995', trade: 'Poker Room', country: 'US' },
  { mcc: '7800', trade: 'Lottery', country: 'GB' },
  { mcc: '7801', trade: 'Gaming', country: 'IE' },
  { mcc: '6051', trade: 'Crypto Exchange', country: 'GB' },
];

interface CountrySpec {
  country: string;
  currency: string;
  cities: string[];
  merchants: number;
}

/** Where the ~200 merchants are, and in which currency they trade. */
const COUNTRIES: CountrySpec[] = [
  { country: 'GB', currency: 'GBP', cities: ['LONDON', 'MANCHESTER', 'BIRMINGHAM', 'LEEDS', 'GLASGOW', 'BRISTOL', 'EDINBURGH', 'CARDIFF', 'LIVERPOOL', 'BELFAST'], merchants: 102 },
  { country: 'IE', currency: 'EUR', cities: ['DUBLIN', 'CORK', 'GALWAY'], merchants: 8 },
  { country: 'FR', currency: 'EUR', cities: ['PARIS', 'LYON', 'NICE'], merchants: 9 },
  { country: 'DE', currency: 'EUR', cities: ['BERLIN', 'MUNICH', 'HAMBURG'], merchants: 8 },
  { country: 'ES', currency: 'EUR', cities: ['MADRID', 'BARCELONA', 'MALAGA'], merchants: 7 },
  { country: 'IT', currency: 'EUR', cities: ['ROME', 'MILAN', 'FLORENCE'], merchants: 5 },
  { country: 'NL', currency: 'EUR', cities: ['AMSTERDAM', 'ROTTERDAM'], merchants: 5 },
  { country: 'US', currency: 'USD', cities: ['NEW YORK', 'SAN FRANCISCO', 'CHICAGO', 'SEATTLE', 'AUSTIN'], merchants: 24 },
  { country: 'CH', currency: 'CHF', cities: ['ZURICH', 'GENEVA'], merchants: 6 },
  { country: 'JP', currency: 'JPY', cities: ['TOKYO', 'OSAKA', 'KYOTO'], merchants: 6 },
  { country: 'SE', currency: 'SEK', cities: ['STOCKHOLM', 'GOTHENBURG'], merchants: 5 },
  { country: 'AE', currency: 'AED', cities: ['DUBAI', 'ABU DHABI'], merchants: 5 },
  { country: 'BH', currency: 'BHD', cities: ['MANAMA'], merchants: 4 },
];

// ---------------------------------------------------------------------------
// Helpers

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function digits(prng: Prng, length: number): string {
  let text = '';
  for (let i = 0; i < length; i += 1) text += String(prng.int(10));
  return text;
}

function weighted<T>(prng: Prng, choices: readonly (readonly [T, number])[]): T {
  let total = 0;
  for (const [, weight] of choices) total += weight;
  let roll = prng.next() * total;
  for (const [value, weight] of choices) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return (choices[choices.length - 1] as readonly [T, number])[0];
}

/** ISO 7064 mod 97-10 over the IBAN's rearranged form. */
export function ibanMod97(iban: string): number {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const code = char.charCodeAt(0);
    const value = code >= 65 && code <= 90 ? String(code - 55) : char;
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder;
}

/** A GB IBAN: GB + 2 check digits + 4-letter bank code + 6-digit sort code + 8-digit account number. */
export function gbIban(bankCode: string, sortCodeDigits: string, accountNumber: string): string {
  const bban = `${bankCode}${sortCodeDigits}${accountNumber}`;
  const check = 98 - ibanMod97(`GB00${bban}`);
  return `GB${String(check).padStart(2, '0')}${bban}`;
}

export const BANK_CODE = 'LDGL';

/** Reference CSV through the project's one CSV writer (REC-OUT-1); cells stay plain (no quoting needed). */
function csv(columns: readonly string[], rows: readonly Record<string, string>[]): string {
  for (const row of rows) {
    for (const column of columns) {
      const cell = row[column] ?? '';
      if (/[,"\n\r]/.test(cell)) throw new Error(`reference cell ${column}="${cell}" may not contain a comma, quote or newline`);
    }
  }
  return csvTable(columns).render(rows.map((row) => columns.map((column) => row[column] ?? '')));
}

/** Units of `to` per 1 `from`, 8 dp, exact from the USD snapshot (half-even). */
function crossRate(from: string, to: string): string {
  const scale = 100_000_000n;
  const fromPerUsd = BigInt((UNITS_PER_USD[from] as string).replace('.', ''));
  const toPerUsd = BigInt((UNITS_PER_USD[to] as string).replace('.', ''));
  const scaled = divideHalfEven(toPerUsd * scale, fromPerUsd);
  const whole = scaled / scale;
  const fraction = (scaled % scale).toString().padStart(8, '0');
  return `${whole}.${fraction}`;
}

// ---------------------------------------------------------------------------
// The build

export interface BuiltReferenceData {
  /** File name → exact content. */
  files: Record<string, string>;
  manifest: ReferenceManifest;
}

export function buildReferenceData(seed = DEFAULT_SEED): BuiltReferenceData {
  const prng = new Prng(seed);

  // Branches: unique sort codes NN-NN-NN.
  const usedSortCodes = new Set<string>();
  const branches = BRANCH_NAMES.map((name) => {
    let sortCode: string;
    do sortCode = `${String(20 + prng.int(70))}${digits(prng, 4)}`;
    while (usedSortCodes.has(sortCode));
    usedSortCodes.add(sortCode);
    return { name, sortCodeDigits: sortCode, sortCode: `${sortCode.slice(0, 2)}-${sortCode.slice(2, 4)}-${sortCode.slice(4, 6)}` };
  });
  const headOffice = branches[0] as (typeof branches)[number];

  const usedAccountNumbers = new Set<string>();
  /**
   * An 8-digit account number, unique, whose 14-digit run with the sort code inside the IBAN
   * does NOT pass Luhn (so no IBAN can be mistaken for a PAN).
   */
  const accountNumber = (sortCodeDigits: string): string => {
    for (;;) {
      const candidate = digits(prng, 8);
      if (candidate.startsWith('0') || usedAccountNumbers.has(candidate)) continue;
      if (passesLuhn(sortCodeDigits + candidate)) continue;
      usedAccountNumbers.add(candidate);
      return candidate;
    }
  };

  // Customer accounts.
  const accounts: AccountRecord[] = [];
  for (let i = 1; i <= CUSTOMER_ACCOUNT_COUNT; i += 1) {
    const branch = prng.pick(branches);
    const currency = weighted(prng, [
      ['GBP', 88],
      ['EUR', 7],
      ['USD', 5],
    ] as const);
    const productType = currency === 'EUR' ? 'CURRENCY_EUR' : currency === 'USD' ? 'CURRENCY_USD' : weighted(prng, GBP_PRODUCT_WEIGHTS);
    const status = weighted<AccountStatus>(prng, [
      ['OPEN', 94],
      ['DORMANT', 3],
      ['FROZEN', 1.5],
      ['CLOSED', 1.5],
    ]);
    const holderName = productType === 'BUSINESS' ? `${prng.pick(SURNAMES)} ${prng.pick(BUSINESS_TRADES)} Ltd` : `${prng.pick(FIRST_NAMES)} ${prng.pick(SURNAMES)}`;
    accounts.push({
      accountId: `ACC-${String(i).padStart(7, '0')}`,
      iban: gbIban(BANK_CODE, branch.sortCodeDigits, accountNumber(branch.sortCodeDigits)),
      sortCode: branch.sortCode,
      branch: branch.name,
      holderName,
      productType,
      status,
      currency,
    });
  }

  // Cards: one per account, a second card on ~15% of accounts (joint holder / replacement).
  const usedTokens = new Set<string>();
  const token = (): string => {
    for (;;) {
      let candidate = 'tok_';
      for (let i = 0; i < 16; i += 1) candidate += ALPHANUMERIC[prng.int(ALPHANUMERIC.length)];
      if (!usedTokens.has(candidate) && !containsPan(candidate)) {
        usedTokens.add(candidate);
        return candidate;
      }
    }
  };
  const cards: CardRecord[] = [];
  for (const account of accounts) {
    const network = weighted(prng, [
      ['VISA', 62],
      ['MASTERCARD', 35],
      ['AMEX', 3],
    ] as const);
    const cardCount = prng.next() < 0.15 ? 2 : 1;
    for (let c = 0; c < cardCount; c += 1) {
      const status = weighted<CardRecord['status']>(prng, [
        ['ACTIVE', 96],
        ['BLOCKED', 2],
        ['EXPIRED', 2],
      ]);
      cards.push({ panToken: token(), accountId: account.accountId, network, status });
    }
  }

  // Merchants, each with a settlement account in its own currency. Most merchants of a currency
  // share one account (very HOT), some share a second / third, the rest have their own.
  // Accounts are numbered by how many merchants use them: SETTLE-<CCY>-001 is the hottest.
  const merchants: (MerchantRecord & { city: string })[] = [];
  const settlementPool = (currency: string, merchantId: string): string => {
    const roll = prng.next();
    return `${currency}:${roll < 0.55 ? 'shared-1' : roll < 0.72 ? 'shared-2' : roll < 0.82 ? 'shared-3' : `own-${merchantId}`}`;
  };
  const usedNames = new Set<string>();
  const merchantName = (trade: string): string => {
    for (;;) {
      const name = `${prng.pick(MERCHANT_STEMS)} ${trade}`;
      if (!usedNames.has(name)) {
        usedNames.add(name);
        return name;
      }
    }
  };
  const mccChoices = EVERYDAY_MCCS.map((spec) => [spec, spec.weight] as const);
  let merchantNumber = 0;
  const addMerchant = (country: CountrySpec, mcc: string, trade: string): void => {
    merchantNumber += 1;
    merchants.push({
      id: `MER-${String(merchantNumber).padStart(5, '0')}`,
      name: merchantName(trade),
      mcc,
      category: categoryForMcc(mcc),
      country: country.country,
      city: prng.pick(country.cities),
      currency: country.currency,
      settlementAccountId: settlementPool(country.currency, `MER-${String(merchantNumber).padStart(5, '0')}`),
    });
  };
  for (const country of COUNTRIES) {
    for (let i = 0; i < country.merchants; i += 1) {
      const spec = weighted(prng, mccChoices);
      addMerchant(country, spec.mcc, prng.pick(spec.trades));
    }
  }
  for (const blocked of BLOCKED_MERCHANTS) {
    addMerchant(COUNTRIES.find((c) => c.country === blocked.country) as CountrySpec, blocked.mcc, blocked.trade);
  }

  const pools = new Map<string, { currency: string; merchants: number; first: number }>();
  merchants.forEach((merchant, index) => {
    const pool = pools.get(merchant.settlementAccountId);
    if (pool) pool.merchants += 1;
    else pools.set(merchant.settlementAccountId, { currency: merchant.currency, merchants: 1, first: index });
  });
  const ordered = [...pools.entries()].sort(([, a], [, b]) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : b.merchants - a.merchants || a.first - b.first));
  const settlementIdOf = new Map<string, string>();
  const perCurrency = new Map<string, number>();
  const settlementIds: { id: string; currency: string }[] = [];
  for (const [pool, { currency }] of ordered) {
    const number = (perCurrency.get(currency) ?? 0) + 1;
    perCurrency.set(currency, number);
    const id = `SETTLE-${currency}-${String(number).padStart(3, '0')}`;
    settlementIdOf.set(pool, id);
    settlementIds.push({ id, currency });
  }
  for (const merchant of merchants) merchant.settlementAccountId = settlementIdOf.get(merchant.settlementAccountId) as string;
  const settlementAccounts: AccountRecord[] = settlementIds.map(({ id, currency }) => ({
    accountId: id,
    iban: gbIban(BANK_CODE, headOffice.sortCodeDigits, accountNumber(headOffice.sortCodeDigits)),
    sortCode: headOffice.sortCode,
    branch: 'HEAD OFFICE',
    holderName: `Ledgerline Merchant Settlement ${currency} ${id.slice(-3)}`,
    productType: 'MERCHANT_SETTLEMENT',
    status: 'OPEN',
    currency,
  }));

  // FX: every ordered pair of used currencies.
  const currencies = Object.keys(UNITS_PER_USD).sort();
  for (const currency of currencies) currencyExponent(currency); // all must be known ISO 4217 codes
  const fxRates: FxRateRecord[] = [];
  for (const from of currencies) {
    for (const to of currencies) if (from !== to) fxRates.push({ from, to, rate: crossRate(from, to) });
  }

  const files: Record<string, string> = {
    'products.json': `${JSON.stringify(PRODUCTS, null, 2)}\n`,
    'accounts.csv': csv(ACCOUNT_COLUMNS, accounts as unknown as Record<string, string>[]),
    'settlement-accounts.csv': csv(ACCOUNT_COLUMNS, settlementAccounts as unknown as Record<string, string>[]),
    'cards.csv': csv(CARD_COLUMNS, cards as unknown as Record<string, string>[]),
    'merchants.csv': csv(MERCHANT_COLUMNS, merchants as unknown as Record<string, string>[]),
    'fx-rates.json': `[\n${fxRates.map((fx) => `  ${JSON.stringify(fx)}`).join(',\n')}\n]\n`,
  };
  for (const [name, content] of Object.entries(files)) {
    for (const line of content.split('\n')) {
      // Cell by cell for CSV: PCI-1 joins digit groups across a comma (neighbouring cells).
      if ((name.endsWith('.csv') ? line.split(',') : [line]).some((cell) => containsPan(cell))) throw new Error(`generated ${name} contains a PAN-like value; refusing to write it`);
    }
  }

  const hashes: Record<string, string> = {};
  const combined = createHash('sha256');
  for (const name of REFERENCE_FILES) {
    const content = files[name] as string;
    hashes[name] = createHash('sha256').update(content).digest('hex');
    combined.update(name).update('\0').update(content).update('\0');
  }
  const manifest: ReferenceManifest = {
    version: `${EFFECTIVE_DATE}.${combined.digest('hex').slice(0, 12)}`,
    effectiveDate: EFFECTIVE_DATE,
    seed,
    generatedBy: 'scripts/generate-reference-data.ts',
    counts: {
      products: PRODUCTS.length,
      accounts: accounts.length,
      settlementAccounts: settlementAccounts.length,
      cards: cards.length,
      merchants: merchants.length,
      fxRates: fxRates.length,
    },
    files: hashes,
  };
  files['manifest.json'] = `${JSON.stringify(manifest, null, 2)}\n`;
  return { files, manifest };
}

function main(argv: readonly string[]): void {
  const outIndex = argv.indexOf('--out');
  const seedIndex = argv.indexOf('--seed');
  const out = outIndex >= 0 ? (argv[outIndex + 1] as string) : path.join(__dirname, '..', 'reference-data');
  const seed = seedIndex >= 0 ? Number.parseInt(argv[seedIndex + 1] as string, 10) : DEFAULT_SEED;
  const { files, manifest } = buildReferenceData(seed);
  mkdirSync(out, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(out, name), content);
  process.stdout.write(`reference data ${manifest.version} written to ${out}: ${JSON.stringify(manifest.counts)}\n`);
}

if (require.main === module) main(process.argv.slice(2));
