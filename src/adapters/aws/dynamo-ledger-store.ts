/**
 * LedgerStore on DynamoDB (TABLES.ledger), sized for money at scale (LEDGER-1, HOT-1).
 *
 * Items:
 * - `SEQ#<sequenceId>`: the journal item of one sequence: all its legs, compactly (amounts as N
 *   minor units; what the legs share is stored once). It is the append-only record AND the
 *   idempotency marker: Put with `attribute_not_exists(pk)`, never updated. Under 1 KB for any
 *   realistic sequence (2 WRU in a transaction).
 * - `BAL#<accountId>#<shard>`: the balance of one account shard (shard 0 unless hot), updated only
 *   with a condition on its version (or on its absence, when created).
 *
 * A call packs its sequences into TransactWriteItems chunks of at most 100 items (one journal Put
 * per sequence + ONE versioned Update per account shard the chunk touches, 4 MB at most), so a
 * sequence's legs and its balance changes commit together or not at all, and the happy path
 * writes nothing else: no leg items, no sequence table, no bookkeeping row (LEDGER-1).
 * Sequences sharing accounts are packed together (fewer balance updates). A hot account's chunks
 * in one call go to consecutive shards from hash(its smallest sequence id) mod n (`hotShard`), so
 * concurrent calls spread over the shards; chunks sharing a balance item run one after another,
 * the others in parallel.
 *
 * On TransactionCanceled: a journal Put whose condition failed is a sequence recorded before (with
 * its balance changes, atomically): it is dropped, not new. A balance whose condition failed has
 * moved: its current version comes back with the cancellation (ALL_OLD) and the chunk is retried
 * with jittered backoff, bounded, then TransientStoreError. So every re-delivery, in any batch
 * composition, applies each sequence exactly once. balances() sums the shards.
 */
import type { AttributeValue, DynamoDBClient, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { BatchGetItemCommand, GetItemCommand, ScanCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { adjustmentLegCode, adjustmentLegTypeOfCode } from '../../domain/adjustment';
import type { LegDirection, LegType, PostingLeg } from '../../domain/events';
import { hotShard, shardCount } from '../../domain/hot-accounts';
import { fromMinorUnits, minorOf } from '../../domain/money';
import { imbalance } from '../../domain/posting';
import { LEG_TYPE_CODES } from '../../domain/posting-record';
import type { BalanceView, LedgerStore, PostingSequence, RecordedSequences, RecordPostingsResult } from '../../ports';
import { TransientStoreError } from '../../ports';
import { awsCall, backoffMs, errorName, sleep } from './errors';
import { LEDGER_BALANCES_INDEX, LEDGER_BALANCE_ATTRIBUTES as BAL, LEDGER_JOURNAL_ATTRIBUTES as J, LEDGER_KEYS, TABLES } from './tables';

const PK = TABLES.ledger.partitionKey.name;

/** TransactWriteItems limits: 100 items, 4 MB of items. */
export const MAX_TRANSACTION_ITEMS = 100;
export const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;
/** DynamoDB's item size limit. */
export const MAX_ITEM_BYTES = 400 * 1024;
const BATCH_GET_LIMIT = 100;
/** What a balance Update adds to a transaction's size (its key, names, values), counted generously. */
const BALANCE_UPDATE_BYTES = 512;

const RETRYABLE_REASONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

const LEG_TYPE_BY_CODE = new Map<string, LegType>(Object.entries(LEG_TYPE_CODES).map(([type, code]) => [code, type as LegType]));

export interface DynamoLedgerStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** accountId → number of balance shards, for hot accounts (others have one shard, 0). HOT-1. */
  hotAccountShards?: Readonly<Record<string, number>>;
  /** Balance conflicts (or throttled cancellations) retried per chunk before TransientStoreError. */
  maxConflictRetries?: number;
  /** Base of the jittered backoff between conflict retries (ms); 0 retries at once. */
  retryBaseDelayMs?: number;
  /** Chunks written in parallel. */
  concurrency?: number;
}

/** The size DynamoDB bills an item at (names + values, per its documented rules), rounded up where the rules are approximate. */
export function itemSizeBytes(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSizeBytes(value);
  return size;
}

function numberSize(text: string): number {
  const digits = text
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return 2 + Math.ceil(Math.max(1, digits.length) / 2) + (text.startsWith('-') ? 1 : 0);
}

function valueSizeBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, text) => sum + numberSize(text), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, bytes) => sum + bytes.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + valueSizeBytes(element), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + Buffer.byteLength(name) + valueSizeBytes(element), 0);
  return 0;
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

