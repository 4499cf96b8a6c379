/**
 * WorkbenchStore on DynamoDB (TABLES.workbench, keys in WORKBENCH_KEYS):
 * - a case is `CASE#<caseId>` / `CASE`, its history `CASE#<caseId>` / `EVENT#<version>`, an
 *   imported run `RUN#<runId>` / `RUN`;
 * - sparse GSIs: `byStatus` (lists, oldest first, and counts) and `byAccount` (casesOfAccounts);
 * - `save` is one TransactWriteItems: the case conditional on the version it started from, and
 *   its event conditional on not existing. A lost condition is a CaseVersionConflict.
 * - `applyImport` writes the plan in transactions of ≤ 100 items (a case and its event always
 *   together). DynamoDB cannot make a larger plan one transaction, so every write is
 *   conditional AND idempotent (re-writing what this same plan already wrote succeeds), and the
 *   run marker is written last: a retried import after a crash completes without duplicating.
 * - each imported run's statistics (REC-DASH-1) are one item `RUNSTATS` / `RUN#<runId>` (the
 *   dashboards read the one partition), written before the run marker, once.
 * Throttling, 5xx and transaction conflicts are TransientStoreError (src/adapters/aws/errors.ts).
 */
import type { AttributeValue, DynamoDBClient, QueryCommandInput, QueryCommandOutput, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand, QueryCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { CaseEvent, CaseStatus, ExceptionCase, ImportPlan } from '../../recon/workbench/cases';
import { CASE_STATUSES } from '../../recon/workbench/cases';
import type { RunStats } from '../../recon/workbench/dashboard';
import type { CaseCounts, CaseFilter, OpenCaseAge, WorkbenchStore } from '../../recon/workbench/ports';
import { CaseVersionConflict } from '../../recon/workbench/ports';
import { TransientStoreError } from '../../ports';
import { awsCall, errorName } from './errors';
import { TABLES, WORKBENCH_INDEXES, WORKBENCH_KEYS } from './tables';

const PK = TABLES.workbench.partitionKey.name;
const SK = TABLES.workbench.sortKey.name;
const BY_STATUS = WORKBENCH_INDEXES.byStatus;
const BY_ACCOUNT = WORKBENCH_INDEXES.byAccount;
/** Attributes the store adds to a case item (keys), dropped when reading it back. */
const KEY_ATTRIBUTES = [PK, SK, BY_STATUS.partitionKey, BY_STATUS.sortKey, BY_ACCOUNT.partitionKey];
const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 1000;
/** DynamoDB's limit of items per TransactWriteItems. */
export const MAX_TRANSACTION_ITEMS = 100;
/** Cancellation reasons that say "try again", not "no". */
const TRANSIENT_CANCELLATIONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);
const OPEN_STATUSES: readonly CaseStatus[] = ['OPEN', 'PENDING_APPROVAL'];

/** REC-DASH-1: the partition of the imported runs' statistics, one item per run. */
export const RUN_STATS_PARTITION = 'RUNSTATS';
export const runStatsSort = (runId: string): string => `RUN#${runId}`;

type Item = Record<string, AttributeValue>;
/** A query on the workbench table: the table name and paging are added by queryPages. */
type QueryInput = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>;

export interface DynamoWorkbenchStoreOptions {
  client: DynamoDBClient;
  tableName: string;
}

