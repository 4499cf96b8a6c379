/**
 * COST-1: what the deployment rehearsal counts for the bill. One Meter, fed by hooks in the
 * stand-ins (gateway, EventBridge, SQS, event-source mappings, Lambda hosts, Step Functions),
 * counts while `recording` is on (the rehearsal turns it on for the traffic and the sweeper, off
 * for the deploy-time steps, the reconciliation and its own reads):
 * - SDK requests per caller and service:Operation;
 * - DynamoDB capacity computed from item sizes by DynamoDB's rules (dynalite reports none for
 *   transactions, index writes or failed conditions): a write consumes 1 unit per KB of the larger
 *   of the item before and after, rounded up (at least 1); a failed condition consumes the size of
 *   the item as it is; TransactWriteItems doubles every item (a cancelled one included: its
 *   prepare phase ran); each global or local secondary index whose entry is put, changed or
 *   removed consumes 1 unit per KB of the entry (2 entries when its key changes); a read consumes
 *   1 unit per 4 KB of the items evaluated (before any filter or projection), half for an
 *   eventually consistent read, 2 per item in TransactGetItems; a missing item still costs the
 *   minimum. Sizes follow DynamoDB's item size rules (names + values, numbers by significant
 *   digits, 3 bytes + 1 per element for lists and maps);
 * - the most written items (the hot-item quota) with their measured write latency;
 * - EventBridge: PutEvents calls, events ingested per bus in 64 KB chunks, S3 events, rule target
 *   deliveries, archived bytes;
 * - SQS: billed requests per queue (each 64 KB chunk one request; Lambda's poller receives at most
 *   10 messages per ReceiveMessage and deletes at most 10 per DeleteMessageBatch), messages, and
 *   the producing and consuming principals (SSE-KMS data keys are per principal);
 * - Lambda invocations, their billed duration (each invocation's measured wall time rounded up to
 *   the millisecond), cold starts and the bytes each function logged;
 * - S3 requests by price class, Step Functions state transitions.
 */
import { COUNTS_FORMAT, type LambdaCounts, type MeasuredCounts } from '../src/cost/counts';
import { Exact } from '../src/cost/exact';
import type { TableDefinition, IndexDefinition } from './deployment';
import type { DynamoResponse } from './dynamo';
import { matchesEventPattern } from './event-pattern';
import type { JsonObject } from './terraform';

export type AttributeValue = Record<string, unknown>;
export type Item = Record<string, AttributeValue>;

const KB = 1024;
const CHUNK = 64 * 1024;
/** Lambda's SQS poller: ReceiveMessage and DeleteMessageBatch take at most 10 messages. */
export const SQS_BATCH_LIMIT = 10;

// ---------------------------------------------------------------------------------------------
// DynamoDB item size (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html)

function utf8(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** A number's size: 1 byte per two significant digits, plus 1. */
export function numberSize(text: string): number {
  const digits = text
    .trim()
    .replace(/^[+-]/, '')
    .replace(/[eE][+-]?[0-9]+$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(digits.length / 2) + 1;
}

export function valueSize(value: AttributeValue): number {
  const [type, inner] = Object.entries(value)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return utf8(String(inner));
    case 'N':
      return numberSize(String(inner));
    case 'B':
      return typeof inner === 'string' ? Buffer.from(inner, 'base64').length : Buffer.byteLength(inner as Uint8Array);
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (inner as string[]).reduce((n, s) => n + utf8(s), 0);
    case 'NS':
      return (inner as string[]).reduce((n, s) => n + numberSize(s), 0);
    case 'BS':
      return (inner as string[]).reduce((n, s) => n + Buffer.from(s, 'base64').length, 0);
    case 'L':
      return 3 + (inner as AttributeValue[]).reduce((n, element) => n + 1 + valueSize(element), 0);
    case 'M':
      return 3 + Object.entries(inner as Item).reduce((n, [name, element]) => n + 1 + utf8(name) + valueSize(element), 0);
    default:
      return 0;
  }
}

/** An item's size in bytes by DynamoDB's rules. */
export function itemSize(item: Item | undefined): number {
  if (!item) return 0;
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8(name) + valueSize(value);
  return size;
}

/** Write units of one item write: 1 per KB, rounded up, at least 1. */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / KB));
}

/** Read units of `bytes` read, in HALF units: 1 unit per 4 KB, at least 1; eventually consistent ½. */
export function readHalfUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / (4 * KB)));
  return consistent ? units * 2 : units;
}

function sameItem(a: Item | undefined, b: Item | undefined): boolean {
  if (!a || !b) return a === b;
  const canonical = (item: Item) =>
    JSON.stringify(
      Object.keys(item)
        .sort()
        .map((key) => [key, item[key]]),
    );
  return canonical(a) === canonical(b);
}