// --- The journal item ---------------------------------------------------------

/**
 * The journal item of a sequence. Sequence-level: authorisation id, value date and narrative
 * (from leg 1). Per leg: type code, account, D/C, minor units (N), currency; a leg's index, count,
 * id, value date, narrative or authorisation id is written only where it differs from what the
 * sequence implies (`<sequenceId>:<index>`, position + 1, the number of legs, the shared values).
 */
export function journalItem(sequence: PostingSequence): Record<string, AttributeValue> {
  const first = sequence.legs[0];
  if (!first) throw new Error(`sequence ${sequence.sequenceId} has no legs`);
  const legs = sequence.legs.map((leg, position): AttributeValue => {
    // ADJ-1: an adjustment leg carries its own role code (src/domain/adjustment.ts).
    const code = LEG_TYPE_CODES[leg.legType] ?? adjustmentLegCode(leg.legType);
    if (code === undefined) throw new Error(`sequence ${sequence.sequenceId} leg ${leg.legId}: unknown leg type ${leg.legType}`);
    const entry: Record<string, AttributeValue> = {
      [J.legType]: { S: code },
      [J.account]: { S: leg.accountId },
      [J.direction]: { S: leg.direction === 'DEBIT' ? 'D' : 'C' },
      [J.minor]: { N: minorOf(leg.amount).toString() },
      [J.currency]: { S: leg.amount.currency },
    };
    if (leg.legIndex !== position + 1) entry[J.legIndex] = { N: String(leg.legIndex) };
    if (leg.legCount !== sequence.legs.length) entry[J.legCount] = { N: String(leg.legCount) };
    if (leg.legId !== `${sequence.sequenceId}:${leg.legIndex}`) entry[J.legId] = { S: leg.legId };
    if (leg.valueDate !== first.valueDate) entry[J.valueDate] = { S: leg.valueDate };
    if (leg.narrative !== first.narrative) entry[J.narrative] = { S: leg.narrative };
    if (leg.authorizationId !== sequence.authorizationId) entry[J.authorizationId] = { S: leg.authorizationId };
    return { M: entry };
  });
  return {
    [PK]: { S: LEDGER_KEYS.sequence(sequence.sequenceId) },
    [J.authorizationId]: { S: sequence.authorizationId },
    [J.valueDate]: { S: first.valueDate },
    [J.narrative]: { S: first.narrative },
    [J.legs]: { L: legs },
  };
}

function text(value: AttributeValue | undefined, what: string): string {
  if (value?.S === undefined) throw new Error(`ledger journal item: ${what} is not a string`);
  return value.S;
}

/** The sequence a journal item holds (undefined for any other item of the table). */
export function sequenceFromLedgerItem(item: Record<string, AttributeValue>): PostingSequence | undefined {
  const key = item[PK]?.S;
  if (key === undefined || !key.startsWith(LEDGER_KEYS.sequencePrefix)) return undefined;
  const sequenceId = key.slice(LEDGER_KEYS.sequencePrefix.length);
  const authorizationId = text(item[J.authorizationId], 'authorizationId');
  const valueDate = text(item[J.valueDate], 'valueDate');
  const narrative = text(item[J.narrative], 'narrative');
  const entries = item[J.legs]?.L ?? [];
  const legs = entries.map((value, position): PostingLeg => {
    const entry = value.M ?? {};
    const code = text(entry[J.legType], 'leg type');
    const legType = LEG_TYPE_BY_CODE.get(code) ?? adjustmentLegTypeOfCode(code);
    if (!legType) throw new Error(`ledger journal item ${key}: unknown leg type code ${code}`);
    const currency = text(entry[J.currency], 'currency');
    const indexText = entry[J.legIndex]?.N;
    const countText = entry[J.legCount]?.N;
    const legIndex = indexText !== undefined ? Number(indexText) : position + 1;
    const sign = text(entry[J.direction], 'direction');
    if (sign !== 'D' && sign !== 'C') throw new Error(`ledger journal item ${key}: direction ${sign} is neither D nor C`);
    const direction: LegDirection = sign === 'D' ? 'DEBIT' : 'CREDIT';
    return {
      legId: entry[J.legId]?.S ?? `${sequenceId}:${legIndex}`,
      sequenceId,
      legIndex,
      legCount: countText !== undefined ? Number(countText) : entries.length,
      legType,
      accountId: text(entry[J.account], 'account'),
      direction,
      amount: { value: fromMinorUnits(integerFromDynamoNumber(entry[J.minor]?.N ?? ''), currency), currency },
      valueDate: entry[J.valueDate]?.S ?? valueDate,
      narrative: entry[J.narrative]?.S ?? narrative,
      authorizationId: entry[J.authorizationId]?.S ?? authorizationId,
    };
  });
  return { sequenceId, authorizationId, legs };
}

