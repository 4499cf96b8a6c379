/**
 * LedgerStore on DynamoDB (TABLES.ledger): the hot-account design.
 *
 * - Legs are append-only items `LEG#<legId>`; balances are items `BAL#<accountId>#<shard>`.
 * - A batch's legs are grouped by account, sorted by legId and cut into chunks of at most 99
 *   legs. Each chunk is ONE TransactWriteItems: a Put per leg (`attribute_not_exists(pk)`) plus
 *   ONE Update of the balance shard (`balanceMinor + :delta`, `version + 1`, conditional on the
 *   version read just before, or on absence). So a leg exists ⇔ its amount is in a balance.
 * - Hot accounts (`hotAccountShards[accountId] = n`) spread their balance over n shards: the
 *   group's first chunk goes to shard hash(smallest legId) mod n, chunk i to (that + i) mod n.
 *   Concurrent batches thus land on different shards; balances() sums the shards.
 * - A cancelled transaction is inspected item by item: legs whose condition failed already
 *   exist (applied atomically with their balance before) and are dropped; a balance version
 *   conflict re-reads the balance and retries (bounded, then TransientStoreError). Any
 *   re-delivery, in any batch composition, therefore applies each leg exactly once.
 * - Amounts are stored as N written from bigint decimal strings and read back with BigInt.
 */
import type { AttributeValue, DynamoDBClient, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, ScanCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import type { PostingLeg } from '../../domain/events';
import { fromMinorUnits, toMinorUnits } from '../../domain/money';
import type { BalanceView, LedgerStore, RecordLegsResult } from '../../ports';
import { TransientStoreError } from '../../ports';
import { awsCall, backoffMs, errorName, sleep, stableHash } from './errors';
import { LEDGER_BALANCES_INDEX, LEDGER_KEYS, TABLES } from './tables';

const PK = TABLES.ledger.partitionKey.name;
/** TransactWriteItems takes at most 100 items: 99 legs + 1 balance update. */
export const MAX_LEGS_PER_TRANSACTION = 99;

const RETRYABLE_REASONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

export interface DynamoLedgerStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** accountId → number of balance shards, for hot accounts (others have one shard, 0). */
  hotAccountShards?: Readonly<Record<string, number>>;
  /** Balance conflicts (or throttled cancellations) retried per chunk before TransientStoreError. */
  maxConflictRetries?: number;
  /** Base of the jittered backoff between conflict retries (ms); 0 retries at once. */
  retryBaseDelayMs?: number;
  /** Balance shards written in parallel. */
  concurrency?: number;
}

export interface PreparedLeg {
  leg: PostingLeg;
  /** Minor units, positive for a credit, negative for a debit. */
  signedMinor: bigint;
  amountMinor: bigint;
}

/** One TransactWriteItems worth of legs: same account, same balance shard. */
export interface LedgerChunk {
  accountId: string;
  currency: string;
  shard: number;
  legs: PreparedLeg[];
}

interface Balance {
  version: number;
  currency: string;
}

interface CancellationReason {
  Code?: string;
}