function pick(item: Item, names: Iterable<string>): Item {
  const out: Item = {};
  for (const name of names) if (item[name] !== undefined) out[name] = item[name]!;
  return out;
}

/** The entry `item` has in `index` (undefined when the item lacks the index's key attributes). */
export function indexEntry(table: TableDefinition, index: IndexDefinition, local: boolean, item: Item | undefined): Item | undefined {
  if (!item) return undefined;
  const hash = local ? table.hashKey : index.hashKey;
  if (!item[hash] || (index.rangeKey && !item[index.rangeKey])) return undefined;
  const keys = [table.hashKey, ...(table.rangeKey ? [table.rangeKey] : []), hash, ...(index.rangeKey ? [index.rangeKey] : [])];
  if (index.projectionType === 'KEYS_ONLY') return pick(item, keys);
  if (index.projectionType === 'INCLUDE') return pick(item, [...keys, ...(index.nonKeyAttributes ?? [])]);
  return item;
}

/** Write units the table's secondary indexes consume when an item goes from `before` to `after`. */
export function indexWriteUnits(table: TableDefinition, before: Item | undefined, after: Item | undefined): number {
  let units = 0;
  const indexes: [IndexDefinition, boolean][] = [
    ...table.globalSecondaryIndexes.map((index): [IndexDefinition, boolean] => [index, false]),
    ...table.localSecondaryIndexes.map((index): [IndexDefinition, boolean] => [index, true]),
  ];
  for (const [index, local] of indexes) {
    const old = indexEntry(table, index, local, before);
    const next = indexEntry(table, index, local, after);
    if (!old && !next) continue;
    if (!old) units += writeUnits(itemSize(next));
    else if (!next) units += writeUnits(itemSize(old));
    else {
      const hash = local ? table.hashKey : index.hashKey;
      const keyNames = [hash, ...(index.rangeKey ? [index.rangeKey] : [])];
      const keyChanged = keyNames.some((name) => JSON.stringify(old[name]) !== JSON.stringify(next[name]));
      if (keyChanged) units += writeUnits(itemSize(old)) + writeUnits(itemSize(next));
      else if (!sameItem(old, next)) units += writeUnits(itemSize(next));
    }
  }
  return units;
}

/** "pk=BAL#ACC-1#0" (key attributes in name order, their scalar values). */
export function keyText(key: Item): string {
  return Object.keys(key)
    .sort()
    .map((name) => `${name}=${String(Object.values(key[name] ?? {})[0] ?? '')}`)
    .join(',');
}

// ---------------------------------------------------------------------------------------------

export interface DynamoAccess {
  table(name: string): TableDefinition | undefined;
  /** Sends a request to the DynamoDB stand-in as is (not metered). */
  forward(operation: string, body: string): Promise<DynamoResponse>;
}

export interface ArchiveDefinition {
  name: string;
  busName: string;
  pattern?: JsonObject;
}

interface WriteTarget {
  table: TableDefinition;
  key: Item;
  kind: 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
  newItem?: Item;
  conditional: boolean;
}

interface TableTally {
  readHalfUnits: number;
  writeUnits: number;
  requests: Map<string, number>;
  conditionalFailures: number;
  transactionsCancelled: number;
  principals: Set<string>;
}

interface HotTally {
  table: string;
  key: string;
  writes: number;
  attempts: number;
  conditionalAttempts: number;
  writeUnits: number;
  latencyMicros: number;
  minLatencyMicros: number;
}

interface QueueTally {
  sendRequests: number;
  receiveRequests: number;
  deleteRequests: number;
  otherRequests: number;
  sentMessages: number;
  /** Message chunks counted send requests announced and their messages have not used yet. */
  announcedChunks: number;
  /** Billed messages no counted request covered, sent in the current synchronous burst of each origin. */
  burst: Map<string, number[]>;
  receivedMessages: number;
  deletedMessages: number;
  producers: Set<string>;
  consumers: Set<string>;
}

/** A function's running tally: exactly the counts it reports. */
type LambdaTally = LambdaCounts;

interface BusTally {
  putEventsRequests: number;
  customEvents: number;
  customChunks: number;
  awsServiceEvents: number;
  awsServiceChunks: number;
  deliveries: Map<string, number>;
}

const chunks = (bytes: number) => Math.max(1, Math.ceil(bytes / CHUNK));