/** Every leg held by ledger items (as Scan returns them; balance items are skipped), in sequence and leg order. */
export function legsFromLedgerItems(items: readonly Record<string, AttributeValue>[]): PostingLeg[] {
  const sequences = items.map(sequenceFromLedgerItem).filter((sequence): sequence is PostingSequence => sequence !== undefined);
  sequences.sort((a, b) => compare(a.sequenceId, b.sequenceId));
  return sequences.flatMap((sequence) => sequence.legs);
}

/** Account balances from ledger items (as Scan returns them; journal items are skipped): shards summed. */
export function balancesFromLedgerItems(items: readonly Record<string, AttributeValue>[]): BalanceView[] {
  const totals = new Map<string, { currency: string; minor: bigint; version: number }>();
  for (const item of items) {
    const accountId = item[BAL.accountId]?.S;
    if (accountId === undefined || !item[PK]?.S?.startsWith(LEDGER_KEYS.balancePrefix)) continue;
    const currency = item[BAL.currency]?.S ?? '';
    const minor = integerFromDynamoNumber(item[BAL.balance]?.N ?? '0');
    const version = Number(item[BAL.version]?.N ?? '0');
    const total = totals.get(accountId);
    if (!total) totals.set(accountId, { currency, minor, version });
    else {
      if (total.currency !== currency) throw new Error(`account ${accountId} has balance shards in ${total.currency} and ${currency}`);
      total.minor += minor;
      total.version += version;
    }
  }
  return [...totals.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([accountId, total]) => ({ accountId, currency: total.currency, balance: fromMinorUnits(total.minor, total.currency), version: total.version }));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// --- Planning -----------------------------------------------------------------

interface PreparedSequence {
  sequence: PostingSequence;
  item: Record<string, AttributeValue>;
  bytes: number;
  /** accountId → signed minor units (credit +, debit −). */
  deltas: Map<string, bigint>;
}

/** One balance shard update of a chunk. */
export interface PlannedBalance {
  key: string;
  accountId: string;
  shard: number;
  currency: string;
}

/** One TransactWriteItems (before retries): its sequences' journal Puts + one Update per balance shard. */
export interface LedgerChunk {
  sequenceIds: string[];
  balances: PlannedBalance[];
}

interface Chunk {
  sequences: PreparedSequence[];
  accounts: Set<string>;
  bytes: number;
  /** accountId → shard, set once the call's chunks are known. */
  shards: Map<string, number>;
}

interface BalanceState {
  version: number;
  currency: string;
}

interface CancellationReason {
  Code?: string;
  Item?: Record<string, AttributeValue>;
}

/** Runs at most `limit` tasks at a time. */
function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}

