/**
 * WB-BULK-1: the BulkJobStore on DynamoDB, in the workbench table (TABLES.workbench), one
 * partition a job, so any Lambda container continues a job another one started:
 *   - `BULK#<jobId>` / `JOB`: the job as created (JSON `job`, without its case ids) and how many chunks;
 *   - `BULK#<jobId>` / `CHUNK#<nnnn>`: a chunk of the job's cases in order (`caseIds`, the first's
 *     index `first`), its results so far (`results`: map item index → {ok, message}), its lease
 *     (`leaseOwner`, `leaseUntil` epoch ms, `leases` how often taken) and `doneAt` once complete.
 * Created by conditional PutItems: every chunk first, the job item last (a job exists once its `JOB`
 * item does; a POST that failed half way leaves chunks nobody reads). A lease is a conditional
 * UpdateItem (not complete, lease expired), a result a conditional SET of its map entry (absent), a
 * completion a conditional SET of `doneAt` (every item has a result). Nothing here carries a case index's key or the `CASE` / `EVENT#` sort keys: the
 * case indexes and the audit stream's decoder skip these items.
 *
 * Running jobs (`unfinished`, the scheduled advancer's list on AWS): the `JOB` item is written with
 * the keys of the sparse index bulkRunning (`bulkState` "RUNNING", `bulkSort` "<startedAt>#<jobId>"),
 * so only a job whose every chunk exists is listed, oldest first, read from the index (no Scan).
 * A job leaves the index when a listing finds every chunk done (a consistent Query of its partition,
 * then a conditional REMOVE of the keys): nothing on a job page's path writes the index, and no crash
 * between a chunk's completion and that REMOVE can leave a finished job listed for good (the next
 * listing removes it).
 */