/** The billed size of a PutEvents entry (EventBridge's entry size rules). */
export function putEventsEntrySize(entry: { Time?: unknown; Source?: string; DetailType?: string; Detail?: string; Resources?: string[] }): number {
  return (
    (entry.Time !== undefined ? 14 : 0) + utf8(entry.Source ?? '') + utf8(entry.DetailType ?? '') + utf8(entry.Detail ?? '') + (entry.Resources ?? []).reduce((n, resource) => n + utf8(resource), 0)
  );
}

/** S3 request price classes (DELETE and abort are free). */
export function s3PriceClass(operation: string): 'put' | 'get' | 'free' {
  if (/^(Delete|AbortMultipartUpload)/.test(operation)) return 'free';
  if (/^(Put|Copy|Post|List|CreateMultipartUpload|UploadPart|CompleteMultipartUpload|RestoreObject)/.test(operation)) return 'put';
  return 'get';
}

export class Meter {
  /** Counting is on only while this is true. */
  recording = false;
  readonly requests = new Map<string, Map<string, number>>();
  private readonly tables = new Map<string, TableTally>();
  private readonly hot = new Map<string, HotTally>();
  private readonly queues = new Map<string, QueueTally>();
  private readonly lambdas = new Map<string, LambdaTally>();
  private readonly buses = new Map<string, BusTally>();
  private readonly archives = new Map<string, { events: number; bytes: number }>();
  private readonly rules = new Map<string, number>();
  private readonly buckets = new Map<string, { putClass: number; getClass: number; free: number; bytesPut: number; principals: Set<string> }>();
  private readonly machines = new Map<string, { executions: number; transitions: number }>();
  private readonly mappings = new Map<string, { queue: string; function: string; batches: number; messages: number; durationMicros: number }>();

  private readonly pending = new Set<Promise<void>>();
  /** Accounting that failed (reported by settled()). */
  private readonly failures: string[] = [];