export class DynamoLedgerStore implements LedgerStore, RecordedSequences {
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
    this.concurrency = Math.max(1, options.concurrency ?? 8);
  }

  /** Validates a sequence and builds its journal item and per-account deltas. */
  private prepare(sequence: PostingSequence): PreparedSequence {
    const { sequenceId, legs } = sequence;
    if (typeof sequenceId !== 'string' || sequenceId.length === 0) throw new Error('a posting sequence has no sequence id');
    if (legs.length === 0) throw new Error(`sequence ${sequenceId} has no legs`);
    const deltas = new Map<string, bigint>();
    const currencies = new Map<string, string>();
    for (const leg of legs) {
      if (leg.sequenceId !== sequenceId) throw new Error(`leg ${leg.legId} belongs to sequence ${leg.sequenceId}, not ${sequenceId}`);
      if (leg.direction !== 'DEBIT' && leg.direction !== 'CREDIT') throw new Error(`leg ${leg.legId}: direction ${String(leg.direction)} is neither DEBIT nor CREDIT`);
      const minor = minorOf(leg.amount);
      if (minor < 0n) throw new Error(`leg ${leg.legId}: amount ${leg.amount.value} is negative (the direction gives the sign)`);
      const seen = currencies.get(leg.accountId);
      if (seen !== undefined && seen !== leg.amount.currency) throw new Error(`sequence ${sequenceId}: account ${leg.accountId} has legs in ${seen} and ${leg.amount.currency}`);
      currencies.set(leg.accountId, leg.amount.currency);
      deltas.set(leg.accountId, (deltas.get(leg.accountId) ?? 0n) + (leg.direction === 'CREDIT' ? minor : -minor));
    }
    const off = imbalance(legs);
    if (off.size > 0) throw new Error(`sequence ${sequenceId} does not balance: ${[...off].map(([ccy, minor]) => `${ccy} ${minor}`).join(', ')}`);
    const item = journalItem(sequence);
    const bytes = itemSizeBytes(item);
    if (bytes > MAX_ITEM_BYTES) throw new Error(`sequence ${sequenceId}: its journal item is ${bytes} bytes, over DynamoDB's ${MAX_ITEM_BYTES}`);
    return { sequence, item, bytes, deltas };
  }

  /** Prepares a call's sequences (first of each sequence id) and the currency of every account they touch. */
  private prepareAll(sequences: readonly PostingSequence[]): { prepared: PreparedSequence[]; currencies: Map<string, string> } {
    const prepared: PreparedSequence[] = [];
    const seen = new Set<string>();
    const currencies = new Map<string, string>();
    for (const sequence of sequences) {
      if (seen.has(sequence.sequenceId)) continue;
      seen.add(sequence.sequenceId);
      const one = this.prepare(sequence);
      for (const leg of sequence.legs) {
        const currency = currencies.get(leg.accountId);
        if (currency !== undefined && currency !== leg.amount.currency) {
          throw new Error(`legs for account ${leg.accountId} are in several currencies: ${currency}, ${leg.amount.currency}`);
        }
        currencies.set(leg.accountId, leg.amount.currency);
      }
      prepared.push(one);
    }
    return { prepared, currencies };
  }

  /**
   * Packs sequences into chunks: the sequences sharing the call's busiest accounts first, each
   * into the open chunk where it adds the fewest items (1 journal Put + its accounts the chunk
   * lacks), within 100 items and 4 MB; then gives each hot account's chunks consecutive shards.
   */
  private pack(prepared: readonly PreparedSequence[]): Chunk[] {
    const frequency = new Map<string, number>();
    for (const one of prepared) for (const accountId of one.deltas.keys()) frequency.set(accountId, (frequency.get(accountId) ?? 0) + 1);
    const anchorOf = (one: PreparedSequence): string => {
      let best = '';
      let bestCount = -1;
      for (const accountId of one.deltas.keys()) {
        const count = frequency.get(accountId) ?? 0;
        if (count > bestCount || (count === bestCount && accountId < best)) {
          best = accountId;
          bestCount = count;
        }
      }
      return best;
    };
    const ordered = prepared
      .map((one) => ({ one, anchor: anchorOf(one) }))
      .sort((a, b) => (frequency.get(b.anchor) ?? 0) - (frequency.get(a.anchor) ?? 0) || compare(a.anchor, b.anchor) || compare(a.one.sequence.sequenceId, b.one.sequence.sequenceId));
    const chunks: Chunk[] = [];
    for (const { one } of ordered) {
      let best: Chunk | undefined;
      let bestAdded = Number.POSITIVE_INFINITY;
      for (const chunk of chunks) {
        let newAccounts = 0;
        for (const accountId of one.deltas.keys()) if (!chunk.accounts.has(accountId)) newAccounts += 1;
        const items = chunk.sequences.length + chunk.accounts.size + 1 + newAccounts;
        const bytes = chunk.bytes + one.bytes + newAccounts * BALANCE_UPDATE_BYTES;
        if (items <= MAX_TRANSACTION_ITEMS && bytes <= MAX_TRANSACTION_BYTES && 1 + newAccounts < bestAdded) {
          best = chunk;
          bestAdded = 1 + newAccounts;
        }
      }
      if (!best) {
        best = { sequences: [], accounts: new Set(), bytes: 0, shards: new Map() };
        chunks.push(best);
      }
      best.sequences.push(one);
      for (const accountId of one.deltas.keys()) {
        if (!best.accounts.has(accountId)) best.bytes += BALANCE_UPDATE_BYTES;
        best.accounts.add(accountId);
      }
      best.bytes += one.bytes;
    }
    // HOT-1: a hot account's chunks take consecutive shards from hash(its smallest sequence id).
    const anchors = new Map<string, string>();
    for (const one of prepared) {
      for (const accountId of one.deltas.keys()) {
        const anchor = anchors.get(accountId);
        if (anchor === undefined || one.sequence.sequenceId < anchor) anchors.set(accountId, one.sequence.sequenceId);
      }
    }
    const seenChunks = new Map<string, number>();
    for (const chunk of chunks) {
      for (const accountId of [...chunk.accounts].sort(compare)) {
        const offset = seenChunks.get(accountId) ?? 0;
        seenChunks.set(accountId, offset + 1);
        chunk.shards.set(accountId, hotShard(anchors.get(accountId)!, shardCount(this.hotAccountShards, accountId), offset));
      }
    }
    return chunks;
  }

  /** The chunks (one TransactWriteItems each, before retries) `sequences` are written in. */
  plan(sequences: readonly PostingSequence[]): LedgerChunk[] {
    const { prepared, currencies } = this.prepareAll(sequences);
    return this.pack(prepared).map((chunk) => ({
      sequenceIds: chunk.sequences.map((one) => one.sequence.sequenceId),
      balances: [...chunk.shards.entries()]
        .sort(([a], [b]) => compare(a, b))
        .map(([accountId, shard]) => ({ key: LEDGER_KEYS.balance(accountId, shard), accountId, shard, currency: currencies.get(accountId)! })),
    }));
  }

  async recordPostings(sequences: readonly PostingSequence[]): Promise<RecordPostingsResult> {
    const { prepared, currencies } = this.prepareAll(sequences);
    if (prepared.length === 0) return { newSequences: [], balanceUpdates: 0 };
    const chunks = this.pack(prepared);
    // Balance versions as read (or written) during this call: key → state, null = absent.
    const known = new Map<string, BalanceState | null>();
    await this.readBalances([...new Set(chunks.flatMap((chunk) => [...chunk.shards].map(([accountId, shard]) => LEDGER_KEYS.balance(accountId, shard))))], known);

    const recorded = new Set<string>();
    let balanceUpdates = 0;
    let failed = false;
    const limit = limiter(this.concurrency);
    const tails = new Map<string, Promise<unknown>>();
    const runs = chunks.map((chunk) => {
      const keys = [...chunk.shards].map(([accountId, shard]) => LEDGER_KEYS.balance(accountId, shard));
      const before = keys.map((key) => tails.get(key)).filter((tail): tail is Promise<unknown> => tail !== undefined);
      const run = Promise.allSettled(before).then(() =>
        limit(async () => {
          if (failed) return;
          try {
            const written = await this.writeChunk(chunk, currencies, known);
            for (const sequenceId of written.sequenceIds) recorded.add(sequenceId);
            balanceUpdates += written.balanceUpdates;
          } catch (error) {
            failed = true;
            throw error;
          }
        }),
      );
      for (const key of keys) tails.set(key, run);
      return run;
    });
    const outcomes = await Promise.allSettled(runs);
    const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    return { newSequences: prepared.map((one) => one.sequence.sequenceId).filter((sequenceId) => recorded.has(sequenceId)), balanceUpdates };
  }

  /** Writes one chunk; returns the sequences it recorded (the others were recorded before) and its balance updates. */
  private async writeChunk(chunk: Chunk, currencies: ReadonlyMap<string, string>, known: Map<string, BalanceState | null>): Promise<{ sequenceIds: string[]; balanceUpdates: number }> {
    let pending = chunk.sequences;
    let conflicts = 0;
    while (pending.length > 0) {
      const deltas = new Map<string, bigint>();
      for (const one of pending) for (const [accountId, delta] of one.deltas) deltas.set(accountId, (deltas.get(accountId) ?? 0n) + delta);
      const balances = [...deltas.keys()].sort(compare).map((accountId) => {
        const shard = chunk.shards.get(accountId)!;
        return { accountId, shard, key: LEDGER_KEYS.balance(accountId, shard), currency: currencies.get(accountId)!, delta: deltas.get(accountId)! };
      });
      await this.readBalances(
        balances.filter((balance) => !known.has(balance.key)).map((balance) => balance.key),
        known,
      );
      for (const balance of balances) {
        const state = known.get(balance.key);
        if (state && state.currency !== balance.currency) throw new Error(`account ${balance.accountId} balance is in ${state.currency}; legs are in ${balance.currency}`);
      }
      const items: TransactWriteItem[] = [
        ...pending.map((one): TransactWriteItem => ({ Put: { TableName: this.tableName, Item: one.item, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } } })),
        ...balances.map((balance) => this.balanceUpdate(balance, known.get(balance.key) ?? undefined)),
      ];
      try {
        await awsCall('ledger TransactWriteItems', () => this.client.send(new TransactWriteItemsCommand({ TransactItems: items })));
        for (const balance of balances) known.set(balance.key, { version: (known.get(balance.key)?.version ?? 0) + 1, currency: balance.currency });
        return { sequenceIds: pending.map((one) => one.sequence.sequenceId), balanceUpdates: balances.length };
      } catch (error) {
        if (errorName(error) !== 'TransactionCanceledException') throw error;
        const reasons = ((error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? []).map((reason) => reason ?? {});
        const codes = reasons.map((reason) => reason.Code ?? 'None');
        const unexpected = codes.find((code) => code !== 'None' && code !== 'ConditionalCheckFailed' && !RETRYABLE_REASONS.has(code));
        if (unexpected) throw error;
        // A journal Put that failed its condition: that sequence is recorded already (with its balances).
        const already = new Set(pending.filter((_, index) => codes[index] === 'ConditionalCheckFailed').map((one) => one.sequence.sequenceId));
        let moved = false;
        balances.forEach((balance, index) => {
          const reason = reasons[pending.length + index];
          if (reason?.Code !== 'ConditionalCheckFailed') return;
          moved = true;
          const current = reason.Item ? balanceState(reason.Item) : undefined;
          if (current) known.set(balance.key, current);
          else known.delete(balance.key);
        });
        pending = pending.filter((one) => !already.has(one.sequence.sequenceId));
        const retryable = codes.length === 0 || codes.some((code) => RETRYABLE_REASONS.has(code));
        if (already.size > 0 && !moved && !retryable) continue;
        conflicts += 1;
        if (conflicts > this.maxConflictRetries) {
          throw new TransientStoreError(`ledger: chunk of ${pending.length} sequences still conflicting after ${this.maxConflictRetries} retries (${codes.join(',')})`, error);
        }
        await sleep(backoffMs(conflicts, this.retryBaseDelayMs));
      }
    }
    return { sequenceIds: [], balanceUpdates: 0 };
  }

  private balanceUpdate(balance: { key: string; accountId: string; shard: number; currency: string; delta: bigint }, state: BalanceState | undefined): TransactWriteItem {
    // Every attribute name through a placeholder: `shard` is a DynamoDB reserved word (found by the rehearsal, REH-1).
    if (state) {
      return {
        Update: {
          TableName: this.tableName,
          Key: { [PK]: { S: balance.key } },
          UpdateExpression: 'SET #balance = #balance + :delta, #version = :next',
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: { '#balance': BAL.balance, '#version': BAL.version },
          ExpressionAttributeValues: { ':delta': { N: balance.delta.toString() }, ':next': { N: String(state.version + 1) }, ':expected': { N: String(state.version) } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      };
    }
    // Created once: only now are the balances index's keys written (so later updates never write the index).
    return {
      Update: {
        TableName: this.tableName,
        Key: { [PK]: { S: balance.key } },
        UpdateExpression: 'SET #balance = :delta, #version = :one, #currency = :currency, #accountId = :account, #shard = :shard',
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK, '#balance': BAL.balance, '#version': BAL.version, '#currency': BAL.currency, '#accountId': BAL.accountId, '#shard': BAL.shard },
        ExpressionAttributeValues: {
          ':delta': { N: balance.delta.toString() },
          ':one': { N: '1' },
          ':currency': { S: balance.currency },
          ':account': { S: balance.accountId },
          ':shard': { N: String(balance.shard) },
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /** Reads the version and currency of balance items (strongly consistent BatchGetItem) into `known`. */
  private async readBalances(keys: readonly string[], known: Map<string, BalanceState | null>): Promise<void> {
    const groups: string[][] = [];
    for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) groups.push(keys.slice(start, start + BATCH_GET_LIMIT));
    const limit = limiter(this.concurrency);
    await Promise.all(
      groups.map((group) =>
        limit(async () => {
          for (const item of await this.batchGet(group, [PK, BAL.version, BAL.currency])) {
            const state = balanceState(item);
            if (state) known.set(item[PK]!.S!, state);
          }
          for (const key of group) if (!known.has(key)) known.set(key, null);
        }),
      ),
    );
  }

  /** BatchGetItem of ≤ 100 keys, strongly consistent, unprocessed keys retried (bounded). */
  private async batchGet(keys: readonly string[], attributes: readonly string[]): Promise<Record<string, AttributeValue>[]> {
    const names = Object.fromEntries(attributes.map((name, index) => [`#a${index}`, name]));
    const found: Record<string, AttributeValue>[] = [];
    let pending: Record<string, AttributeValue>[] = keys.map((key) => ({ [PK]: { S: key } }));
    for (let round = 0; pending.length > 0; round += 1) {
      if (round > this.maxConflictRetries) throw new TransientStoreError(`ledger BatchGetItem: ${pending.length} keys still unprocessed after ${this.maxConflictRetries} retries`);
      if (round > 0) await sleep(backoffMs(round, this.retryBaseDelayMs));
      const output = await awsCall('ledger BatchGetItem', () =>
        this.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true, ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names } },
          }),
        ),
      );
      found.push(...(output.Responses?.[this.tableName] ?? []));
      pending = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    return found;
  }

  /**
   * The legs posted to `accountIds`, read from the journal items (the reconciliation ledger
   * source, REC-1; posting never calls it): a Scan of the journal items (`SEQ#`), in sequence and
   * leg order. The journal holds each sequence once (its idempotency marker), so no leg is seen
   * twice however often a batch was delivered.
   */
  async postedLegs(accountIds: ReadonlySet<string>): Promise<PostingLeg[]> {
    if (accountIds.size === 0) return [];
    const items: Record<string, AttributeValue>[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await awsCall('ledger journal Scan', () =>
        this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            FilterExpression: 'begins_with(#pk, :sequence)',
            ExpressionAttributeNames: { '#pk': PK },
            ExpressionAttributeValues: { ':sequence': { S: LEDGER_KEYS.sequencePrefix } },
            ExclusiveStartKey: startKey,
            ConsistentRead: true,
          }),
        ),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return legsFromLedgerItems(items).filter((leg) => accountIds.has(leg.accountId));
  }

  /** ADJ-1: whether the sequence's journal item exists (a consistent GetItem of its key only). */
  async hasSequence(sequenceId: string): Promise<boolean> {
    const found = await awsCall('ledger GetItem', () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { [PK]: { S: LEDGER_KEYS.sequence(sequenceId) } },
          ConsistentRead: true,
          ProjectionExpression: '#pk',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      ),
    );
    return found.Item !== undefined;
  }

  /** Every account's balance, its shards summed: the sparse balances index names the shards, a consistent read gives their values. */
  async balances(): Promise<BalanceView[]> {
    const keys: string[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await awsCall('ledger Scan', () => this.client.send(new ScanCommand({ TableName: this.tableName, IndexName: LEDGER_BALANCES_INDEX, ExclusiveStartKey: startKey })));
      for (const item of page.Items ?? []) if (item[PK]?.S) keys.push(item[PK].S);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const items: Record<string, AttributeValue>[] = [];
    for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
      items.push(...(await this.batchGet(keys.slice(start, start + BATCH_GET_LIMIT), [PK, BAL.accountId, BAL.shard, BAL.balance, BAL.version, BAL.currency])));
    }
    return balancesFromLedgerItems(items);
  }
}

function balanceState(item: Record<string, AttributeValue>): BalanceState | undefined {
  const version = item[BAL.version]?.N;
  if (version === undefined) return undefined;
  return { version: Number(version), currency: item[BAL.currency]?.S ?? '' };
}
