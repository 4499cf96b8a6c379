/**
 * WorkbenchStore, CandidateSource and CaseNavigator on DynamoDB (TABLES.workbench, keys in
 * WORKBENCH_KEYS): everything the embedded store does, by index ranges only (no Scan on a request):
 * - a case is `CASE#<caseId>` / `CASE`, its history `CASE#<caseId>` / `EVENT#<version>`, an
 *   imported run `RUN#<runId>` / `RUN`;
 * - sparse GSIs: `byStatus` (lists, oldest first, and counts), `byUrgency` (the urgency list and
 *   n / p: SLA due day by the store's rules, then oldest, then case id), `byAccount` (casesOfAccounts),
 *   `byAccountStatus` and `byAccountUrgency` (a list filtered by account, oldest first and most
 *   urgent first: partition `ACCOUNTSTATUS#[accountId, status]`, the sort key of byStatus and of
 *   byUrgency). Two indexes, one per order, because one sort key cannot serve both orders: each
 *   costs one more write unit per case write (a case Put writes its item and one entry in each of
 *   its five case indexes), which buys an account-filtered page that reads its page in either order
 *   (a case write is a person's action or an import; a list is read far more often);
 * - candidates (candidates.ts): each open row of an OPEN exception case is an item in its case's
 *   partition (`ROW#…`, in `openRowsByAmount` by account, currency, side and exact amount) with one
 *   item per reference key (`REF#…`, in `openRowsByReference`). A row lives while its case is
 *   OPEN: written before the write that makes the case OPEN commits, deleted after the write that
 *   takes it out of OPEN commits, each conditional on the case version that wrote it (an earlier
 *   write never deletes a later one's rows). A lookup checks the status of every found row's case
 *   (one consistent BatchGetItem), so a row left behind by a crash or a lost race is never offered
 *   and never hides an open one (the lookup reads on past it);
 * - `save` is one TransactWriteItems: the case conditional on the version it started from, and
 *   its event conditional on not existing. A lost condition is a CaseVersionConflict.
 *   `saveAll` (a candidate match) is one TransactWriteItems of every case and event: at most
 *   MAX_SAVE_ALL_CASES (49) cases, DynamoDB's 100 items with the counts update; a larger one is
 *   refused whole before anything is written (DynamoDB cannot make it atomic).
 * - `applyImport` writes the plan's raised, reopened and cleared cases in transactions of ≤ 100
 *   items (a case and its event always together, with the chunk's counts update and a marker
 *   named by its content, so a retried chunk that committed is neither written nor counted twice). DynamoDB cannot make a larger plan one
 *   transaction, so every write is conditional AND idempotent (re-writing what this same plan
 *   already wrote succeeds), and the run marker is written last: a retried import after a crash
 *   completes without duplicating. A refreshed case (the run reports it again: run id, as-of date,
 *   age, and a grouped case's members) is an UpdateItem of those fields only, as the embedded
 *   store's refresh: it never undoes a person's concurrent action and never conflicts with one.
 * - the list's counts and the dashboard's ages are counters kept in the same transactions
 *   (COUNTS_PARTITION): counts() and openCaseAges() read a few items, never the cases (a table
 *   filled before the counters existed is read whole);
 * - each imported run's statistics (REC-DASH-1) are one item `RUNSTATS` / `RUN#<runId>` (the
 *   dashboards read the one partition), written before the run marker, once.
 * - `list` pages by cursor (`after`, cursor.ts): each status is read from just after the cursor's
 *   key in its index, in order, so a deep page costs what the first does; filtered by account, from
 *   the account-and-status index of the order.
 *   Cases written before the account-and-status indexes existed have no `accountStatusKey` until
 *   written again (a person's action, an import's raise, reopen or clear; an import's refresh keeps
 *   it as it is): such a table needs a one-off backfill before this store version serves lists,
 *   or an account's list misses them. The backfill reads every `CASE` item (a Scan, once, off the
 *   request path) and sets `accountStatusKey = accountStatusIndexKey(accountId, status)` with an
 *   UpdateItem conditional on the version read (a case changed meanwhile was written with the key).
 * Throttling, 5xx and transaction conflicts are TransientStoreError (src/adapters/aws/errors.ts).
 */