/** Parses a DynamoDB number that must be an integer, exactly (it may come back in exponent form). */
export function integerFromDynamoNumber(text: string): bigint {
  const match = /^([+-])?([0-9]+)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a DynamoDB number`);
  const [, sign, whole = '0', fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText);
  let digits = whole + fraction;
  let scale = fraction.length - exponent;
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  const integerPart = digits.slice(0, digits.length - scale) || '0';
  const remainder = digits.slice(digits.length - scale);
  if (/[1-9]/.test(remainder)) throw new Error(`"${text}" is not an integer`);
  const value = BigInt(integerPart);
  return sign === '-' ? -value : value;
}

function prepare(leg: PostingLeg): PreparedLeg {
  const amountMinor = toMinorUnits(leg.amount.value, leg.amount.currency);
  return { leg, amountMinor, signedMinor: leg.direction === 'CREDIT' ? amountMinor : -amountMinor };
}

async function runPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure) throw failure.error;
}

export class DynamoLedgerStore implements LedgerStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly hotAccountShards: Readonly<Record<string, number>>;
  private readonly maxConflictRetries: number;
  private readonly retryBaseDelayMs: number;
  private readonly concurrency: number;

  constructor(options: DynamoLedgerStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.hotAccountShards = options.hotAccountShards ?? {};
    this.maxConflictRetries = options.maxConflictRetries ?? 10;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 25;
    this.concurrency = options.concurrency ?? 8;
  }

  /** The chunks (one TransactWriteItems each, before retries) that `legs` are written in. */
  plan(legs: readonly PostingLeg[]): LedgerChunk[] {
    const byAccount = new Map<string, PreparedLeg[]>();
    const seen = new Set<string>();
    for (const leg of legs) {
      if (seen.has(leg.legId)) continue;
      seen.add(leg.legId);
      const group = byAccount.get(leg.accountId);
      if (group) group.push(prepare(leg));
      else byAccount.set(leg.accountId, [prepare(leg)]);
    }
    const chunks: LedgerChunk[] = [];
    for (const [accountId, group] of byAccount) {
      const currencies = new Set(group.map((prepared) => prepared.leg.amount.currency));
      if (currencies.size > 1) throw new Error(`legs for account ${accountId} are in several currencies: ${[...currencies].join(', ')}`);
      group.sort((a, b) => (a.leg.legId < b.leg.legId ? -1 : a.leg.legId > b.leg.legId ? 1 : 0));
      const shards = Math.max(1, Math.floor(this.hotAccountShards[accountId] ?? 1));
      const first = shards > 1 ? stableHash((group[0] as PreparedLeg).leg.legId) % shards : 0;
      for (let start = 0, i = 0; start < group.length; start += MAX_LEGS_PER_TRANSACTION, i += 1) {
        chunks.push({
          accountId,
          currency: (group[0] as PreparedLeg).leg.amount.currency,
          shard: (first + i) % shards,
          legs: group.slice(start, start + MAX_LEGS_PER_TRANSACTION),
        });
      }
    }
    return chunks;
  }

  async recordLegs(legs: readonly PostingLeg[]): Promise<RecordLegsResult> {
    const chunks = this.plan(legs);
    // Chunks of the same balance shard run one after the other; different shards in parallel.
    const byBalance = new Map<string, LedgerChunk[]>();
    for (const chunk of chunks) {
      const key = LEDGER_KEYS.balance(chunk.accountId, chunk.shard);
      const list = byBalance.get(key);
      if (list) list.push(chunk);
      else byBalance.set(key, [chunk]);
    }
    const recorded = new Set<string>();
    let balanceUpdates = 0;
    await runPool([...byBalance.values()], this.concurrency, async (sequential) => {
      for (const chunk of sequential) {
        const written = await this.writeChunk(chunk);
        for (const legId of written) recorded.add(legId);
        if (written.length > 0) balanceUpdates += 1;
      }
    });
    const newLegs: PostingLeg[] = [];
    for (const leg of legs) {
      if (recorded.delete(leg.legId)) newLegs.push(leg);
    }
    return { newLegs, balanceUpdates };
  }

  /** Writes one chunk; returns the ids of the legs it appended (the others existed already). */
  private async writeChunk(chunk: LedgerChunk): Promise<string[]> {
    let pending = chunk.legs;
    let conflicts = 0;
    const balanceKey = LEDGER_KEYS.balance(chunk.accountId, chunk.shard);
    while (pending.length > 0) {
      const balance = await this.readBalance(balanceKey);
      if (balance && balance.currency !== chunk.currency) {
        throw new Error(`account ${chunk.accountId} balance is in ${balance.currency}; legs are in ${chunk.currency}`);
      }
      const items = [...pending.map((prepared) => this.legPut(prepared, chunk.shard)), this.balanceUpdate(chunk, balanceKey, pending, balance)];
      try {
        await awsCall('ledger TransactWriteItems', () => this.client.send(new TransactWriteItemsCommand({ TransactItems: items })));
        return pending.map((prepared) => prepared.leg.legId);
      } catch (error) {
        if (errorName(error) !== 'TransactionCanceledException') throw error;
        const reasons = ((error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? []).map((reason) => reason?.Code ?? 'None');
        const existing = new Set(pending.filter((_, i) => reasons[i] === 'ConditionalCheckFailed').map((prepared) => prepared.leg.legId));
        if (existing.size > 0) {
          pending = pending.filter((prepared) => !existing.has(prepared.leg.legId));
          continue;
        }
        const balanceReason = reasons[pending.length];
        const retryable = reasons.length === 0 || balanceReason === 'ConditionalCheckFailed' || reasons.some((code) => RETRYABLE_REASONS.has(code));
        if (!retryable) throw error;
        conflicts += 1;
        if (conflicts > this.maxConflictRetries) {
          throw new TransientStoreError(`ledger ${balanceKey}: still conflicting after ${this.maxConflictRetries} retries (${reasons.join(',')})`, error);
        }
        await sleep(backoffMs(conflicts, this.retryBaseDelayMs));
      }
    }
    return [];
  }

  private async readBalance(balanceKey: string): Promise<Balance | undefined> {
    const result = await awsCall('ledger GetItem', () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { [PK]: { S: balanceKey } },
          ConsistentRead: true,
          ProjectionExpression: '#version, currency',
          ExpressionAttributeNames: { '#version': 'version' },
        }),
      ),
    );
    if (!result.Item?.version?.N) return undefined;
    return { version: Number(result.Item.version.N), currency: result.Item.currency?.S ?? '' };
  }

  private legPut(prepared: PreparedLeg, shard: number): TransactWriteItem {
    const { leg } = prepared;
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          [PK]: { S: LEDGER_KEYS.leg(leg.legId) },
          legId: { S: leg.legId },
          sequenceId: { S: leg.sequenceId },
          legIndex: { N: String(leg.legIndex) },
          legCount: { N: String(leg.legCount) },
          legType: { S: leg.legType },
          accountId: { S: leg.accountId },
          direction: { S: leg.direction },
          amount: { S: leg.amount.value },
          currency: { S: leg.amount.currency },
          amountMinor: { N: prepared.amountMinor.toString() },
          valueDate: { S: leg.valueDate },
          narrative: { S: leg.narrative },
          authorizationId: { S: leg.authorizationId },
          shard: { N: String(shard) },
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK },
      },
    };
  }

  private balanceUpdate(chunk: LedgerChunk, balanceKey: string, pending: readonly PreparedLeg[], balance: Balance | undefined): TransactWriteItem {
    const delta = pending.reduce((sum, prepared) => sum + prepared.signedMinor, 0n);
    const values: Record<string, AttributeValue> = {
      ':zero': { N: '0' },
      ':one': { N: '1' },
      ':delta': { N: delta.toString() },
      ':account': { S: chunk.accountId },
      ':shard': { N: String(chunk.shard) },
      ':currency': { S: chunk.currency },
    };
    if (balance) values[':expected'] = { N: String(balance.version) };
    return {
      Update: {
        TableName: this.tableName,
        Key: { [PK]: { S: balanceKey } },
        UpdateExpression:
          'SET #balance = if_not_exists(#balance, :zero) + :delta, #version = if_not_exists(#version, :zero) + :one, ' +
          '#accountId = :account, #balanceAccountId = :account, #shard = :shard, #currency = :currency',
        ConditionExpression: balance ? '#version = :expected' : 'attribute_not_exists(#pk)',
        // Every attribute name through a placeholder: `shard` is a DynamoDB reserved word (found by the rehearsal, REH-1).
        ExpressionAttributeNames: {
          '#balance': 'balanceMinor',
          '#version': 'version',
          '#accountId': 'accountId',
          '#balanceAccountId': 'balanceAccountId',
          '#shard': 'shard',
          '#currency': 'currency',
          ...(balance ? {} : { '#pk': PK }),
        },
        ExpressionAttributeValues: values,
      },
    };
  }

  async balances(): Promise<BalanceView[]> {
    const totals = new Map<string, { currency: string; minor: bigint; version: number }>();
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await awsCall('ledger Scan', () => this.client.send(new ScanCommand({ TableName: this.tableName, IndexName: LEDGER_BALANCES_INDEX, ExclusiveStartKey: startKey })));
      for (const item of page.Items ?? []) {
        const accountId = item.balanceAccountId?.S;
        if (!accountId) continue;
        const currency = item.currency?.S ?? '';
        const minor = integerFromDynamoNumber(item.balanceMinor?.N ?? '0');
        const version = Number(item.version?.N ?? '0');
        const total = totals.get(accountId);
        if (!total) totals.set(accountId, { currency, minor, version });
        else {
          if (total.currency !== currency) throw new Error(`account ${accountId} has balance shards in ${total.currency} and ${currency}`);
          total.minor += minor;
          total.version += version;
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return [...totals.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([accountId, total]) => ({ accountId, currency: total.currency, balance: fromMinorUnits(total.minor, total.currency), version: total.version }));
  }
}
