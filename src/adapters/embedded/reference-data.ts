/**
 * Embedded ReferenceData: the committed files in `reference-data/` (written by
 * scripts/generate-reference-data.ts), read once into Maps. Loading takes a few tens of ms.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AccountRecord, AccountStatus, CardRecord, FxRateRecord, MerchantRecord, ProductRecord, ReferenceData } from '../../ports';

export const DEFAULT_REFERENCE_DATA_DIR = path.join(__dirname, '../../../reference-data');

/** A merchant as shipped: the port's record plus the city (used in payment descriptions). */
export type EmbeddedMerchantRecord = MerchantRecord & { city: string };

export interface ReferenceDataManifest {
  version: string;
  effectiveDate?: string;
  seed?: number;
  counts?: Record<string, number>;
  files?: Record<string, string>;
}

export class ReferenceDataError extends Error {
  override name = 'ReferenceDataError';
}

const ACCOUNT_STATUSES: ReadonlySet<string> = new Set<AccountStatus>(['OPEN', 'CLOSED', 'FROZEN', 'DORMANT']);
const CARD_STATUSES: ReadonlySet<string> = new Set<CardRecord['status']>(['ACTIVE', 'BLOCKED', 'EXPIRED']);

/** Splits a header + rows CSV (no quoting: the generator forbids commas in cells). */
function readCsv(file: string, columns: readonly string[], each: (cells: string[], line: number) => void): void {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const header = lines[0]?.replace(/\r$/, '');
  if (header !== columns.join(',')) {
    throw new ReferenceDataError(`${path.basename(file)}: header "${header}" is not "${columns.join(',')}"`);
  }
  for (let i = 1; i < lines.length; i += 1) {
    const line = (lines[i] as string).replace(/\r$/, '');
    if (line.length === 0) continue;
    const cells = line.split(',');
    if (cells.length !== columns.length) {
      throw new ReferenceDataError(`${path.basename(file)} line ${i + 1}: ${cells.length} cells, expected ${columns.length}`);
    }
    each(cells, i + 1);
  }
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new ReferenceDataError(`${path.basename(file)}: ${(error as Error).message}`);
  }
}

const ACCOUNT_COLUMNS = ['accountId', 'iban', 'sortCode', 'branch', 'holderName', 'productType', 'status', 'currency'];
const CARD_COLUMNS = ['panToken', 'accountId', 'network', 'status'];
const MERCHANT_COLUMNS = ['id', 'name', 'mcc', 'category', 'country', 'city', 'currency', 'settlementAccountId'];

function readAccounts(file: string): AccountRecord[] {
  const accounts: AccountRecord[] = [];
  readCsv(file, ACCOUNT_COLUMNS, (c, line) => {
    const status = c[6] as string;
    if (!ACCOUNT_STATUSES.has(status)) throw new ReferenceDataError(`${path.basename(file)} line ${line}: unknown account status "${status}"`);
    accounts.push({
      accountId: c[0] as string,
      iban: c[1] as string,
      sortCode: c[2] as string,
      branch: c[3] as string,
      holderName: c[4] as string,
      productType: c[5] as string,
      status: status as AccountStatus,
      currency: c[7] as string,
    });
  });
  return accounts;
}

/** The loaded reference data: the ReferenceData port plus the raw lists (for the generator). */
export class EmbeddedReferenceData implements ReferenceData {
  readonly version: string;
  readonly manifest: ReferenceDataManifest;
  readonly products: readonly ProductRecord[];
  /** Customer accounts (the ones cards belong to). */
  readonly accounts: readonly AccountRecord[];
  /** The bank's merchant settlement accounts (also answered by `account()`). */
  readonly settlementAccounts: readonly AccountRecord[];
  readonly cards: readonly CardRecord[];
  readonly merchants: readonly EmbeddedMerchantRecord[];
  readonly fxRates: readonly FxRateRecord[];

  private readonly cardsByToken = new Map<string, CardRecord>();
  private readonly accountsById = new Map<string, AccountRecord>();
  private readonly merchantsById = new Map<string, EmbeddedMerchantRecord>();
  private readonly productsByType = new Map<string, ProductRecord>();
  private readonly ratesByPair = new Map<string, FxRateRecord>();