import { createHash } from 'node:crypto';
import type { AttributeValue, DynamoDBClient, QueryCommandInput, QueryCommandOutput, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { BatchGetItemCommand, BatchWriteItemCommand, DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, TransactWriteItemsCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { CaseEvent, CaseStatus, ExceptionCase, ImportPlan } from '../../recon/workbench/cases';
import { CASE_STATUSES } from '../../recon/workbench/cases';
import { type CandidateQuery, minorOf, type OpenRow, openRowsOf, referenceKeys } from '../../recon/workbench/candidates';
import { afterKey, type CaseSortKey } from '../../recon/workbench/cursor';
import type { RunStats } from '../../recon/workbench/dashboard';
import type { CandidateSource, CaseCounts, CaseFilter, CaseNavigator, OpenCaseAge, WorkbenchStore } from '../../recon/workbench/ports';
import { CaseVersionConflict } from '../../recon/workbench/ports';
import { caseDueDate, defaultSlaRules, type SlaRules } from '../../recon/workbench/sla';
import { TransientStoreError } from '../../ports';
import { awsCall, backoffMs, errorName, sleep } from './errors';
import { TABLES, WORKBENCH_INDEXES, WORKBENCH_KEYS, WORKBENCH_MAX_INDEXED_MINOR } from './tables';

const PK = TABLES.workbench.partitionKey.name;
const SK = TABLES.workbench.sortKey.name;
const BY_STATUS = WORKBENCH_INDEXES.byStatus;
const BY_ACCOUNT = WORKBENCH_INDEXES.byAccount;
const BY_URGENCY = WORKBENCH_INDEXES.byUrgency;
const BY_ACCOUNT_STATUS = WORKBENCH_INDEXES.byAccountStatus;
const BY_ACCOUNT_URGENCY = WORKBENCH_INDEXES.byAccountUrgency;
const ROWS_BY_AMOUNT = WORKBENCH_INDEXES.openRowsByAmount;
const ROWS_BY_REFERENCE = WORKBENCH_INDEXES.openRowsByReference;
/** Attributes the store adds to a case item (keys), dropped when reading it back. */
const KEY_ATTRIBUTES = [PK, SK, BY_STATUS.partitionKey, BY_STATUS.sortKey, BY_ACCOUNT.partitionKey, BY_URGENCY.sortKey, BY_ACCOUNT_STATUS.partitionKey];
const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 1000;
/** DynamoDB's limit of items per TransactWriteItems. */
export const MAX_TRANSACTION_ITEMS = 100;
/** A case and its event are two items, and one item updates the counts: the most cases one saveAll can write atomically. */
export const MAX_SAVE_ALL_CASES = Math.floor((MAX_TRANSACTION_ITEMS - 1) / 2);
/** An import's transaction: cases and events, its counts update and its chunk marker. */
const IMPORT_CHUNK_ITEMS = MAX_TRANSACTION_ITEMS - 2;
/** DynamoDB's limits of keys per BatchGetItem and requests per BatchWriteItem. */
const BATCH_GET_KEYS = 100;
const BATCH_WRITE_ITEMS = 25;
/** Row writes and refreshes in flight at once. */
const CONCURRENCY = 16;
/** Cancellation reasons that say "try again", not "no". */
const TRANSIENT_CANCELLATIONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);
const OPEN_STATUSES: readonly CaseStatus[] = ['OPEN', 'PENDING_APPROVAL'];

/** REC-DASH-1: the partition of the imported runs' statistics, one item per run. */
export const RUN_STATS_PARTITION = 'RUNSTATS';
export const runStatsSort = (runId: string): string => `RUN#${runId}`;

/**
 * The list's counts (on every list page: O(1) at any size, not a read of every open case): items
 * `COUNTS` / `SHARD#<nn>` holding, per status, `S#<status>` cases and, per reason and per age,
 * `R#<reason>` and `A#<ageDays>` OPEN and PENDING_APPROVAL cases. Every write that moves a case's status or reason ADDs the
 * difference to one shard in its own transaction (a random shard: concurrent actions seldom
 * touch the same item); counts() sums the shards. `COUNTS` / `READY` says every case of the table
 * was written with counts (written by the first import into an empty table); without it, counts()
 * reads the cases (a table filled before the counts existed).
 */
export const COUNTS_PARTITION = 'COUNTS';
export const COUNTS_READY = 'READY';
const COUNT_SHARDS = 16;
const countsShardSort = (shard: number): string => `SHARD#${String(shard).padStart(2, '0')}`;
/** An import transaction's marker (`RUN#<runId>` / `CHUNK#<hash of its cases and versions>`): a retried chunk that committed before is not counted twice. */
export const importChunkSort = (hash: string): string => `CHUNK#${hash}`;
const STATUS_COUNTER = 'S#';
const REASON_COUNTER = 'R#';
const AGE_COUNTER = 'A#';
/** Refreshes that move ages: their conditional updates and the counts update in one transaction. */
const REFRESH_CHUNK = MAX_TRANSACTION_ITEMS - 1;
/** Attempts at a refresh whose case keeps changing under it. */
const REFRESH_ATTEMPTS = 5;

type CountDelta = Map<string, number>;

function isOpenStatus(status: string): boolean {
  return (OPEN_STATUSES as readonly string[]).includes(status);
}

/** Adds (sign 1) or takes away (sign -1) one case's status and, when it is OPEN or PENDING_APPROVAL, its reason and its age. */
function countCase(delta: CountDelta, c: { status: string; reason: string; ageDays: number } | undefined, sign: 1 | -1): void {
  if (!c) return;
  const bump = (name: string) => delta.set(name, (delta.get(name) ?? 0) + sign);
  bump(`${STATUS_COUNTER}${c.status}`);
  if (isOpenStatus(c.status)) {
    bump(`${REASON_COUNTER}${c.reason}`);
    bump(`${AGE_COUNTER}${c.ageDays}`);
  }
}

interface StoredState {
  status: string;
  reason: string;
  ageDays: number;
  version: number;
}

type Item = Record<string, AttributeValue>;
/** A query on the workbench table: the table name and paging are added by queryPages. */
type QueryInput = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>;

export interface DynamoWorkbenchStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** The SLA rules the urgency order follows (default config/recon/sla.json), as the embedded store's. */
  sla?: SlaRules;
}

/** The case's sort key in the urgency index (its SLA due day by `sla`). */
export function urgencySortOf(c: ExceptionCase, sla: SlaRules = defaultSlaRules()): string {
  return WORKBENCH_KEYS.urgencyIndexSort(caseDueDate(c, sla), c.ageDays, c.caseId);
}

/** The item of a case: its fields plus the table and index keys. */
export function caseItem(c: ExceptionCase, sla: SlaRules = defaultSlaRules()): Item {
  return marshall(
    {
      ...c,
      [PK]: WORKBENCH_KEYS.casePartition(c.caseId),
      [SK]: WORKBENCH_KEYS.caseSort,
      [BY_STATUS.partitionKey]: WORKBENCH_KEYS.statusIndexKey(c.status),
      [BY_STATUS.sortKey]: WORKBENCH_KEYS.statusIndexSort(c.ageDays, c.caseId),
      [BY_URGENCY.sortKey]: urgencySortOf(c, sla),
      [BY_ACCOUNT.partitionKey]: WORKBENCH_KEYS.accountIndexKey(c.accountId),
      [BY_ACCOUNT_STATUS.partitionKey]: WORKBENCH_KEYS.accountStatusIndexKey(c.accountId, c.status),
    },
    { removeUndefinedValues: true },
  );
}

function fromCaseItem(item: Item): ExceptionCase {
  const record = unmarshall(item);
  for (const key of KEY_ATTRIBUTES) delete record[key];
  return record as ExceptionCase;
}

/** The item of a history event. */
export function eventItem(event: CaseEvent): Item {
  return marshall({ ...event, [PK]: WORKBENCH_KEYS.casePartition(event.caseId), [SK]: WORKBENCH_KEYS.eventSort(event.version) }, { removeUndefinedValues: true });
}

function fromEventItem(item: Item): CaseEvent {
  const { [PK]: _pk, [SK]: _sk, ...event } = unmarshall(item);
  return event as CaseEvent;
}

/**
 * The items of a case's open rows at `version`: one per row (in the amount index when its amount
 * fits 64 bits, as the embedded store's) and one per reference key of a row.
 */
export function openRowItems(c: ExceptionCase, version = c.version): Item[] {
  const items: Item[] = [];
  const pk = { S: WORKBENCH_KEYS.casePartition(c.caseId) };
  const caseVersion = { N: String(version) };
  for (const row of openRowsOf(c)) {
    const json = { S: JSON.stringify(row) };
    const minor = minorOf(row.amount, row.currency);
    const indexed = minor !== undefined && minor <= WORKBENCH_MAX_INDEXED_MINOR && minor >= -WORKBENCH_MAX_INDEXED_MINOR;
    items.push({
      [PK]: pk,
      [SK]: { S: WORKBENCH_KEYS.rowSort(row.side, row.id) },
      [ROWS_BY_AMOUNT.partitionKey]: { S: WORKBENCH_KEYS.rowIndexKey(row.side, row.currency, row.accountId) },
      ...(indexed ? { [ROWS_BY_AMOUNT.sortKey]: { S: WORKBENCH_KEYS.rowAmountSort(minor!, row.caseId, row.id) } } : {}),
      row: json,
      caseVersion,
    });
    for (const key of referenceKeys(row)) {
      items.push({
        [PK]: pk,
        [SK]: { S: WORKBENCH_KEYS.referenceSort(row.side, row.id, key) },
        [ROWS_BY_REFERENCE.partitionKey]: { S: WORKBENCH_KEYS.referenceIndexKey(row.side, row.currency, row.accountId, key) },
        row: json,
        caseVersion,
      });
    }
  }
  return items;
}