/** The item of a case: its fields plus the table and index keys. */
export function caseItem(c: ExceptionCase): Item {
  return marshall(
    {
      ...c,
      [PK]: WORKBENCH_KEYS.casePartition(c.caseId),
      [SK]: WORKBENCH_KEYS.caseSort,
      [BY_STATUS.partitionKey]: WORKBENCH_KEYS.statusIndexKey(c.status),
      [BY_STATUS.sortKey]: WORKBENCH_KEYS.statusIndexSort(c.ageDays, c.caseId),
      [BY_ACCOUNT.partitionKey]: WORKBENCH_KEYS.accountIndexKey(c.accountId),
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

/** Oldest first: ageDays descending, then case id (the byStatus sort key's order). */
function oldestFirst(a: ExceptionCase, b: ExceptionCase): number {
  const byAge = WORKBENCH_KEYS.statusIndexSort(a.ageDays, a.caseId);
  const other = WORKBENCH_KEYS.statusIndexSort(b.ageDays, b.caseId);
  return byAge < other ? -1 : byAge > other ? 1 : 0;
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

interface Write {
  /** The case this write belongs to (for conflicts). */
  caseId: string;
  expectedVersion: number;
  items: TransactWriteItem[];
}

export class DynamoWorkbenchStore implements WorkbenchStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;

  constructor(options: DynamoWorkbenchStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
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

  async list(filter: CaseFilter): Promise<ExceptionCase[]> {
    const limit = Math.min(Math.max(filter.limit ?? DEFAULT_LIMIT, 0), MAX_LIMIT);
    const offset = Math.max(filter.offset ?? 0, 0);
    const wanted = offset + limit;
    if (limit === 0) return [];
    const statuses = filter.status && filter.status.length > 0 ? [...new Set(filter.status)] : CASE_STATUSES;
    let cases: ExceptionCase[];
    if (filter.accountId !== undefined) {
      const wantedStatuses = new Set(statuses);
      cases = (await this.casesOfAccount(filter.accountId)).filter((c) => wantedStatuses.has(c.status) && matches(c, filter));
    } else {
      // Each status reads in order and stops once it has `wanted` matches: the merge's first `wanted` are then exact.
      const perStatus = await Promise.all(statuses.map((status) => this.casesWithStatus(status, (c) => matches(c, filter), wanted)));
      cases = perStatus.flat();
    }
    return cases.sort(oldestFirst).slice(offset, wanted);
  }

  async counts(): Promise<CaseCounts> {
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
    const expectedVersion = next.version - 1;
    const casePut: TransactWriteItem =
      expectedVersion === 0
        ? { Put: { TableName: this.tableName, Item: caseItem(next), ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } } }
        : {
            Put: {
              TableName: this.tableName,
              Item: caseItem(next),
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
            },
          };
    const eventPut: TransactWriteItem = {
      Put: { TableName: this.tableName, Item: eventItem(event), ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } },
    };
    await this.transact([{ caseId: next.caseId, expectedVersion, items: [casePut, eventPut] }]);
  }

  async applyImport(runId: string, plan: ImportPlan): Promise<boolean> {
    const markerKey = { [PK]: { S: WORKBENCH_KEYS.runPartition(runId) }, [SK]: { S: WORKBENCH_KEYS.runSort } };
    const marker = await awsCall('workbench GetItem', () => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: markerKey, ConsistentRead: true })));
    if (marker.Item) return false;

    const writes: Write[] = [
      ...plan.raised.map(({ next, event }) => ({ caseId: next.caseId, expectedVersion: 0, items: [this.raisedCasePut(next, runId), this.idempotentEventPut(event)] })),
      ...plan.refreshed.map((c) => ({ caseId: c.caseId, expectedVersion: c.version, items: [this.refreshedCasePut(c)] })),
      ...[...plan.reopened, ...plan.cleared].map(({ next, event }) => ({
        caseId: next.caseId,
        expectedVersion: next.version - 1,
        items: [this.systemTransitionPut(next, runId), this.idempotentEventPut(event)],
      })),
    ];
    let chunk: Write[] = [];
    let size = 0;
    for (const write of writes) {
      if (size + write.items.length > MAX_TRANSACTION_ITEMS) {
        await this.transact(chunk);
        chunk = [];
        size = 0;
      }
      chunk.push(write);
      size += write.items.length;
    }
    if (chunk.length > 0) await this.transact(chunk);
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

  async openCaseAges(): Promise<OpenCaseAge[]> {
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
        Item: caseItem(c),
        ConditionExpression: 'attribute_not_exists(#pk) OR (#runId = :run AND #version = :version AND #updatedAt = :updatedAt)',
        ExpressionAttributeNames: { '#pk': PK, '#runId': 'runId', '#version': 'version', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':run': { S: runId }, ':version': { N: String(c.version) }, ':updatedAt': { S: c.updatedAt } },
      },
    };
  }

  /** A refreshed case keeps its version: re-writing it (same run id and age) is a no-op. */
  private refreshedCasePut(c: ExceptionCase): TransactWriteItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: caseItem(c),
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': { N: String(c.version) } },
      },
    };
  }

  /** A case the import clears or reopens: at the version the plan saw, or already moved by this same plan. */
  private systemTransitionPut(c: ExceptionCase, runId: string): TransactWriteItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: caseItem(c),
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

  /** One TransactWriteItems of `writes`; a failed condition is a CaseVersionConflict of its case. */
  private async transact(writes: readonly Write[]): Promise<void> {
    const items = writes.flatMap((write) => write.items);
    try {
      await awsCall('workbench TransactWriteItems', () => this.client.send(new TransactWriteItemsCommand({ TransactItems: items })));
    } catch (error) {
      if (errorName(error) !== 'TransactionCanceledException') throw error;
      const reasons = ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
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

  /** Cases of one status, oldest first, until `wanted` of them pass `keep`. */
  private async casesWithStatus(status: CaseStatus, keep: (c: ExceptionCase) => boolean, wanted: number): Promise<ExceptionCase[]> {
    const cases: ExceptionCase[] = [];
    for await (const page of this.queryPages({ ...this.statusKey(status), ScanIndexForward: true })) {
      for (const item of page.Items ?? []) {
        const c = fromCaseItem(item);
        if (keep(c)) cases.push(c);
      }
      if (cases.length >= wanted) break;
    }
    return cases.slice(0, wanted);
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