import type { AttributeValue, DynamoDBClient, QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { BulkItem, BulkJob, BulkJobStore, BulkLease, NewBulkJob } from '../../recon/workbench/ports';
import { awsCall, errorName } from './errors';
import { TABLES, WORKBENCH_INDEXES } from './tables';

const PK = TABLES.workbench.partitionKey.name;
const SK = TABLES.workbench.sortKey.name;

export const BULK_JOB_KEYS = Object.freeze({
  partition: (jobId: string) => `BULK#${jobId}`,
  jobSort: 'JOB',
  chunkSort: (chunk: number) => `CHUNK#${String(chunk).padStart(4, '0')}`,
  chunkSortPrefix: 'CHUNK#',
  /** bulkRunning's partition: every running job. */
  running: 'RUNNING',
  runningSort: (startedAt: string, jobId: string) => `${startedAt}#${jobId}`,
});

const RUNNING = WORKBENCH_INDEXES.bulkRunning;
/** Index entries read a page while listing the running jobs. */
const RUNNING_PAGE = 100;

type Item = Record<string, AttributeValue>;

interface ChunkRecord {
  sk: string;
  first: number;
  caseIds: string[];
  results: Record<string, { ok: boolean; message: string }>;
  leaseUntil: number;
  leases: number;
  doneAt?: string;
}

const chunkNumber = (sk: string): number => Number(sk.slice(BULK_JOB_KEYS.chunkSortPrefix.length));
/** Every chunk the job item counts exists and is complete. */
const allDone = (head: Record<string, unknown>, chunks: readonly Pick<ChunkRecord, 'doneAt'>[]): boolean =>
  chunks.length === Number(head.chunks) && chunks.every((chunk) => chunk.doneAt !== undefined);

export class DynamoBulkJobStore implements BulkJobStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;

  constructor(options: { client: DynamoDBClient; tableName: string }) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  async create(job: NewBulkJob, chunkSize: number): Promise<void> {
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`a bulk job's chunk size is a whole number ≥ 1; got ${chunkSize}`);
    const chunks = Math.max(1, Math.ceil(job.caseIds.length / chunkSize));
    const { caseIds, ...header } = job;
    const pk = BULK_JOB_KEYS.partition(job.jobId);
    const put = (item: Record<string, unknown>) =>
      awsCall('PutItem', () =>
        this.client.send(new PutItemCommand({ TableName: this.tableName, Item: marshall(item), ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } })),
      );
    await Promise.all(
      Array.from({ length: chunks }, (_, chunk) =>
        put({ [PK]: pk, [SK]: BULK_JOB_KEYS.chunkSort(chunk), first: chunk * chunkSize, caseIds: caseIds.slice(chunk * chunkSize, (chunk + 1) * chunkSize), results: {}, leaseUntil: 0, leases: 0 }),
      ),
    );
    await put({
      [PK]: pk,
      [SK]: BULK_JOB_KEYS.jobSort,
      job: JSON.stringify(header),
      chunks,
      [RUNNING.partitionKey]: BULK_JOB_KEYS.running,
      [RUNNING.sortKey]: BULK_JOB_KEYS.runningSort(job.startedAt, job.jobId),
    });
  }

  async get(jobId: string): Promise<BulkJob | undefined> {
    const items = await this.queryAll({
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':pk': { S: BULK_JOB_KEYS.partition(jobId) } },
    });
    const records = items.map((item) => unmarshall(item));
    const head = records.find((record) => record[SK] === BULK_JOB_KEYS.jobSort);
    if (!head) return undefined;
    const chunks = records.filter((record) => String(record[SK]).startsWith(BULK_JOB_KEYS.chunkSortPrefix)) as ChunkRecord[];
    chunks.sort((a, b) => a.first - b.first);
    const header = JSON.parse(String(head.job)) as Omit<NewBulkJob, 'caseIds'>;
    const caseIds = chunks.flatMap((chunk) => chunk.caseIds ?? []);
    const items_: BulkItem[] = [];
    for (const chunk of chunks) {
      (chunk.caseIds ?? []).forEach((caseId, offset) => {
        const result = chunk.results?.[String(chunk.first + offset)];
        if (result) items_.push({ caseId, ok: result.ok, message: result.message });
      });
    }
    const complete = allDone(head, chunks);
    const finishedAt = complete
      ? chunks
          .map((chunk) => chunk.doneAt!)
          .sort()
          .at(-1)
      : undefined;
    return { ...header, caseIds, items: items_, state: complete ? 'done' : 'running', ...(finishedAt ? { finishedAt } : {}) };
  }

  async lease(jobId: string, owner: string, now: number, leaseMs: number): Promise<BulkLease | undefined> {
    const free = await this.queryAll({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :chunk)',
      ProjectionExpression: '#sk, doneAt, leaseUntil',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': { S: BULK_JOB_KEYS.partition(jobId) }, ':chunk': { S: BULK_JOB_KEYS.chunkSortPrefix } },
    });
    for (const candidate of free.map((item) => unmarshall(item))) {
      if (candidate.doneAt !== undefined || Number(candidate.leaseUntil ?? 0) > now) continue;
      const until = now + leaseMs;
      try {
        const taken = await awsCall('UpdateItem', () =>
          this.client.send(
            new UpdateItemCommand({
              TableName: this.tableName,
              Key: { [PK]: { S: BULK_JOB_KEYS.partition(jobId) }, [SK]: { S: String(candidate[SK]) } },
              UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until, leases = leases + :one',
              ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(doneAt) AND leaseUntil <= :now',
              ExpressionAttributeNames: { '#pk': PK },
              ExpressionAttributeValues: { ':owner': { S: owner }, ':until': { N: String(until) }, ':one': { N: '1' }, ':now': { N: String(now) } },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        );
        const chunk = unmarshall(taken.Attributes!) as ChunkRecord;
        const pending = chunk.caseIds.map((caseId, offset) => ({ index: chunk.first + offset, caseId })).filter(({ index }) => !chunk.results?.[String(index)]);
        return { jobId, chunk: chunkNumber(chunk.sk), owner, until, pending };
      } catch (error) {
        // Another advancer took it between the read and the write: try the next one.
        if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
      }
    }
    return undefined;
  }

  async record(lease: BulkLease, index: number, item: BulkItem): Promise<boolean> {
    try {
      await awsCall('UpdateItem', () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { [PK]: { S: BULK_JOB_KEYS.partition(lease.jobId) }, [SK]: { S: BULK_JOB_KEYS.chunkSort(lease.chunk) } },
            UpdateExpression: 'SET #results.#index = :result',
            ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#results.#index)',
            ExpressionAttributeNames: { '#pk': PK, '#results': 'results', '#index': String(index) },
            ExpressionAttributeValues: { ':result': { M: marshall({ ok: item.ok, message: item.message }) } },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async complete(lease: BulkLease, at: string): Promise<boolean> {
    try {
      await awsCall('UpdateItem', () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { [PK]: { S: BULK_JOB_KEYS.partition(lease.jobId) }, [SK]: { S: BULK_JOB_KEYS.chunkSort(lease.chunk) } },
            UpdateExpression: 'SET doneAt = :at, leaseUntil = :zero REMOVE leaseOwner',
            ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(doneAt) AND size(#results) = size(#caseIds)',
            ExpressionAttributeNames: { '#pk': PK, '#results': 'results', '#caseIds': 'caseIds' },
            ExpressionAttributeValues: { ':at': { S: at }, ':zero': { N: '0' } },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async unfinished(limit = Number.POSITIVE_INFINITY): Promise<string[]> {
    const found: string[] = [];
    let start: Item | undefined;
    do {
      const page = await awsCall('Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: RUNNING.indexName,
            KeyConditionExpression: '#state = :running',
            ExpressionAttributeNames: { '#state': RUNNING.partitionKey },
            ExpressionAttributeValues: { ':running': { S: BULK_JOB_KEYS.running } },
            Limit: RUNNING_PAGE,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      for (const entry of page.Items ?? []) {
        const jobId = String(entry[PK]?.S ?? '').slice(BULK_JOB_KEYS.partition('').length);
        if (!(await this.stillRunning(jobId))) continue;
        found.push(jobId);
        if (found.length >= limit) return found;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  }

  /** Whether the job has a chunk not complete (read consistently); a job found done leaves bulkRunning. */
  private async stillRunning(jobId: string): Promise<boolean> {
    const records = (
      await this.queryAll({
        KeyConditionExpression: '#pk = :pk',
        ProjectionExpression: '#sk, doneAt, #chunks',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#chunks': 'chunks' },
        ExpressionAttributeValues: { ':pk': { S: BULK_JOB_KEYS.partition(jobId) } },
      })
    ).map((item) => unmarshall(item));
    const head = records.find((record) => record[SK] === BULK_JOB_KEYS.jobSort);
    if (!head) return false;
    const chunks = records.filter((record) => String(record[SK]).startsWith(BULK_JOB_KEYS.chunkSortPrefix)) as Pick<ChunkRecord, 'doneAt'>[];
    if (!allDone(head, chunks)) return true;
    try {
      await awsCall('UpdateItem', () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { [PK]: { S: BULK_JOB_KEYS.partition(jobId) }, [SK]: { S: BULK_JOB_KEYS.jobSort } },
            UpdateExpression: 'REMOVE #state, #sort',
            ConditionExpression: 'attribute_exists(#state)',
            ExpressionAttributeNames: { '#state': RUNNING.partitionKey, '#sort': RUNNING.sortKey },
          }),
        ),
      );
    } catch (error) {
      // Another listing removed it first.
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
    }
    return false;
  }

  private async queryAll(input: Omit<QueryCommandInput, 'TableName' | 'ConsistentRead'>): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await awsCall('Query', () => this.client.send(new QueryCommand({ ...input, TableName: this.tableName, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) })));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