/** UTF-8 byte order: DynamoDB's order of string keys (and SQLite's BINARY collation). */
function byteCompare(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function matches(c: ExceptionCase, filter: CaseFilter): boolean {
  if (filter.reason !== undefined && c.reason !== filter.reason) return false;
  if (filter.accountId !== undefined && c.accountId !== filter.accountId) return false;
  if (filter.assignee !== undefined && c.assignee !== filter.assignee) return false;
  if (filter.search) {
    const needle = filter.search.toLowerCase();
    const haystack = [c.caseId, c.statementLineId ?? '', c.bankReference ?? '', ...c.ledgerEntryIds];
    if (!haystack.some((text) => text.toLowerCase().includes(needle))) return false;
  }
  return true;
}

/** Whether a save of `next` (with `event`) makes the case OPEN with rows it may not have: they are written first. */
function entersOpen(next: ExceptionCase, event: CaseEvent): boolean {
  return next.status === 'OPEN' && (event.from !== 'OPEN' || event.action === 'reject-match');
}

/** Whether a save of `next` takes the case out of OPEN: its rows are deleted once it commits. */
function leavesOpen(next: ExceptionCase, event: CaseEvent): boolean {
  return next.status !== 'OPEN' && (event.from === undefined || event.from === 'OPEN');
}

/** Runs `work` over `items`, at most `limit` at once. */
async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>, limit = CONCURRENCY): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

interface Write {
  /** The case this write belongs to (for conflicts). */
  caseId: string;
  expectedVersion: number;
  items: TransactWriteItem[];
}

export class DynamoWorkbenchStore implements WorkbenchStore, CandidateSource, CaseNavigator {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly sla: SlaRules;

  constructor(options: DynamoWorkbenchStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.sla = options.sla ?? defaultSlaRules();
  }