  constructor(readonly dir: string) {
    const file = (name: string): string => path.join(dir, name);
    this.manifest = readJson<ReferenceDataManifest>(file('manifest.json'));
    if (typeof this.manifest.version !== 'string' || this.manifest.version.length === 0) {
      throw new ReferenceDataError('manifest.json: missing "version"');
    }
    this.version = this.manifest.version;

    this.products = readJson<ProductRecord[]>(file('products.json'));
    for (const product of this.products) this.productsByType.set(product.productType, product);

    this.accounts = readAccounts(file('accounts.csv'));
    this.settlementAccounts = readAccounts(file('settlement-accounts.csv'));
    for (const account of this.accounts) this.accountsById.set(account.accountId, account);
    for (const account of this.settlementAccounts) this.accountsById.set(account.accountId, account);

    const cards: CardRecord[] = [];
    readCsv(file('cards.csv'), CARD_COLUMNS, (c, line) => {
      const status = c[3] as string;
      if (!CARD_STATUSES.has(status)) throw new ReferenceDataError(`cards.csv line ${line}: unknown card status "${status}"`);
      const card: CardRecord = { panToken: c[0] as string, accountId: c[1] as string, network: c[2] as string, status: status as CardRecord['status'] };
      cards.push(card);
      this.cardsByToken.set(card.panToken, card);
    });
    this.cards = cards;

    const merchants: EmbeddedMerchantRecord[] = [];
    readCsv(file('merchants.csv'), MERCHANT_COLUMNS, (c) => {
      const merchant: EmbeddedMerchantRecord = {
        id: c[0] as string,
        name: c[1] as string,
        mcc: c[2] as string,
        category: c[3] as string,
        country: c[4] as string,
        city: c[5] as string,
        currency: c[6] as string,
        settlementAccountId: c[7] as string,
      };
      merchants.push(merchant);
      this.merchantsById.set(merchant.id, merchant);
    });
    this.merchants = merchants;

    this.fxRates = readJson<FxRateRecord[]>(file('fx-rates.json'));
    for (const rate of this.fxRates) this.ratesByPair.set(`${rate.from}>${rate.to}`, rate);
  }

  // Synchronous lookups (embedded callers, tests).
  cardSync(panToken: string): CardRecord | undefined {
    return this.cardsByToken.get(panToken);
  }
  accountSync(accountId: string): AccountRecord | undefined {
    return this.accountsById.get(accountId);
  }
  merchantSync(merchantId: string): EmbeddedMerchantRecord | undefined {
    return this.merchantsById.get(merchantId);
  }
  productSync(productType: string): ProductRecord | undefined {
    return this.productsByType.get(productType);
  }
  fxRateSync(from: string, to: string): FxRateRecord | undefined {
    return this.ratesByPair.get(`${from}>${to}`);
  }

  // The ReferenceData port.
  async card(panToken: string): Promise<CardRecord | undefined> {
    return this.cardsByToken.get(panToken);
  }
  async account(accountId: string): Promise<AccountRecord | undefined> {
    return this.accountsById.get(accountId);
  }
  async merchant(merchantId: string): Promise<MerchantRecord | undefined> {
    return this.merchantsById.get(merchantId);
  }
  async product(productType: string): Promise<ProductRecord | undefined> {
    return this.productsByType.get(productType);
  }
  async fxRate(from: string, to: string): Promise<FxRateRecord | undefined> {
    return this.ratesByPair.get(`${from}>${to}`);
  }
}

const loaded = new Map<string, EmbeddedReferenceData>();

/** Loads (once per directory; later calls return the same instance) the reference data. */
export function loadReferenceData(dir: string = DEFAULT_REFERENCE_DATA_DIR): EmbeddedReferenceData {
  const resolved = path.resolve(dir);
  let data = loaded.get(resolved);
  if (!data) {
    data = new EmbeddedReferenceData(resolved);
    loaded.set(resolved, data);
  }
  return data;
}