  constructor(private readonly archiveDefinitions: readonly ArchiveDefinition[] = []) {}

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => {
      this.failures.push((error as Error).message);
    });
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  /** Waits for the accounting still running; throws when some could not be done. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    if (this.failures.length > 0) throw new Error(`metering failed ${this.failures.length}×: ${this.failures[0]}`);
  }

  // --- SDK requests -----------------------------------------------------------------------------
  request(caller: string, service: string, operation: string): void {
    if (!this.recording) return;
    const byOperation = this.requests.get(caller) ?? new Map<string, number>();
    byOperation.set(`${service}:${operation}`, (byOperation.get(`${service}:${operation}`) ?? 0) + 1);
    this.requests.set(caller, byOperation);
  }

  // --- DynamoDB ---------------------------------------------------------------------------------
  private table(name: string): TableTally {
    let tally = this.tables.get(name);
    if (!tally) this.tables.set(name, (tally = { readHalfUnits: 0, writeUnits: 0, requests: new Map(), conditionalFailures: 0, transactionsCancelled: 0, principals: new Set() }));
    return tally;
  }

  /**
   * Serves one DynamoDB API request through `serve`, metering its consumed capacity: the items
   * before (and after) are read from the stand-in directly, unmetered.
   */
  async dynamo(caller: string, operation: string, input: Record<string, unknown>, access: DynamoAccess, serve: () => Promise<DynamoResponse>): Promise<DynamoResponse> {
    if (!this.recording) return serve();
    const tableNames = typeof input.TableName === 'string' ? [input.TableName] : Object.keys((input.RequestItems ?? {}) as object);
    if (operation === 'TransactWriteItems' || operation === 'TransactGetItems')
      for (const item of (input.TransactItems ?? []) as Record<string, { TableName?: string }>[]) tableNames.push(String(Object.values(item)[0]?.TableName ?? ''));
    for (const name of new Set(tableNames)) {
      const tally = this.table(name);
      tally.requests.set(operation, (tally.requests.get(operation) ?? 0) + 1);
      tally.principals.add(caller);
    }
    switch (operation) {
      case 'GetItem':
      case 'Query':
      case 'Scan':
      case 'BatchGetItem':
      case 'TransactGetItems': {
        const response = await serve();
        // Sized after the response is on its way: the probe does not lengthen the caller's request.
        if (response.status === 200) this.track(this.meterRead(operation, input, response, access));
        return response;
      }
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem':
      case 'BatchWriteItem':
      case 'TransactWriteItems':
        return this.meterWrite(operation, input, access, serve);
      default:
        return serve();
    }
  }

  private async fullItems(access: DynamoAccess, tableName: string, keys: Item[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    const unique = [...new Map(keys.map((key) => [keyText(key), key])).values()];
    for (let start = 0; start < unique.length; start += 100) {
      let request: Record<string, unknown> = { [tableName]: { Keys: unique.slice(start, start + 100), ConsistentRead: true } };
      for (let round = 0; round < 10 && Object.keys(request).length > 0; round += 1) {
        const response = await access.forward('BatchGetItem', JSON.stringify({ RequestItems: request }));
        if (response.status !== 200) throw new Error(`metering: reading ${tableName} items failed: ${response.body.slice(0, 200)}`);
        const output = JSON.parse(response.body) as { Responses?: Record<string, Item[]>; UnprocessedKeys?: Record<string, unknown> };
        const table = access.table(tableName)!;
        for (const item of output.Responses?.[tableName] ?? []) found.set(keyText(pick(item, [table.hashKey, ...(table.rangeKey ? [table.rangeKey] : [])])), item);
        request = output.UnprocessedKeys ?? {};
      }
    }
    return found;
  }

  private keyOf(table: TableDefinition, item: Item): Item {
    return pick(item, [table.hashKey, ...(table.rangeKey ? [table.rangeKey] : [])]);
  }

  private async meterRead(operation: string, input: Record<string, unknown>, response: DynamoResponse, access: DynamoAccess): Promise<void> {
    if (operation === 'GetItem') {
      const table = access.table(String(input.TableName));
      if (!table) return;
      const projected = input.ProjectionExpression !== undefined || input.AttributesToGet !== undefined;
      const item = projected ? (await this.fullItems(access, table.name, [input.Key as Item])).get(keyText(input.Key as Item)) : (JSON.parse(response.body) as { Item?: Item }).Item;
      this.table(table.name).readHalfUnits += readHalfUnits(itemSize(item), input.ConsistentRead === true);
      return;
    }
    if (operation === 'BatchGetItem' || operation === 'TransactGetItems') {
      const gets: { table: string; key: Item; consistent: boolean }[] =
        operation === 'BatchGetItem'
          ? Object.entries((input.RequestItems ?? {}) as Record<string, { Keys?: Item[]; ConsistentRead?: boolean }>).flatMap(([table, request]) =>
              (request.Keys ?? []).map((key) => ({ table, key, consistent: request.ConsistentRead === true })),
            )
          : ((input.TransactItems ?? []) as { Get?: { TableName: string; Key: Item } }[]).flatMap((item) => (item.Get ? [{ table: item.Get.TableName, key: item.Get.Key, consistent: true }] : []));
      const byTable = new Map<string, Item[]>();
      for (const get of gets) byTable.set(get.table, [...(byTable.get(get.table) ?? []), get.key]);
      for (const [tableName, keys] of byTable) {
        if (!access.table(tableName)) continue;
        const items = await this.fullItems(access, tableName, keys);
        for (const get of gets.filter((candidate) => candidate.table === tableName)) {
          const half = readHalfUnits(itemSize(items.get(keyText(get.key))), get.consistent);
          this.table(tableName).readHalfUnits += operation === 'TransactGetItems' ? half * 2 : half;
        }
      }
      return;
    }
    // Query / Scan: the items evaluated, read again without projection or filter (same page).
    const table = access.table(String(input.TableName));
    if (!table) return;
    const shadow: Record<string, unknown> = { ...input };
    for (const field of ['ProjectionExpression', 'FilterExpression', 'Select', 'AttributesToGet', 'QueryFilter', 'ScanFilter', 'ConditionalOperator', 'ReturnConsumedCapacity']) delete shadow[field];
    const used = String(input.KeyConditionExpression ?? '');
    const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
    const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
    const keptNames = Object.fromEntries(Object.entries(names).filter(([token]) => used.includes(token)));
    const keptValues = Object.fromEntries(Object.entries(values).filter(([token]) => new RegExp(`${token.replace(/[$]/g, '\\$')}(?![A-Za-z0-9_])`).test(used)));
    delete shadow.ExpressionAttributeNames;
    delete shadow.ExpressionAttributeValues;
    if (Object.keys(keptNames).length > 0) shadow.ExpressionAttributeNames = keptNames;
    if (Object.keys(keptValues).length > 0) shadow.ExpressionAttributeValues = keptValues;
    const again = await access.forward(operation, JSON.stringify(shadow));
    const items = again.status === 200 ? ((JSON.parse(again.body) as { Items?: Item[] }).Items ?? []) : ((JSON.parse(response.body) as { Items?: Item[] }).Items ?? []);
    const bytes = items.reduce((n, item) => n + itemSize(item), 0);
    this.table(table.name).readHalfUnits += readHalfUnits(bytes, input.ConsistentRead === true);
  }

  private writeTargets(operation: string, input: Record<string, unknown>, access: DynamoAccess): WriteTarget[] {
    const targets: WriteTarget[] = [];
    const conditional = (request: Record<string, unknown>) => request.ConditionExpression !== undefined || request.Expected !== undefined;
    const add = (tableName: string, kind: WriteTarget['kind'], request: Record<string, unknown>) => {
      const table = access.table(tableName);
      if (!table) return;
      const newItem = kind === 'Put' ? (request.Item as Item) : undefined;
      const key = newItem ? this.keyOf(table, newItem) : (request.Key as Item);
      if (!key) return;
      targets.push({ table, key, kind, newItem, conditional: kind === 'ConditionCheck' || conditional(request) });
    };
    if (operation === 'PutItem') add(String(input.TableName), 'Put', input);
    else if (operation === 'UpdateItem') add(String(input.TableName), 'Update', input);
    else if (operation === 'DeleteItem') add(String(input.TableName), 'Delete', input);
    else if (operation === 'BatchWriteItem') {
      for (const [tableName, writes] of Object.entries((input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]>))
        for (const write of writes) {
          if (write.PutRequest) add(tableName, 'Put', { Item: write.PutRequest.Item });
          else if (write.DeleteRequest) add(tableName, 'Delete', { Key: write.DeleteRequest.Key });
        }
    } else {
      for (const item of (input.TransactItems ?? []) as Record<string, Record<string, unknown>>[]) {
        const [kind, request] = Object.entries(item)[0] ?? [];
        if (!request || !['Put', 'Update', 'Delete', 'ConditionCheck'].includes(String(kind))) continue;
        add(String(request.TableName), kind as WriteTarget['kind'], request);
      }
    }
    return targets;
  }

  private async meterWrite(operation: string, input: Record<string, unknown>, access: DynamoAccess, serve: () => Promise<DynamoResponse>): Promise<DynamoResponse> {
    const targets = this.writeTargets(operation, input, access);
    const before = new Map<WriteTarget, Item | undefined>();
    const byTable = new Map<string, WriteTarget[]>();
    for (const target of targets) byTable.set(target.table.name, [...(byTable.get(target.table.name) ?? []), target]);
    for (const [tableName, list] of byTable) {
      const items = await this.fullItems(
        access,
        tableName,
        list.map((target) => target.key),
      );
      for (const target of list) before.set(target, items.get(keyText(target.key)));
    }
    const started = performance.now();
    const response = await serve();
    const latencyMicros = Math.round((performance.now() - started) * 1000);
    let type: string | undefined;
    if (response.status !== 200) {
      try {
        type = String((JSON.parse(response.body) as { __type?: string }).__type ?? '')
          .split('#')
          .pop();
      } catch {
        type = 'UnknownError';
      }
    }
    if (response.status !== 200 && type !== 'ConditionalCheckFailedException' && type !== 'TransactionCanceledException') return response;
    // Accounted after the response is on its way (an updated item is read back meanwhile).
    this.track(this.accountWrite(operation, input, access, targets, before, response, { type, latencyMicros }));
    return response;
  }

  private async accountWrite(
    operation: string,
    input: Record<string, unknown>,
    access: DynamoAccess,
    targets: WriteTarget[],
    before: Map<WriteTarget, Item | undefined>,
    response: DynamoResponse,
    outcome: { type?: string; latencyMicros: number },
  ): Promise<void> {
    const { type, latencyMicros } = outcome;
    const transactional = operation === 'TransactWriteItems';
    const failedCondition = type === 'ConditionalCheckFailedException';
    const cancelled = type === 'TransactionCanceledException';
    let unprocessed = new Set<string>();
    if (operation === 'BatchWriteItem' && response.status === 200) {
      const output = JSON.parse(response.body) as { UnprocessedItems?: Record<string, { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]> };
      unprocessed = new Set(
        Object.entries(output.UnprocessedItems ?? {}).flatMap(([tableName, writes]) => {
          const table = access.table(tableName);
          return table ? writes.map((write) => `${tableName} ${keyText(write.PutRequest ? this.keyOf(table, write.PutRequest.Item) : write.DeleteRequest!.Key)}`) : [];
        }),
      );
    }
    if (cancelled) this.table(targets[0]?.table.name ?? String(input.TableName ?? '')).transactionsCancelled += 1;
    const after = new Map<WriteTarget, Item | undefined>();
    if (response.status === 200) {
      const updates = targets.filter((target) => target.kind === 'Update');
      for (const [tableName, list] of new Map(updates.map((target) => [target.table.name, updates.filter((candidate) => candidate.table.name === target.table.name)]))) {
        const items = await this.fullItems(
          access,
          tableName,
          list.map((target) => target.key),
        );
        for (const target of list) after.set(target, items.get(keyText(target.key)));
      }
      for (const target of targets) {
        if (target.kind === 'Put') after.set(target, target.newItem);
        else if (target.kind === 'Delete') after.set(target, undefined);
        else if (target.kind === 'ConditionCheck') after.set(target, before.get(target));
      }
    }
    for (const target of targets) {
      const tally = this.table(target.table.name);
      const old = before.get(target);
      const id = `${target.table.name} ${keyText(target.key)}`;
      if (unprocessed.has(id)) continue;
      let units: number;
      let succeeded = false;
      if (response.status === 200) {
        const next = after.get(target);
        units = writeUnits(Math.max(itemSize(old), itemSize(next))) * (transactional ? 2 : 1);
        if (target.kind !== 'ConditionCheck') units += indexWriteUnits(target.table, old, next);
        succeeded = target.kind !== 'ConditionCheck';
      } else {
        units = writeUnits(itemSize(old)) * (transactional ? 2 : 1);
        if (failedCondition) tally.conditionalFailures += 1;
      }
      tally.writeUnits += units;
      if (target.kind === 'ConditionCheck') continue;
      const hot = this.hot.get(id) ?? {
        table: target.table.name,
        key: keyText(target.key),
        writes: 0,
        attempts: 0,
        conditionalAttempts: 0,
        writeUnits: 0,
        latencyMicros: 0,
        minLatencyMicros: Number.MAX_SAFE_INTEGER,
      };
      hot.attempts += 1;
      if (target.conditional) hot.conditionalAttempts += 1;
      if (succeeded) hot.writes += 1;
      hot.writeUnits += units;
      hot.latencyMicros += latencyMicros;
      hot.minLatencyMicros = Math.min(hot.minLatencyMicros, latencyMicros);
      this.hot.set(id, hot);
    }
    if (cancelled) {
      const reasons = ((JSON.parse(response.body) as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).filter((reason) => reason?.Code === 'ConditionalCheckFailed').length;
      this.table(targets[0]?.table.name ?? '').conditionalFailures += reasons;
    }
  }

  // --- EventBridge ------------------------------------------------------------------------------
  private bus(name: string): BusTally {
    let tally = this.buses.get(name);
    if (!tally) this.buses.set(name, (tally = { putEventsRequests: 0, customEvents: 0, customChunks: 0, awsServiceEvents: 0, awsServiceChunks: 0, deliveries: new Map() }));
    return tally;
  }

  /** One PutEvents API call (the bus of its first entry). */
  putEventsRequest(bus: string): void {
    if (this.recording) this.bus(bus).putEventsRequests += 1;
  }

  /** A custom event accepted on `bus` (its PutEvents entry size). */
  customEvent(bus: string, entrySize: number): void {
    if (!this.recording) return;
    const tally = this.bus(bus);
    tally.customEvents += 1;
    tally.customChunks += chunks(entrySize);
  }

  /** An event routed on `bus`: AWS service events are counted here, every event against the archives. */
  routedEvent(bus: string, event: { source: string } & Record<string, unknown>): void {
    if (!this.recording) return;
    const bytes = Buffer.byteLength(JSON.stringify(event));
    if (event.source.startsWith('aws.')) {
      const tally = this.bus(bus);
      tally.awsServiceEvents += 1;
      tally.awsServiceChunks += chunks(bytes);
    }
    for (const archive of this.archiveDefinitions) {
      if (archive.busName !== bus || (archive.pattern && !matchesEventPattern(archive.pattern, event))) continue;
      const tally = this.archives.get(archive.name) ?? { events: 0, bytes: 0 };
      tally.events += 1;
      tally.bytes += bytes;
      this.archives.set(archive.name, tally);
    }
  }

  /** A rule delivered an event to a target ("an invocation"). */
  ruleDelivery(bus: string, rule: string, targetKind: string): void {
    if (!this.recording) return;
    const tally = this.bus(bus);
    tally.deliveries.set(targetKind, (tally.deliveries.get(targetKind) ?? 0) + 1);
    this.rules.set(rule, (this.rules.get(rule) ?? 0) + 1);
  }

  // --- SQS --------------------------------------------------------------------------------------
  private queue(name: string): QueueTally {
    let tally = this.queues.get(name);
    if (!tally)
      this.queues.set(
        name,
        (tally = {
          sendRequests: 0,
          receiveRequests: 0,
          deleteRequests: 0,
          otherRequests: 0,
          sentMessages: 0,
          announcedChunks: 0,
          burst: new Map(),
          receivedMessages: 0,
          deletedMessages: 0,
          producers: new Set(),
          consumers: new Set(),
        }),
      );
    return tally;
  }

  /**
   * A message enqueued. `billed`: by a send request (not a dead-letter move or an injected
   * duplicate delivery). Billed messages no counted request covers are the stand-ins' own sends
   * (a Pipe's SQS target, Lambda's asynchronous dead-letter queue): the messages one origin sends
   * in one synchronous burst are billed as SendMessageBatch requests of at most 10 (a Pipe uses
   * the target's batch API), each 64 KB chunk one request.
   */
  sqsMessage(queue: string, bytes: number, billed: boolean, origin: string): void {
    if (!this.recording) return;
    const tally = this.queue(queue);
    if (!billed) return;
    tally.sentMessages += 1;
    const size = chunks(bytes);
    if (tally.announcedChunks >= size) {
      tally.announcedChunks -= size;
      return;
    }
    tally.producers.add(origin);
    const burst = tally.burst.get(origin);
    if (burst) burst.push(bytes);
    else {
      tally.burst.set(origin, [bytes]);
      queueMicrotask(() => this.closeBurst(queue, origin));
    }
  }

  private closeBurst(queue: string, origin: string): void {
    const tally = this.queue(queue);
    const burst = tally.burst.get(origin);
    if (!burst) return;
    tally.burst.delete(origin);
    for (let start = 0; start < burst.length; start += SQS_BATCH_LIMIT) tally.sendRequests += chunks(burst.slice(start, start + SQS_BATCH_LIMIT).reduce((n, bytes) => n + bytes, 0));
  }

  /**
   * One SQS API request on `queue` by `principal`: `messageBytes` are the sizes of the messages it
   * carries (sends: the bodies; receives: the bodies returned); billed per 64 KB chunk.
   */
  sqsRequest(queue: string, kind: 'send' | 'receive' | 'delete' | 'other', principal: string, messageBytes: readonly number[] = []): void {
    if (!this.recording) return;
    const tally = this.queue(queue);
    const total = messageBytes.reduce((n, bytes) => n + bytes, 0);
    const billed = chunks(total);
    if (kind === 'send') {
      tally.sendRequests += billed;
      tally.announcedChunks += messageBytes.reduce((n, bytes) => n + chunks(bytes), 0);
      tally.producers.add(principal);
    } else if (kind === 'receive') {
      tally.receiveRequests += billed;
      tally.receivedMessages += messageBytes.length;
      tally.consumers.add(principal);
    } else if (kind === 'delete') {
      tally.deleteRequests += billed;
      tally.deletedMessages += messageBytes.length;
      tally.consumers.add(principal);
    } else tally.otherRequests += billed;
  }

  /** A batch an event-source mapping delivered: its receives, its invocation, its deletes. */
  esmBatch(queue: string, functionName: string, principal: string, bodies: readonly number[], durationMs: number, deleted: number): void {
    if (!this.recording) return;
    for (let start = 0; start < bodies.length; start += SQS_BATCH_LIMIT) this.sqsRequest(queue, 'receive', principal, bodies.slice(start, start + SQS_BATCH_LIMIT));
    for (let start = 0; start < deleted; start += SQS_BATCH_LIMIT) this.sqsRequest(queue, 'delete', principal, new Array<number>(Math.min(SQS_BATCH_LIMIT, deleted - start)).fill(0));
    const id = `${queue} ${functionName}`;
    const mapping = this.mappings.get(id) ?? { queue, function: functionName, batches: 0, messages: 0, durationMicros: 0 };
    mapping.batches += 1;
    mapping.messages += bodies.length;
    mapping.durationMicros += Math.round(durationMs * 1000);
    this.mappings.set(id, mapping);
  }

  // --- Lambda -----------------------------------------------------------------------------------
  private lambda(name: string): LambdaTally {
    let tally = this.lambdas.get(name);
    if (!tally) this.lambdas.set(name, (tally = { invocations: 0, errors: 0, billedMs: 0, durationMicros: 0, coldStarts: 0, initMs: 0, records: 0, logBytes: 0, logEvents: 0 }));
    return tally;
  }

  lambdaInvocation(functionName: string, durationMs: number, ok: boolean, records: number): void {
    if (!this.recording) return;
    const tally = this.lambda(functionName);
    tally.invocations += 1;
    if (!ok) tally.errors += 1;
    tally.billedMs += Math.max(1, Math.ceil(durationMs));
    tally.durationMicros += Math.round(durationMs * 1000);
    tally.records += records;
  }

  lambdaColdStart(functionName: string, initMs: number): void {
    if (!this.recording) return;
    const tally = this.lambda(functionName);
    tally.coldStarts += 1;
    tally.initMs += Math.ceil(initMs);
  }

  /** Output a function wrote (its log group's ingestion). */
  lambdaLog(functionName: string, bytes: number, lines: number): void {
    if (!this.recording) return;
    const tally = this.lambda(functionName);
    tally.logBytes += bytes;
    tally.logEvents += lines;
  }

  // --- S3 ---------------------------------------------------------------------------------------
  s3Request(bucket: string, operation: string, principal: string, bytes: number): void {
    if (!this.recording) return;
    const tally = this.buckets.get(bucket) ?? { putClass: 0, getClass: 0, free: 0, bytesPut: 0, principals: new Set<string>() };
    const kind = s3PriceClass(operation);
    if (kind === 'put') {
      tally.putClass += 1;
      tally.bytesPut += bytes;
    } else if (kind === 'get') tally.getClass += 1;
    else tally.free += 1;
    tally.principals.add(principal);
    this.buckets.set(bucket, tally);
  }

  // --- Step Functions ---------------------------------------------------------------------------
  sfnExecution(machine: string): void {
    if (!this.recording) return;
    const tally = this.machines.get(machine) ?? { executions: 0, transitions: 0 };
    tally.executions += 1;
    this.machines.set(machine, tally);
  }

  sfnTransition(machine: string): void {
    if (!this.recording) return;
    const tally = this.machines.get(machine) ?? { executions: 0, transitions: 0 };
    tally.transitions += 1;
    this.machines.set(machine, tally);
  }

  // --- The counts file --------------------------------------------------------------------------
  /** The measured counts, with the run's identity; pipes are counted by their runner (see rehearse.ts). */
  counts(
    meta: Omit<MeasuredCounts, 'format' | 'lambda' | 'eventSourceMappings' | 'eventBridge' | 'sqs' | 'dynamodb' | 'hotItems' | 's3' | 'stepFunctions' | 'logs' | 'requests'>,
    logGroupOf: (functionName: string) => string,
  ): MeasuredCounts {
    const sorted = <T>(entries: Iterable<[string, T]>) => Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const lambda = sorted([...this.lambdas].map(([name, tally]) => [name, { ...tally }] as [string, LambdaTally]));
    const logs = sorted(
      [...this.lambdas]
        .filter(([, tally]) => tally.logBytes > 0)
        .map(([name, tally]) => [logGroupOf(name), { bytes: tally.logBytes, events: tally.logEvents }] as [string, { bytes: number; events: number }]),
    );
    const hotItems = [...this.hot.values()]
      .sort((a, b) => b.writes - a.writes || b.attempts - a.attempts || (a.key < b.key ? -1 : 1))
      .slice(0, 20)
      .map((item) => ({ ...item, writeUnits: Exact.of(item.writeUnits) }));
    for (const [name, tally] of this.queues) for (const origin of [...tally.burst.keys()]) this.closeBurst(name, origin);
    return {
      format: COUNTS_FORMAT,
      ...meta,
      lambda,
      eventSourceMappings: [...this.mappings.values()].sort((a, b) => (a.queue < b.queue ? -1 : 1)),
      eventBridge: {
        buses: sorted(
          [...this.buses].map(([name, tally]) => [
            name,
            {
              putEventsRequests: tally.putEventsRequests,
              customEvents: tally.customEvents,
              customChunks: tally.customChunks,
              awsServiceEvents: tally.awsServiceEvents,
              awsServiceChunks: tally.awsServiceChunks,
              deliveries: sorted(tally.deliveries),
            },
          ]),
        ),
        archives: sorted([...this.archives].map(([name, tally]) => [name, { ...tally }])),
        rules: sorted(this.rules),
      },
      sqs: sorted(
        [...this.queues].map(([name, tally]) => {
          return [
            name,
            {
              sendRequests: tally.sendRequests,
              receiveRequests: tally.receiveRequests,
              deleteRequests: tally.deleteRequests,
              otherRequests: tally.otherRequests,
              sentMessages: tally.sentMessages,
              receivedMessages: tally.receivedMessages,
              deletedMessages: tally.deletedMessages,
              producers: [...tally.producers].sort(),
              consumers: [...tally.consumers].sort(),
            },
          ];
        }),
      ),
      dynamodb: sorted(
        [...this.tables].map(([name, tally]) => [
          name,
          {
            readUnits: Exact.of(tally.readHalfUnits, 2),
            writeUnits: Exact.of(tally.writeUnits),
            requests: sorted(tally.requests),
            conditionalFailures: tally.conditionalFailures,
            transactionsCancelled: tally.transactionsCancelled,
            principals: [...tally.principals].sort(),
          },
        ]),
      ),
      hotItems,
      s3: sorted([...this.buckets].map(([name, tally]) => [name, { ...tally, principals: [...tally.principals].sort() }])),
      stepFunctions: sorted(this.machines),
      logs,
      requests: sorted([...this.requests].map(([caller, byOperation]) => [caller, sorted(byOperation)])),
    };
  }
}