  async get(caseId: string): Promise<ExceptionCase | undefined> {
    const result = await awsCall('workbench GetItem', () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { [PK]: { S: WORKBENCH_KEYS.casePartition(caseId) }, [SK]: { S: WORKBENCH_KEYS.caseSort } },
          ConsistentRead: true,
        }),
      ),
    );
    return result.Item ? fromCaseItem(result.Item) : undefined;
  }

  async history(caseId: string): Promise<CaseEvent[]> {
    const items = await this.queryAll({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :events)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': { S: WORKBENCH_KEYS.casePartition(caseId) }, ':events': { S: WORKBENCH_KEYS.eventSortPrefix } },
      ConsistentRead: true,
    });
    return items.map(fromEventItem);
  }

  /**
   * The filter's cases in its order: each status's index read in order from just after the
   * cursor (`after`), stopping once it has `offset + limit` matches, then merged; filtered by
   * account, each status's account-and-status index of the order (byAccountUrgency,
   * byAccountStatus), the same way.
   */
  async list(filter: CaseFilter): Promise<ExceptionCase[]> {
    const sort = filter.sort === 'urgency' ? 'urgency' : 'age';
    const after = afterKey({ ...(filter.after !== undefined ? { after: filter.after } : {}), sort });
    const limit = Math.min(Math.max(filter.limit ?? DEFAULT_LIMIT, 0), MAX_LIMIT);
    const offset = Math.max(filter.offset ?? 0, 0);
    const wanted = offset + limit;
    if (limit === 0) return [];
    if (filter.status && filter.status.length === 0) return [];
    const statuses = filter.status ? [...new Set(filter.status)] : CASE_STATUSES;
    const keyOf = (c: ExceptionCase): string => (sort === 'urgency' ? urgencySortOf(c, this.sla) : WORKBENCH_KEYS.statusIndexSort(c.ageDays, c.caseId));
    const from = after ? this.indexSortOf(after) : undefined;
    // Each status reads in order and stops once it has `wanted` matches: the merge's first `wanted` are then exact.
    // The account is the index's key, so only the reason, assignee and search filter what it reads.
    const filtered = filter.reason !== undefined || filter.assignee !== undefined || Boolean(filter.search);
    const accountId = filter.accountId;
    const perStatus = await Promise.all(statuses.map((status) => this.casesWithStatus(status, sort, from, (c) => matches(c, filter), wanted, filtered, accountId)));
    const cases = perStatus.flat();
    return cases
      .map((c) => ({ c, key: keyOf(c) }))
      .sort((a, b) => byteCompare(a.key, b.key))
      .slice(offset, wanted)
      .map(({ c }) => c);
  }

  /** n / p: the cases just before and after this one in the urgency order of OPEN and PENDING_APPROVAL cases (four one-item index reads). */
  async neighbours(caseId: string): Promise<{ previous?: string; next?: string }> {
    const found = await this.get(caseId);
    if (!found) return {};
    const key = urgencySortOf(found, this.sla);
    const nearest = async (forward: boolean): Promise<{ caseId: string; key: string } | undefined> => {
      const found = await Promise.all(
        OPEN_STATUSES.map(async (status) => {
          const page = await awsCall('workbench Query', () =>
            this.client.send(
              new QueryCommand({
                TableName: this.tableName,
                IndexName: BY_URGENCY.indexName,
                KeyConditionExpression: `#key = :key AND #sort ${forward ? '>' : '<'} :at`,
                ExpressionAttributeNames: { '#key': BY_URGENCY.partitionKey, '#sort': BY_URGENCY.sortKey, '#id': 'caseId' },
                ExpressionAttributeValues: { ':key': { S: WORKBENCH_KEYS.statusIndexKey(status) }, ':at': { S: key } },
                ProjectionExpression: '#id, #sort',
                ScanIndexForward: forward,
                Limit: 1,
              }),
            ),
          );
          const item = page.Items?.[0];
          return item?.caseId?.S && item[BY_URGENCY.sortKey]?.S ? { caseId: item.caseId.S, key: item[BY_URGENCY.sortKey]!.S! } : undefined;
        }),
      );
      const candidates = found.filter((entry) => entry !== undefined).sort((a, b) => byteCompare(a.key, b.key));
      return forward ? candidates[0] : candidates[candidates.length - 1];
    };
    const [previous, next] = await Promise.all([nearest(false), nearest(true)]);
    return { ...(previous ? { previous: previous.caseId } : {}), ...(next ? { next: next.caseId } : {}) };
  }

  /**
   * Open rows of the query's side, account and currency whose case is OPEN: per reference key, the
   * nearest `limit` by amount above and below, and the query's own case's rows; each found row's
   * case status checked (consistent), reading on past rows whose case is no longer OPEN.
   */
  async candidateRows(query: CandidateQuery): Promise<OpenRow[]> {
    const { accountId, currency, side, limit } = query;
    const open = new Map<string, Promise<boolean>>();
    const rows = new Map<string, OpenRow>();
    const lookups: Promise<OpenRow[]>[] = [];
    for (const key of query.references) {
      lookups.push(
        this.openRowsFrom(
          {
            IndexName: ROWS_BY_REFERENCE.indexName,
            KeyConditionExpression: '#key = :key',
            ExpressionAttributeNames: { '#key': ROWS_BY_REFERENCE.partitionKey },
            ExpressionAttributeValues: { ':key': { S: WORKBENCH_KEYS.referenceIndexKey(side, currency, accountId, key) } },
          },
          limit,
          open,
        ),
      );
    }
    if (query.amountMinor <= WORKBENCH_MAX_INDEXED_MINOR && query.amountMinor >= -WORKBENCH_MAX_INDEXED_MINOR) {
      const at = WORKBENCH_KEYS.rowAmountFrom(query.amountMinor);
      for (const above of [true, false]) {
        lookups.push(
          this.openRowsFrom(
            {
              IndexName: ROWS_BY_AMOUNT.indexName,
              KeyConditionExpression: `#key = :key AND #amount ${above ? '>=' : '<'} :at`,
              ExpressionAttributeNames: { '#key': ROWS_BY_AMOUNT.partitionKey, '#amount': ROWS_BY_AMOUNT.sortKey },
              ExpressionAttributeValues: { ':key': { S: WORKBENCH_KEYS.rowIndexKey(side, currency, accountId) }, ':at': { S: at } },
              ScanIndexForward: above,
            },
            limit,
            open,
          ),
        );
      }
    }
    lookups.push(
      this.openRowsFrom(
        {
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :rows)',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: { ':pk': { S: WORKBENCH_KEYS.casePartition(query.caseId) }, ':rows': { S: WORKBENCH_KEYS.rowSort(side, '') } },
          ConsistentRead: true,
        },
        Number.POSITIVE_INFINITY,
        open,
      ),
    );
    for (const found of await Promise.all(lookups)) for (const row of found) rows.set(`${row.caseId}\u0000${row.id}`, row);
    return [...rows.values()];
  }

  /**
   * Writes several cases and their events in one TransactWriteItems, each conditional on its
   * version: all or none. More than MAX_SAVE_ALL_CASES cases cannot be one transaction on
   * DynamoDB: refused before anything is written.
   */
  async saveAll(writes: readonly { next: ExceptionCase; event: CaseEvent }[]): Promise<void> {
    if (writes.length === 0) return;
    if (writes.length > MAX_SAVE_ALL_CASES) {
      throw new RangeError(
        `${writes.length} cases cannot be written in one transaction (DynamoDB takes ${MAX_TRANSACTION_ITEMS} items: ${MAX_SAVE_ALL_CASES} cases, their events and the counts); nothing was written`,
      );
    }
    await this.writeCases(writes);
  }

  /** The counts' shards summed (one Query of a few items), or the cases read when the table predates the counts. */
  async counts(): Promise<CaseCounts> {
    const totals = await this.readCounters();
    if (!totals) return this.countsByReading();
    const counts: CaseCounts = { byStatus: {}, openByReason: {} };
    for (const status of CASE_STATUSES) {
      const n = totals.get(`${STATUS_COUNTER}${status}`) ?? 0;
      if (n > 0) counts.byStatus[status] = n;
    }
    for (const [name, n] of [...totals.entries()].sort(([a], [b]) => byteCompare(a, b))) {
      if (name.startsWith(REASON_COUNTER) && n > 0) counts.openByReason[name.slice(REASON_COUNTER.length)] = n;
    }
    return counts;
  }

  /** Every counter summed over the shards; undefined when the table predates the counts (no READY marker). */
  private async readCounters(): Promise<Map<string, number> | undefined> {
    const items = await this.queryAll({
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':pk': { S: COUNTS_PARTITION } },
      ConsistentRead: true,
    });
    if (!items.some((item) => item[SK]?.S === COUNTS_READY)) return undefined;
    const totals = new Map<string, number>();
    for (const item of items) {
      for (const [name, value] of Object.entries(item)) {
        if ((name.startsWith(STATUS_COUNTER) || name.startsWith(REASON_COUNTER) || name.startsWith(AGE_COUNTER)) && value.N !== undefined) totals.set(name, (totals.get(name) ?? 0) + Number(value.N));
      }
    }
    return totals;
  }

  /** The counts read from the cases themselves (every OPEN and PENDING_APPROVAL case, a COUNT of the others). */
  private async countsByReading(): Promise<CaseCounts> {
    const counts: CaseCounts = { byStatus: {}, openByReason: {} };
    await Promise.all(
      CASE_STATUSES.map(async (status) => {
        if (OPEN_STATUSES.includes(status)) {
          const reasons = await this.queryAll({
            IndexName: BY_STATUS.indexName,
            KeyConditionExpression: '#key = :key',
            ExpressionAttributeNames: { '#key': BY_STATUS.partitionKey, '#reason': 'reason' },
            ExpressionAttributeValues: { ':key': { S: WORKBENCH_KEYS.statusIndexKey(status) } },
            ProjectionExpression: '#reason',
          });
          if (reasons.length > 0) counts.byStatus[status] = reasons.length;
          for (const item of reasons) {
            const reason = item.reason?.S ?? '';
            counts.openByReason[reason] = (counts.openByReason[reason] ?? 0) + 1;
          }
        } else {
          const count = await this.countStatus(status);
          if (count > 0) counts.byStatus[status] = count;
        }
      }),
    );
    return counts;
  }

  async casesOfAccounts(accountIds: ReadonlySet<string>): Promise<ExceptionCase[]> {
    const perAccount = await Promise.all([...accountIds].map((accountId) => this.casesOfAccount(accountId)));
    return perAccount.flat();
  }

  async save(next: ExceptionCase, event: CaseEvent): Promise<void> {
    await this.writeCases([{ next, event }]);
  }

  /** Person-made writes: open rows first, one transaction of the cases and events, then rows of cases no longer OPEN deleted. */
  private async writeCases(writes: readonly { next: ExceptionCase; event: CaseEvent }[]): Promise<void> {
    for (const { next, event } of writes) {
      if (event.caseId !== next.caseId || event.version !== next.version) {
        throw new Error(`event ${event.caseId} v${event.version} does not belong to case ${next.caseId} v${next.version}`);
      }
    }
    // The counts follow the statuses, reasons and ages the cases leave and take: the stored ones,
    // read consistently; each case's condition (its version, and the age read, which an import's
    // refresh moves without a version) makes sure they are the ones replaced.
    const stored = await this.readStates(writes.filter(({ next }) => next.version > 1).map(({ next }) => next.caseId));
    const delta: CountDelta = new Map();
    const transaction: Write[] = writes.map(({ next, event }) => {
      const expectedVersion = next.version - 1;
      const before = stored.get(next.caseId);
      if (expectedVersion === 0 || before?.version === expectedVersion) {
        countCase(delta, before, -1);
        countCase(delta, next, 1);
      }
      const casePut: TransactWriteItem =
        expectedVersion === 0
          ? { Put: { TableName: this.tableName, Item: caseItem(next, this.sla), ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } } }
          : {
              Put: {
                TableName: this.tableName,
                Item: caseItem(next, this.sla),
                ConditionExpression: before ? '#version = :expected AND #ageDays = :age' : '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version', ...(before ? { '#ageDays': 'ageDays' } : {}) },
                ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) }, ...(before ? { ':age': { N: String(before.ageDays) } } : {}) },
              },
            };
      const eventPut: TransactWriteItem = {
        Put: { TableName: this.tableName, Item: eventItem(event), ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } },
      };
      return { caseId: next.caseId, expectedVersion, items: [casePut, eventPut] };
    });
    const counts = this.countsUpdate(delta);
    // A case entering OPEN has its rows before it is OPEN (a lookup never misses an OPEN case's row).
    await inParallel(
      writes.filter(({ next, event }) => entersOpen(next, event)),
      ({ next }) => this.putRows(next),
    );
    await this.transact(transaction, counts ? [counts] : []);
    await inParallel(
      writes.filter(({ next, event }) => leavesOpen(next, event)),
      ({ next }) => this.deleteRows(next.caseId, next.version),
    );
  }

  async applyImport(runId: string, plan: ImportPlan): Promise<boolean> {
    const markerKey = { [PK]: { S: WORKBENCH_KEYS.runPartition(runId) }, [SK]: { S: WORKBENCH_KEYS.runSort } };
    const marker = await awsCall('workbench GetItem', () => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: markerKey, ConsistentRead: true })));
    if (marker.Item) return false;

    // Open rows of the cases the plan makes OPEN, before the cases (a retried import writes the same rows again).
    await this.batchPut(plan.raised.filter(({ next }) => next.status === 'OPEN').flatMap(({ next }) => openRowItems(next)));
    await inParallel(
      plan.reopened.filter(({ next }) => next.status === 'OPEN'),
      ({ next }) => this.putRows(next),
    );
    await this.markCountsReadyIfEmpty();
    const writes: (Write & { delta: CountDelta })[] = [
      ...plan.raised.map(({ next, event }) => ({
        caseId: next.caseId,
        expectedVersion: 0,
        items: [this.raisedCasePut(next, runId), this.idempotentEventPut(event)],
        delta: (() => {
          const delta: CountDelta = new Map();
          countCase(delta, next, 1);
          return delta;
        })(),
      })),
      ...[...plan.reopened, ...plan.cleared].map(({ next, event }) => ({
        caseId: next.caseId,
        expectedVersion: next.version - 1,
        items: [this.systemTransitionPut(next, runId), this.idempotentEventPut(event)],
        // A system transition keeps the reason; it leaves the status its event names.
        delta: (() => {
          const delta: CountDelta = new Map();
          if (event.from) countCase(delta, { status: event.from, reason: next.reason, ageDays: next.ageDays }, -1);
          countCase(delta, next, 1);
          return delta;
        })(),
      })),
    ];
    let chunk: (Write & { delta: CountDelta })[] = [];
    let size = 0;
    for (const write of writes) {
      if (size + write.items.length > IMPORT_CHUNK_ITEMS) {
        await this.importChunk(runId, chunk);
        chunk = [];
        size = 0;
      }
      chunk.push(write);
      size += write.items.length;
    }
    if (chunk.length > 0) await this.importChunk(runId, chunk);
    await this.refreshAll(plan.refreshed);
    await inParallel(plan.cleared, ({ next }) => this.deleteRows(next.caseId, next.version));
    // REC-DASH-1: the run's statistics before its marker, so a crash between them is retried whole.
    if (plan.stats) await this.putRunStats(runId, plan.stats);
    try {
      await awsCall('workbench PutItem', () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              ...markerKey,
              runId: { S: runId },
              raised: { N: String(plan.raised.length) },
              refreshed: { N: String(plan.refreshed.length) },
              reopened: { N: String(plan.reopened.length) },
              cleared: { N: String(plan.cleared.length) },
            },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
          }),
        ),
      );
    } catch (error) {
      // A concurrent import of the same run finished first (its writes and ours were the same).
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
    return true;
  }

  async runStats(): Promise<RunStats[]> {
    const items = await this.queryAll({
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':pk': { S: RUN_STATS_PARTITION } },
      ConsistentRead: true,
    });
    return items.map((item) => JSON.parse(item.stats?.S ?? 'null') as RunStats).filter((stats) => stats !== null);
  }

  /** REC-DASH-1: the age counts summed (a few items), or the open cases read when the table predates the counts. */
  async openCaseAges(): Promise<OpenCaseAge[]> {
    const totals = await this.readCounters();
    if (totals) {
      return [...totals.entries()]
        .filter(([name, n]) => name.startsWith(AGE_COUNTER) && n > 0)
        .map(([name, cases]) => ({ ageDays: Number(name.slice(AGE_COUNTER.length)), cases }))
        .sort((a, b) => a.ageDays - b.ageDays);
    }
    const counts = new Map<number, number>();
    for (const status of OPEN_STATUSES) {
      const items = await this.queryAll({ ...this.statusKey(status), ProjectionExpression: '#age', ExpressionAttributeNames: { '#key': BY_STATUS.partitionKey, '#age': 'ageDays' } });
      for (const item of items) {
        const ageDays = Number(item.ageDays?.N ?? '0');
        counts.set(ageDays, (counts.get(ageDays) ?? 0) + 1);
      }
    }
    return [...counts.entries()].sort(([a], [b]) => a - b).map(([ageDays, cases]) => ({ ageDays, cases }));
  }

  /** The run's statistics item: written once; a retried import finds it written (the same statistics) and goes on. */
  private async putRunStats(runId: string, stats: RunStats): Promise<void> {
    try {
      await awsCall('workbench PutItem', () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: { [PK]: { S: RUN_STATS_PARTITION }, [SK]: { S: runStatsSort(runId) }, runId: { S: runId }, asOf: { S: stats.asOf }, stats: { S: JSON.stringify(stats) } },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
          }),
        ),
      );
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
    }
  }

  /** A raised case: new, or already raised by this run and untouched since (a retried import). */
  private raisedCasePut(c: ExceptionCase, runId: string): TransactWriteItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: caseItem(c, this.sla),
        ConditionExpression: 'attribute_not_exists(#pk) OR (#runId = :run AND #version = :version AND #updatedAt = :updatedAt)',
        ExpressionAttributeNames: { '#pk': PK, '#runId': 'runId', '#version': 'version', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':run': { S: runId }, ':version': { N: String(c.version) }, ':updatedAt': { S: c.updatedAt } },
      },
    };
  }

  /**
   * A refreshed case follows the latest run without a version change (as the embedded store): run
   * id, as-of date (kept when the run gives none), age and the index keys that follow from them,
   * and a grouped case's members with what follows from them (REC-CASE-1) and its open rows.
   * Applied to whatever the stored case is now: it never undoes a person's concurrent action.
   */
  private refreshUpdate(c: ExceptionCase, stored?: StoredState): NonNullable<TransactWriteItem['Update']> {
    const names: Record<string, string> = { '#runId': 'runId', '#ageDays': 'ageDays', '#statusSort': BY_STATUS.sortKey, '#urgencySort': BY_URGENCY.sortKey };
    const values: Record<string, AttributeValue> = {
      ':runId': { S: c.runId },
      ':ageDays': { N: String(c.ageDays) },
      ':statusSort': { S: WORKBENCH_KEYS.statusIndexSort(c.ageDays, c.caseId) },
      ':urgencySort': { S: urgencySortOf(c, this.sla) },
    };
    const set = ['#runId = :runId', '#ageDays = :ageDays', '#statusSort = :statusSort', '#urgencySort = :urgencySort'];
    const remove: string[] = [];
    const assign = (field: keyof ExceptionCase, value: unknown): void => {
      names[`#${field}`] = field;
      if (value === undefined) remove.push(`#${field}`);
      else {
        values[`:${field}`] = marshall({ value }, { removeUndefinedValues: true }).value!;
        set.push(`#${field} = :${field}`);
      }
    };
    if (c.asOf !== undefined) assign('asOf', c.asOf);
    if (c.members) {
      assign('members', c.members);
      assign('totals', c.totals ?? []);
      assign('amount', c.amount);
      assign('ledgerEntryIds', c.ledgerEntryIds);
      assign('detail', c.detail);
    }
    // An age that moves moves the age counts: only from the age and status they were counted at.
    if (!stored) names['#pk'] = PK;
    else {
      names['#status'] = 'status';
      values[':storedAge'] = { N: String(stored.ageDays) };
      values[':storedStatus'] = { S: stored.status };
    }
    return {
      TableName: this.tableName,
      Key: { [PK]: { S: WORKBENCH_KEYS.casePartition(c.caseId) }, [SK]: { S: WORKBENCH_KEYS.caseSort } },
      UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
      ConditionExpression: stored ? '#ageDays = :storedAge AND #status = :storedStatus' : 'attribute_exists(#pk)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }

  /** A refresh that keeps the age: one UpdateItem (a case that is gone is not refreshed, as the embedded store's UPDATE changes no row). */
  private async refresh(c: ExceptionCase): Promise<void> {
    try {
      await awsCall('workbench UpdateItem', () => this.client.send(new UpdateItemCommand(this.refreshUpdate(c))));
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return;
      throw error;
    }
  }

  /** The age counts' change of refreshing `stored` to `c`'s age: none unless the case is OPEN or PENDING_APPROVAL. */
  private static ageDelta(delta: CountDelta, stored: StoredState, c: ExceptionCase): void {
    if (!isOpenStatus(stored.status)) return;
    delta.set(`${AGE_COUNTER}${stored.ageDays}`, (delta.get(`${AGE_COUNTER}${stored.ageDays}`) ?? 0) - 1);
    delta.set(`${AGE_COUNTER}${c.ageDays}`, (delta.get(`${AGE_COUNTER}${c.ageDays}`) ?? 0) + 1);
  }

  /**
   * The import's refreshes, 99 at a time: those that keep the age are plain updates; those that
   * move it are conditional on the age and status read, in one transaction with the age counts'
   * change. A case that moved meanwhile (or a refresh that already happened) is read and tried
   * again on its own. A grouped OPEN case's rows follow its members.
   */
  private async refreshAll(refreshed: readonly ExceptionCase[]): Promise<void> {
    for (let start = 0; start < refreshed.length; start += REFRESH_CHUNK) {
      const chunk = refreshed.slice(start, start + REFRESH_CHUNK);
      const stored = await this.readStates(chunk.map((c) => c.caseId));
      const moving = chunk.filter((c) => stored.has(c.caseId) && stored.get(c.caseId)!.ageDays !== c.ageDays);
      await inParallel(
        chunk.filter((c) => stored.has(c.caseId) && !moving.includes(c)),
        (c) => this.refresh(c),
      );
      if (moving.length > 0) {
        const delta: CountDelta = new Map();
        for (const c of moving) DynamoWorkbenchStore.ageDelta(delta, stored.get(c.caseId)!, c);
        const counts = this.countsUpdate(delta);
        try {
          await this.transact(
            moving.map((c) => ({ caseId: c.caseId, expectedVersion: stored.get(c.caseId)!.version, items: [{ Update: this.refreshUpdate(c, stored.get(c.caseId)) }] })),
            counts ? [counts] : [],
          );
        } catch (error) {
          if (!(error instanceof CaseVersionConflict)) throw error;
          await inParallel(moving, (c) => this.refreshMoving(c));
        }
      }
      await inParallel(
        chunk.filter((c) => c.members && c.status === 'OPEN' && stored.has(c.caseId)),
        (c) => this.refreshRows(c),
      );
    }
  }

  /** One refresh that moves an age, read and written until the case holds still. */
  private async refreshMoving(c: ExceptionCase): Promise<void> {
    for (let attempt = 0; attempt < REFRESH_ATTEMPTS; attempt += 1) {
      if (attempt > 0) await sleep(backoffMs(attempt, 20));
      const stored = (await this.readStates([c.caseId])).get(c.caseId);
      if (!stored) return;
      if (stored.ageDays === c.ageDays) return this.refresh(c);
      const delta: CountDelta = new Map();
      DynamoWorkbenchStore.ageDelta(delta, stored, c);
      const counts = this.countsUpdate(delta);
      try {
        await this.transact([{ caseId: c.caseId, expectedVersion: stored.version, items: [{ Update: this.refreshUpdate(c, stored) }] }], counts ? [counts] : []);
        return;
      } catch (error) {
        if (!(error instanceof CaseVersionConflict)) throw error;
      }
    }
    throw new TransientStoreError(`workbench: case ${c.caseId} kept changing while its refresh was written; the import can be run again`);
  }

  /** REC-CASE-1: a grouped OPEN case's open rows follow its members. */
  private async refreshRows(c: ExceptionCase): Promise<void> {
    const keep = new Set(openRowItems(c).map((item) => item[SK]!.S!));
    await this.putRows(c);
    await this.deleteRows(c.caseId, c.version, (sk) => !keep.has(sk));
  }

  /** A case the import clears or reopens: at the version the plan saw, or already moved by this same plan. */
  private systemTransitionPut(c: ExceptionCase, runId: string): TransactWriteItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: caseItem(c, this.sla),
        ConditionExpression: '#version = :previous OR (#version = :version AND #runId = :run AND #status = :status AND #updatedAt = :updatedAt)',
        ExpressionAttributeNames: { '#version': 'version', '#runId': 'runId', '#status': 'status', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: {
          ':previous': { N: String(c.version - 1) },
          ':version': { N: String(c.version) },
          ':run': { S: runId },
          ':status': { S: c.status },
          ':updatedAt': { S: c.updatedAt },
        },
      },
    };
  }

  /** A system event: new, or the very same event (same action and time) already written by this plan. */
  private idempotentEventPut(event: CaseEvent): TransactWriteItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: eventItem(event),
        ConditionExpression: 'attribute_not_exists(#pk) OR (#action = :action AND #at = :at)',
        ExpressionAttributeNames: { '#pk': PK, '#action': 'action', '#at': 'at' },
        ExpressionAttributeValues: { ':action': { S: event.action }, ':at': { S: event.at } },
      },
    };
  }

  /**
   * One TransactWriteItems of `writes` and then `tail` (a counts update, a chunk marker); a failed
   * condition is a CaseVersionConflict of its case, except a failed chunk marker (tail[markerAt]):
   * the chunk committed before, and 'committed-before' is returned.
   */
  private async transact(writes: readonly Write[], tail: readonly TransactWriteItem[] = [], markerAt?: number): Promise<'written' | 'committed-before'> {
    const items = [...writes.flatMap((write) => write.items), ...tail];
    try {
      await awsCall('workbench TransactWriteItems', () => this.client.send(new TransactWriteItemsCommand({ TransactItems: items })));
      return 'written';
    } catch (error) {
      if (errorName(error) !== 'TransactionCanceledException') throw error;
      const reasons = ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
      if (markerAt !== undefined && reasons[items.length - tail.length + markerAt] === 'ConditionalCheckFailed') return 'committed-before';
      const failed = reasons.findIndex((code) => code === 'ConditionalCheckFailed');
      if (failed >= 0) {
        let index = failed;
        const write = writes.find((candidate) => (index -= candidate.items.length) < 0)!;
        throw new CaseVersionConflict(write.caseId, write.expectedVersion);
      }
      if (reasons.some((code) => TRANSIENT_CANCELLATIONS.has(code))) {
        throw new TransientStoreError(`workbench TransactWriteItems: cancelled (${reasons.join(', ')})`, error);
      }
      throw error;
    }
  }

  private async casesOfAccount(accountId: string): Promise<ExceptionCase[]> {
    const items = await this.queryAll({
      IndexName: BY_ACCOUNT.indexName,
      KeyConditionExpression: '#key = :key',
      ExpressionAttributeNames: { '#key': BY_ACCOUNT.partitionKey },
      ExpressionAttributeValues: { ':key': { S: WORKBENCH_KEYS.accountIndexKey(accountId) } },
    });
    return items.map(fromCaseItem);
  }

  /**
   * Cases of one status (of one account, when `accountId` is given) in the `sort` order, from just
   * after `from` (an index sort key), until `wanted` of them pass `keep`. Unfiltered, each page
   * asks for just what is missing.
   */
  private async casesWithStatus(
    status: CaseStatus,
    sort: 'age' | 'urgency',
    from: string | undefined,
    keep: (c: ExceptionCase) => boolean,
    wanted: number,
    filtered: boolean,
    accountId?: string,
  ): Promise<ExceptionCase[]> {
    const index = accountId === undefined ? (sort === 'urgency' ? BY_URGENCY : BY_STATUS) : sort === 'urgency' ? BY_ACCOUNT_URGENCY : BY_ACCOUNT_STATUS;
    const key = accountId === undefined ? WORKBENCH_KEYS.statusIndexKey(status) : WORKBENCH_KEYS.accountStatusIndexKey(accountId, status);
    const cases: ExceptionCase[] = [];
    const input: QueryInput = {
      IndexName: index.indexName,
      KeyConditionExpression: from === undefined ? '#key = :key' : '#key = :key AND #sort > :from',
      ExpressionAttributeNames: { '#key': index.partitionKey, ...(from === undefined ? {} : { '#sort': index.sortKey }) },
      ExpressionAttributeValues: { ':key': { S: key }, ...(from === undefined ? {} : { ':from': { S: from } }) },
      ScanIndexForward: true,
      ...(filtered ? {} : { Limit: wanted }),
    };
    for await (const page of this.queryPages(input)) {
      for (const item of page.Items ?? []) {
        const c = fromCaseItem(item);
        if (keep(c)) cases.push(c);
      }
      if (cases.length >= wanted) break;
    }
    return cases.slice(0, wanted);
  }

  /** The index sort key a cursor's case sorts at (the urgency key's due day is the cursor's: the store's own rules made it). */
  private indexSortOf(after: CaseSortKey): string {
    return after.sort === 'urgency' ? WORKBENCH_KEYS.urgencyIndexSort(after.dueDay, after.ageDays, after.caseId) : WORKBENCH_KEYS.statusIndexSort(after.ageDays, after.caseId);
  }

  /**
   * Up to `limit` rows from `input` (an index of row or reference items) whose case is OPEN, in the
   * index's order: reads on past rows whose case is not (left behind by a crash or a lost race).
   */
  private async openRowsFrom(input: QueryInput, limit: number, open: Map<string, Promise<boolean>>): Promise<OpenRow[]> {
    const rows: OpenRow[] = [];
    const bounded = Number.isFinite(limit);
    for await (const page of this.queryPages({ ...input, ...(bounded ? { Limit: limit } : {}) })) {
      const found = (page.Items ?? []).flatMap((item) => (item.row?.S ? [JSON.parse(item.row.S) as OpenRow] : []));
      const statuses = await this.casesOpen(
        found.map((row) => row.caseId),
        open,
      );
      for (const row of found) if (statuses.get(row.caseId) && rows.length < limit) rows.push(row);
      if (rows.length >= limit) break;
    }
    return rows;
  }

  /** Whether each case is OPEN, read consistently, each case once per lookup (BatchGetItem of the ones not yet asked). */
  private async casesOpen(caseIds: readonly string[], open: Map<string, Promise<boolean>>): Promise<Map<string, boolean>> {
    const asked = [...new Set(caseIds)].filter((caseId) => !open.has(caseId));
    for (let start = 0; start < asked.length; start += BATCH_GET_KEYS) {
      const batch = asked.slice(start, start + BATCH_GET_KEYS);
      const answer = this.readStatuses(batch);
      for (const caseId of batch)
        open.set(
          caseId,
          answer.then((statuses) => statuses.get(caseId) === 'OPEN'),
        );
    }
    const result = new Map<string, boolean>();
    for (const caseId of new Set(caseIds)) result.set(caseId, await open.get(caseId)!);
    return result;
  }

  /** The stored status, reason and version of each case (consistent BatchGetItem of 100 keys at a time; a missing case is absent). */
  private async readStates(caseIds: readonly string[]): Promise<Map<string, StoredState>> {
    const states = new Map<string, StoredState>();
    const unique = [...new Set(caseIds)];
    for (let start = 0; start < unique.length; start += BATCH_GET_KEYS) {
      let keys: Item[] = unique.slice(start, start + BATCH_GET_KEYS).map((caseId) => ({ [PK]: { S: WORKBENCH_KEYS.casePartition(caseId) }, [SK]: { S: WORKBENCH_KEYS.caseSort } }));
      for (let attempt = 0; keys.length > 0; attempt += 1) {
        if (attempt > 0) await sleep(backoffMs(attempt, 20));
        const result = await awsCall('workbench BatchGetItem', () =>
          this.client.send(
            new BatchGetItemCommand({
              RequestItems: {
                [this.tableName]: {
                  Keys: keys,
                  ConsistentRead: true,
                  ProjectionExpression: '#id, #status, #reason, #age, #version',
                  ExpressionAttributeNames: { '#id': 'caseId', '#status': 'status', '#reason': 'reason', '#age': 'ageDays', '#version': 'version' },
                },
              },
            }),
          ),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) {
          if (item.caseId?.S && item.status?.S) {
            states.set(item.caseId.S, { status: item.status.S, reason: item.reason?.S ?? '', ageDays: Number(item.ageDays?.N ?? '0'), version: Number(item.version?.N ?? '0') });
          }
        }
        keys = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return states;
  }

  private async readStatuses(caseIds: readonly string[]): Promise<Map<string, string>> {
    const states = await this.readStates(caseIds);
    return new Map([...states].map(([caseId, state]) => [caseId, state.status]));
  }

  /** The Update that ADDs `delta` to one counts shard (`shard`, else a random one); none when nothing changes. */
  private countsUpdate(delta: CountDelta, shard = Math.floor(Math.random() * COUNT_SHARDS)): TransactWriteItem | undefined {
    const changes = [...delta.entries()].filter(([, n]) => n !== 0);
    if (changes.length === 0) return undefined;
    return {
      Update: {
        TableName: this.tableName,
        Key: { [PK]: { S: COUNTS_PARTITION }, [SK]: { S: countsShardSort(shard) } },
        UpdateExpression: `ADD ${changes.map((_, i) => `#c${i} :c${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(changes.map(([name], i) => [`#c${i}`, name])),
        ExpressionAttributeValues: Object.fromEntries(changes.map(([, n], i) => [`:c${i}`, { N: String(n) }])),
      },
    };
  }

  /**
   * One transaction of an import: its cases and events, its counts update and a marker named by
   * its content. A retry of the same chunk after it committed (a crash before the run marker)
   * finds the marker and writes (and counts) nothing again.
   */
  private async importChunk(runId: string, chunk: readonly (Write & { delta: CountDelta })[]): Promise<void> {
    const delta: CountDelta = new Map();
    for (const write of chunk) for (const [name, n] of write.delta) delta.set(name, (delta.get(name) ?? 0) + n);
    const hash = createHash('sha256')
      .update(JSON.stringify(chunk.map((write) => [write.caseId, write.expectedVersion])))
      .digest('hex')
      .slice(0, 32);
    const marker: TransactWriteItem = {
      Put: {
        TableName: this.tableName,
        Item: { [PK]: { S: WORKBENCH_KEYS.runPartition(runId) }, [SK]: { S: importChunkSort(hash) }, cases: { N: String(chunk.length) } },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK },
      },
    };
    const counts = this.countsUpdate(delta, parseInt(hash.slice(0, 8), 16) % COUNT_SHARDS);
    await this.transact(chunk, counts ? [marker, counts] : [marker], 0);
  }

  /** The first import into an empty table marks the counts complete (every case since is counted). */
  private async markCountsReadyIfEmpty(): Promise<void> {
    const readyKey = { [PK]: { S: COUNTS_PARTITION }, [SK]: { S: COUNTS_READY } };
    const ready = await awsCall('workbench GetItem', () => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: readyKey, ConsistentRead: true })));
    if (ready.Item) return;
    const any = await Promise.all(CASE_STATUSES.map(async (status) => (await this.queryPages({ ...this.statusKey(status), Limit: 1 }).next()).value?.Items?.length ?? 0));
    if (any.some((n) => n > 0)) return;
    try {
      await awsCall('workbench PutItem', () =>
        this.client.send(new PutItemCommand({ TableName: this.tableName, Item: readyKey, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } })),
      );
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
    }
  }

  /** Writes the case's open rows at its version: each only over rows of the same or an earlier version. */
  private async putRows(c: ExceptionCase): Promise<void> {
    await inParallel(openRowItems(c), async (item) => {
      try {
        await awsCall('workbench PutItem', () =>
          this.client.send(
            new PutItemCommand({
              TableName: this.tableName,
              Item: item,
              ConditionExpression: 'attribute_not_exists(#pk) OR #caseVersion <= :version',
              ExpressionAttributeNames: { '#pk': PK, '#caseVersion': 'caseVersion' },
              ExpressionAttributeValues: { ':version': item.caseVersion! },
            }),
          ),
        );
      } catch (error) {
        // A later version of the case wrote this row already: it stands.
        if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
      }
    });
  }

  /** Deletes the case's open rows written at `version` or before (those `only` selects), never a later version's. */
  private async deleteRows(caseId: string, version: number, only: (sk: string) => boolean = () => true): Promise<void> {
    const keys: Item[] = [];
    for (const prefix of [WORKBENCH_KEYS.rowSortPrefix, WORKBENCH_KEYS.referenceSortPrefix]) {
      const items = await this.queryAll({
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: { ':pk': { S: WORKBENCH_KEYS.casePartition(caseId) }, ':prefix': { S: prefix } },
        ProjectionExpression: '#pk, #sk',
        ConsistentRead: true,
      });
      for (const item of items) if (only(item[SK]!.S!)) keys.push({ [PK]: item[PK]!, [SK]: item[SK]! });
    }
    await inParallel(keys, async (key) => {
      try {
        await awsCall('workbench DeleteItem', () =>
          this.client.send(
            new DeleteItemCommand({
              TableName: this.tableName,
              Key: key,
              ConditionExpression: '#caseVersion <= :version',
              ExpressionAttributeNames: { '#caseVersion': 'caseVersion' },
              ExpressionAttributeValues: { ':version': { N: String(version) } },
            }),
          ),
        );
      } catch (error) {
        // Gone already, or written by a later version (the case is OPEN again): it stands.
        if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
      }
    });
  }

  /** Unconditional puts in BatchWriteItem requests of 25 (an import's new cases' rows), unprocessed items sent again. */
  private async batchPut(items: readonly Item[]): Promise<void> {
    const batches: Item[][] = [];
    for (let start = 0; start < items.length; start += BATCH_WRITE_ITEMS) batches.push(items.slice(start, start + BATCH_WRITE_ITEMS));
    await inParallel(batches, async (batch) => {
      let requests = batch.map((item) => ({ PutRequest: { Item: item } }));
      for (let attempt = 0; requests.length > 0; attempt += 1) {
        // Unprocessed items (throttled) are sent again after a backoff.
        if (attempt > 0) await sleep(backoffMs(attempt, 20));
        const result = await awsCall('workbench BatchWriteItem', () => this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: requests } })));
        requests = (result.UnprocessedItems?.[this.tableName] ?? []).flatMap((request) => (request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item } }] : []));
      }
    });
  }

  private async countStatus(status: CaseStatus): Promise<number> {
    let count = 0;
    for await (const page of this.queryPages({ ...this.statusKey(status), Select: 'COUNT' })) count += page.Count ?? 0;
    return count;
  }

  private async queryAll(input: QueryInput): Promise<Item[]> {
    const items: Item[] = [];
    for await (const page of this.queryPages(input)) items.push(...(page.Items ?? []));
    return items;
  }

  /** The status index's key condition for one status. */
  private statusKey(status: CaseStatus): QueryInput {
    return {
      IndexName: BY_STATUS.indexName,
      KeyConditionExpression: '#key = :key',
      ExpressionAttributeNames: { '#key': BY_STATUS.partitionKey },
      ExpressionAttributeValues: { ':key': { S: WORKBENCH_KEYS.statusIndexKey(status) } },
    };
  }

  /** Every page of a query on the table (the caller may stop early). */
  private async *queryPages(input: QueryInput): AsyncGenerator<QueryCommandOutput> {
    let startKey: Item | undefined;
    do {
      const page = await awsCall('workbench Query', () => this.client.send(new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: startKey })));
      yield page;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
}
