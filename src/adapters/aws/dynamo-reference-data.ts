/**
 * ReferenceData on DynamoDB (TABLES.reference, FR6). Every record item is keyed by its version
 * (REFERENCE_KEYS.item: `<version>#CARD#<token>`, `<version>#ACCOUNT#<id>`, `<version>#MERCHANT#<id>`,
 * `<version>#PRODUCT#<type>`, `<version>#FX#<from>#<to>`). The adapter is bound to ONE version:
 * the `META#VERSION` pointer read once by `open` (once per container: see lazyReferenceData in
 * wiring.ts), or the version it is given (REFERENCE_DATA_VERSION), and reads only that version's
 * keys, so a load writing the next version beside it, or failing halfway, never shows it a mix of
 * two versions. A version's items are never edited once its load made it live, so lookups (hits and
 * misses) are cached in memory for `cacheTtlMs`, bounded to `maxCacheEntries` (least recently
 * used evicted); concurrent lookups of one key share one request.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { AccountRecord, CardRecord, FxRateRecord, MerchantRecord, ProductRecord, ReferenceData } from '../../ports';
import { awsCall } from './errors';
import { REFERENCE_KEYS, TABLES } from './tables';

const PK = TABLES.reference.partitionKey.name;

export type ReferenceKind = 'card' | 'account' | 'merchant' | 'product' | 'fx';

interface ReferenceRecordByKind {
  card: CardRecord;
  account: AccountRecord;
  merchant: MerchantRecord;
  product: ProductRecord;
  fx: FxRateRecord;
}

function keyOf<K extends ReferenceKind>(kind: K, record: ReferenceRecordByKind[K]): string {
  switch (kind) {
    case 'card':
      return REFERENCE_KEYS.card((record as CardRecord).panToken);
    case 'account':
      return REFERENCE_KEYS.account((record as AccountRecord).accountId);
    case 'merchant':
      return REFERENCE_KEYS.merchant((record as MerchantRecord).id);
    case 'product':
      return REFERENCE_KEYS.product((record as ProductRecord).productType);
    default:
      return REFERENCE_KEYS.fxRate((record as FxRateRecord).from, (record as FxRateRecord).to);
  }
}

/** The key of `record` within its version (`CARD#<token>`, ...): REFERENCE_KEYS.item(version, it) is its item's pk. */
export function referenceRecordKey<K extends ReferenceKind>(kind: K, record: ReferenceRecordByKind[K]): string {
  return keyOf(kind, record);
}

/** The item that stores `record` as part of `version` (for the loader and tests): `{ pk: <version>#<record key>, kind, version, ...record }`. */
export function referenceItem<K extends ReferenceKind>(version: string, kind: K, record: ReferenceRecordByKind[K]): Record<string, AttributeValue> {
  return { ...marshall(record, { removeUndefinedValues: true }), [PK]: { S: REFERENCE_KEYS.item(version, keyOf(kind, record)) }, kind: { S: kind }, version: { S: version } };
}

/** The pointer's `keyLayout`: its version's records are keyed `<version>#<record key>` (REFERENCE_KEYS.item). */
export const REFERENCE_KEY_LAYOUT = 'version#record';

/** A pointer naming `version` as the live set (the loader adds its effective date, the version before it and the load time). */
export function referenceVersionItem(version: string): Record<string, AttributeValue> {
  return { [PK]: { S: REFERENCE_KEYS.version }, kind: { S: 'meta' }, version: { S: version }, keyLayout: { S: REFERENCE_KEY_LAYOUT } };
}

export interface DynamoReferenceDataOptions {
  client: DynamoDBClient;
  tableName: string;
  /** The version to read: only its items are looked up (see `DynamoReferenceData.open` to read it from the pointer). */
  version: string;
  cacheTtlMs?: number;
  maxCacheEntries?: number;
  /** Clock for cache expiry (tests). */
  nowMs?: () => number;
}

interface CacheEntry {
  expiresAt: number;
  value: Promise<Record<string, unknown> | undefined>;
}

export class DynamoReferenceData implements ReferenceData {
  readonly version: string;
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly cacheTtlMs: number;
  private readonly maxCacheEntries: number;
  private readonly nowMs: () => number;
  private readonly cache = new Map<string, CacheEntry>();

  constructor(options: DynamoReferenceDataOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.version = options.version;
    this.cacheTtlMs = options.cacheTtlMs ?? 5 * 60_000;
    this.maxCacheEntries = options.maxCacheEntries ?? 10_000;
    this.nowMs = options.nowMs ?? Date.now;
  }

  /**
   * Builds the adapter, reading the live version from the `META#VERSION` pointer (strongly
   * consistent, one GetItem) unless given. The adapter keeps that version for its lifetime: a load
   * keeps the version before the one it makes live (reference-data-loader.ts), so a reader that
   * resolved the pointer just before a flip still reads a complete set.
   */
  static async open(options: Omit<DynamoReferenceDataOptions, 'version'> & { version?: string }): Promise<DynamoReferenceData> {
    let version = options.version;
    if (version === undefined) {
      const result = await awsCall('reference GetItem', () =>
        options.client.send(new GetItemCommand({ TableName: options.tableName, Key: { [PK]: { S: REFERENCE_KEYS.version } }, ConsistentRead: true })),
      );
      version = result.Item?.version?.S;
      if (version === undefined) throw new Error(`reference table ${options.tableName} has no ${REFERENCE_KEYS.version} item: is reference data loaded?`);
    }
    return new DynamoReferenceData({ ...options, version });
  }

  card(panToken: string): Promise<CardRecord | undefined> {
    return this.lookup<CardRecord>(REFERENCE_KEYS.item(this.version, REFERENCE_KEYS.card(panToken)));
  }

  account(accountId: string): Promise<AccountRecord | undefined> {
    return this.lookup<AccountRecord>(REFERENCE_KEYS.item(this.version, REFERENCE_KEYS.account(accountId)));
  }

  merchant(merchantId: string): Promise<MerchantRecord | undefined> {
    return this.lookup<MerchantRecord>(REFERENCE_KEYS.item(this.version, REFERENCE_KEYS.merchant(merchantId)));
  }

  product(productType: string): Promise<ProductRecord | undefined> {
    return this.lookup<ProductRecord>(REFERENCE_KEYS.item(this.version, REFERENCE_KEYS.product(productType)));
  }

  fxRate(from: string, to: string): Promise<FxRateRecord | undefined> {
    return this.lookup<FxRateRecord>(REFERENCE_KEYS.item(this.version, REFERENCE_KEYS.fxRate(from, to)));
  }

  private async lookup<T>(key: string): Promise<T | undefined> {
    const now = this.nowMs();
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > now) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      return (await cached.value) as T | undefined;
    }
    const value = this.fetch(key);
    this.cache.delete(key);
    this.cache.set(key, { expiresAt: now + this.cacheTtlMs, value });
    while (this.cache.size > this.maxCacheEntries) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
    try {
      return (await value) as T | undefined;
    } catch (error) {
      if (this.cache.get(key)?.value === value) this.cache.delete(key);
      throw error;
    }
  }

  private async fetch(key: string): Promise<Record<string, unknown> | undefined> {
    const result = await awsCall('reference GetItem', () => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { [PK]: { S: key } } })));
    if (!result.Item) return undefined;
    const record = unmarshall(result.Item);
    delete record[PK];
    delete record.kind;
    delete record.version;
    return record;
  }
}
