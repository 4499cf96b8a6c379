/**
 * DynamoDB on dynalite, with what dynalite lacks made honest (REH-1: every gap emulated or named):
 * - tables created from the synthesized definitions (keys, attribute definitions, GSIs, LSIs);
 *   TTL is noted, never applied (a named gap);
 * - TransactWriteItems (dynalite has none): implemented here holding its tables' locks
 *   exclusively (every other request holds its tables' locks shared, so a transaction is
 *   isolated from every read and write of the tables it touches):
 *   the items are snapshotted, each is applied with its own condition (ConditionCheck as a
 *   conditional no-op put), and on any condition failure every item is restored and the call
 *   answers TransactionCanceledException with one CancellationReason per item, as DynamoDB does;
 * - streams (dynalite has none): writes to a table with `stream_enabled` are serialised per
 *   table and produce INSERT / MODIFY / REMOVE records with the images of the synthesized
 *   `stream_view_type`; nothing is emitted for a write that changes nothing, as on DynamoDB.
 *
 * dynalite runs in this process, without its HTTP server: a request's JSON body goes through
 * dynalite's own type checks, validations and action (what its server does after reading the
 * body), and the answer comes back as the JSON body its server would send. The gateway in front
 * has decoded, identified and IAM-authorised the request already; a second HTTP hop (and a process
 * of its own) cost more CPU than dynalite's work itself.
 */
import type { TableDefinition } from './deployment';

export type AttributeMap = Record<string, Record<string, unknown>>;

export interface DynamoResponse {
  status: number;
  body: string;
}

export interface StreamRecord {
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  eventVersion: '1.1';
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  dynamodb: {
    ApproximateCreationDateTime: number;
    Keys: AttributeMap;
    NewImage?: AttributeMap;
    OldImage?: AttributeMap;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: string;
  };
  eventSourceARN: string;
}

/** A readers-writer lock: many shared holders, or one exclusive holder. Writers are not starved. */
export class ReadWriteLock {
  private shared = 0;
  private exclusive = false;
  private readonly queue: { exclusive: boolean; grant: () => void }[] = [];

  private pump(): void {
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (next.exclusive) {
        if (this.exclusive || this.shared > 0) return;
        this.exclusive = true;
      } else {
        if (this.exclusive) return;
        this.shared += 1;
      }
      this.queue.shift();
      next.grant();
    }
  }

  async withShared<T>(work: () => Promise<T>): Promise<T> {
    await new Promise<void>((grant) => {
      this.queue.push({ exclusive: false, grant });
      this.pump();
    });
    try {
      return await work();
    } finally {
      this.shared -= 1;
      this.pump();
    }
  }

  async withExclusive<T>(work: () => Promise<T>): Promise<T> {
    await new Promise<void>((grant) => {
      this.queue.push({ exclusive: true, grant });
      this.pump();
    });
    try {
      return await work();
    } finally {
      this.exclusive = false;
      this.pump();
    }
  }
}

/** A mutex (one holder at a time, FIFO). */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}

const ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';

export function dynamoError(type: string, message: string, extra: Record<string, unknown> = {}): DynamoResponse {
  return { status: 400, body: JSON.stringify({ __type: `${ERROR_PREFIX}${type}`, message, ...extra }) };
}

function errorType(response: DynamoResponse): string | undefined {
  if (response.status < 400) return undefined;
  try {
    const type = (JSON.parse(response.body) as { __type?: string }).__type;
    return type?.split('#').pop();
  } catch {
    return 'UnknownError';
  }
}

function sizeOf(item: AttributeMap | undefined): number {
  return item ? Buffer.byteLength(JSON.stringify(item)) : 0;
}

function sameItem(a: AttributeMap | undefined, b: AttributeMap | undefined): boolean {
  if (!a || !b) return a === b;
  const canonical = (item: AttributeMap) =>
    JSON.stringify(
      Object.keys(item)
        .sort()
        .map((key) => [key, item[key]]),
    );
  return canonical(a) === canonical(b);
}

type TransactItem = { Put?: Record<string, unknown>; Update?: Record<string, unknown>; Delete?: Record<string, unknown>; ConditionCheck?: Record<string, unknown> };

export interface DynamoCounters {
  requests: Record<string, number>;
  transactions: number;
  transactionsCancelled: number;
  streamRecords: number;
}

export class DynamoStandIn {
  /** One readers-writer lock per table: a transaction holds the locks of its tables exclusively. */
  private readonly locks = new Map<string, ReadWriteLock>();
  readonly counters: DynamoCounters = { requests: {}, transactions: 0, transactionsCancelled: 0, streamRecords: 0 };
  private readonly tables = new Map<string, TableDefinition>();
  private readonly streamLocks = new Map<string, Mutex>();
  private readonly streamListeners = new Map<string, ((record: StreamRecord) => void)[]>();
  private sequence = 0n;
  private engine?: DynaliteEngine;

  constructor(
    tables: readonly TableDefinition[],
    private readonly region: string,
  ) {
    for (const table of tables) {
      this.tables.set(table.name, table);
      if (table.streamEnabled) this.streamLocks.set(table.name, new Mutex());
    }
  }

  table(name: string): TableDefinition | undefined {
    return this.tables.get(name);
  }

  async start(): Promise<void> {
    this.engine = dynaliteEngine();
    for (const table of this.tables.values()) {
      const response = await this.forward('CreateTable', JSON.stringify(createTableRequest(table)));
      if (response.status !== 200) throw new Error(`dynalite CreateTable ${table.name}: ${response.body}`);
    }
    // dynalite answers CreateTable with the table CREATING and makes it ACTIVE on a timer: wait for
    // that, as a deploy does, before the first request finds no table.
    for (const table of this.tables.values()) {
      for (let attempt = 0; ; attempt += 1) {
        const response = await this.forward('DescribeTable', JSON.stringify({ TableName: table.name }));
        if (response.status === 200 && (JSON.parse(response.body) as { Table?: { TableStatus?: string } }).Table?.TableStatus === 'ACTIVE') break;
        if (attempt === 1000) throw new Error(`dynalite: table ${table.name} is not ACTIVE after its CreateTable: ${response.body}`);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
  }

  async stop(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    await engine?.close();
  }

  private lockOf(table: string): ReadWriteLock {
    let lock = this.locks.get(table);
    if (!lock) this.locks.set(table, (lock = new ReadWriteLock()));
    return lock;
  }

  /** Runs `work` holding the locks of `tables` (sorted, so two transactions never deadlock). */
  private withLocks<T>(tables: readonly string[], exclusive: boolean, work: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(tables)].sort();
    const hold = (index: number): Promise<T> => {
      if (index === sorted.length) return work();
      const lock = this.lockOf(sorted[index]!);
      return exclusive ? lock.withExclusive(() => hold(index + 1)) : lock.withShared(() => hold(index + 1));
    };
    return hold(0);
  }

  onStream(tableName: string, listener: (record: StreamRecord) => void): void {
    const listeners = this.streamListeners.get(tableName) ?? [];
    listeners.push(listener);
    this.streamListeners.set(tableName, listeners);
  }

  /** Sends one request to dynalite as is: its JSON body in, the JSON body dynalite answers out. */
  forward(operation: string, body: string): Promise<DynamoResponse> {
    if (!this.engine) return Promise.reject(new Error(`dynalite ${operation}: the DynamoDB stand-in is not started`));
    return this.engine.handle(operation, body);
  }

  private async call(operation: string, input: Record<string, unknown>): Promise<{ response: DynamoResponse; output?: Record<string, unknown> }> {
    const response = await this.forward(operation, JSON.stringify(input));
    return { response, output: response.status === 200 ? (JSON.parse(response.body) as Record<string, unknown>) : undefined };
  }

  /** The key attributes of `item` in `tableName`. */
  keyOf(tableName: string, item: AttributeMap): AttributeMap {
    const table = this.tables.get(tableName);
    if (!table) throw new Error(`no table ${tableName}`);
    const key: AttributeMap = {};
    for (const name of [table.hashKey, table.rangeKey]) if (name && item[name]) key[name] = item[name]!;
    return key;
  }

  private async getItem(tableName: string, key: AttributeMap): Promise<AttributeMap | undefined> {
    const { response, output } = await this.call('GetItem', { TableName: tableName, Key: key, ConsistentRead: true });
    if (!output) throw new Error(`dynalite GetItem ${tableName}: ${response.body}`);
    return output.Item as AttributeMap | undefined;
  }

  /** Handles one DynamoDB API request (already authorised). */
  async handle(operation: string, body: string, input: Record<string, unknown>): Promise<DynamoResponse> {
    this.counters.requests[operation] = (this.counters.requests[operation] ?? 0) + 1;
    if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
      const tables = ((input.TransactItems ?? []) as Record<string, { TableName?: string }>[]).map((item) => String(Object.values(item)[0]?.TableName ?? ''));
      return this.withLocks(tables, true, () => (operation === 'TransactWriteItems' ? this.transactWrite(input) : this.transactGet(input)));
    }
    const tables = typeof input.TableName === 'string' ? [input.TableName] : Object.keys((input.RequestItems ?? {}) as object);
    return this.withLocks(tables, false, async () => {
      const tableName = typeof input.TableName === 'string' ? input.TableName : undefined;
      if (tableName && this.streamLocks.has(tableName) && (operation === 'PutItem' || operation === 'UpdateItem' || operation === 'DeleteItem')) {
        return this.streamedWrite(operation, body, input, tableName);
      }
      if (operation === 'BatchWriteItem') return this.batchWrite(body, input);
      return this.forward(operation, body);
    });
  }

  private emit(tableName: string, oldImage: AttributeMap | undefined, newImage: AttributeMap | undefined, key: AttributeMap): void {
    if (sameItem(oldImage, newImage)) return;
    const table = this.tables.get(tableName)!;
    const view = table.streamViewType ?? 'NEW_AND_OLD_IMAGES';
    this.sequence += 1n;
    const record: StreamRecord = {
      eventID: `${this.sequence.toString(16).padStart(32, '0')}`,
      eventName: !oldImage ? 'INSERT' : !newImage ? 'REMOVE' : 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.region,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: key,
        ...((view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES') && newImage ? { NewImage: newImage } : {}),
        ...((view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES') && oldImage ? { OldImage: oldImage } : {}),
        SequenceNumber: this.sequence.toString().padStart(21, '0'),
        SizeBytes: sizeOf(newImage ?? oldImage) + sizeOf(key),
        StreamViewType: view,
      },
      eventSourceARN: table.streamArn!,
    };
    this.counters.streamRecords += 1;
    for (const listener of this.streamListeners.get(tableName) ?? []) listener(record);
  }

  private keyFromRequest(tableName: string, operation: string, input: Record<string, unknown>): AttributeMap {
    return operation === 'PutItem' ? this.keyOf(tableName, input.Item as AttributeMap) : (input.Key as AttributeMap);
  }

  private streamedWrite(operation: string, body: string, input: Record<string, unknown>, tableName: string): Promise<DynamoResponse> {
    return this.streamLocks.get(tableName)!.run(async () => {
      const key = this.keyFromRequest(tableName, operation, input);
      if (operation === 'PutItem' || operation === 'DeleteItem') {
        // One call: the old image comes back with ALL_OLD; a put's new image is its item.
        const asked = input.ReturnValues;
        const response = await this.forward(operation, JSON.stringify({ ...input, ReturnValues: 'ALL_OLD' }));
        if (response.status !== 200) return response;
        const output = JSON.parse(response.body) as { Attributes?: AttributeMap };
        this.emit(tableName, output.Attributes, operation === 'PutItem' ? (input.Item as AttributeMap) : undefined, key);
        if (asked !== 'ALL_OLD') delete output.Attributes;
        return { status: 200, body: JSON.stringify(output) };
      }
      const before = await this.getItem(tableName, key);
      const response = await this.forward(operation, body);
      if (response.status === 200) this.emit(tableName, before, await this.getItem(tableName, key), key);
      return response;
    });
  }

  private async batchWrite(body: string, input: Record<string, unknown>): Promise<DynamoResponse> {
    const requests = (input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: AttributeMap }; DeleteRequest?: { Key: AttributeMap } }[]>;
    const streamed = Object.keys(requests).filter((table) => this.streamLocks.has(table));
    if (streamed.length === 0) return this.forward('BatchWriteItem', body);
    const rest: typeof requests = {};
    for (const [table, writes] of Object.entries(requests)) {
      if (!this.streamLocks.has(table)) {
        rest[table] = writes;
        continue;
      }
      for (const write of writes) {
        const single = write.PutRequest ? { TableName: table, Item: write.PutRequest.Item } : { TableName: table, Key: write.DeleteRequest!.Key };
        const operation = write.PutRequest ? 'PutItem' : 'DeleteItem';
        const response = await this.streamedWrite(operation, JSON.stringify(single), single, table);
        if (response.status !== 200) return response;
      }
    }
    if (Object.keys(rest).length > 0) {
      const response = await this.forward('BatchWriteItem', JSON.stringify({ ...input, RequestItems: rest }));
      if (response.status !== 200) return response;
      return response;
    }
    return { status: 200, body: JSON.stringify({ UnprocessedItems: {} }) };
  }

  private async transactGet(input: Record<string, unknown>): Promise<DynamoResponse> {
    const items = (input.TransactItems ?? []) as { Get: { TableName: string; Key: AttributeMap; ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> } }[];
    const responses: { Item?: AttributeMap }[] = [];
    for (const { Get } of items) {
      const { response, output } = await this.call('GetItem', { ...Get, ConsistentRead: true });
      if (!output) return response;
      responses.push(output.Item ? { Item: output.Item as AttributeMap } : {});
    }
    return { status: 200, body: JSON.stringify({ Responses: responses }) };
  }

  /** TransactWriteItems over dynalite (see the module comment). Runs under the exclusive lock. */
  private async transactWrite(input: Record<string, unknown>): Promise<DynamoResponse> {
    this.counters.transactions += 1;
    const items = (input.TransactItems ?? []) as TransactItem[];
    if (!Array.isArray(items) || items.length === 0 || items.length > 100)
      return dynamoError('ValidationException', `TransactItems must hold 1 to 100 items, got ${Array.isArray(items) ? items.length : 'none'}`);
    const targets = items.map((item, index) => {
      const [kind, operation] = Object.entries(item)[0] ?? [];
      if (!kind || !operation || !['Put', 'Update', 'Delete', 'ConditionCheck'].includes(kind)) throw new Error(`TransactItems[${index}] is not a Put, Update, Delete or ConditionCheck`);
      const tableName = String(operation.TableName);
      if (!this.tables.has(tableName)) return { kind, operation, tableName, key: undefined };
      const key = kind === 'Put' ? this.keyOf(tableName, operation.Item as AttributeMap) : (operation.Key as AttributeMap);
      return { kind, operation, tableName, key };
    });
    const missing = targets.find((target) => !target.key);
    if (missing) return dynamoError('ResourceNotFoundException', `Requested resource not found: table ${missing.tableName}`);
    const seen = new Set<string>();
    for (const target of targets) {
      const id = `${target.tableName}\u0000${JSON.stringify(target.key)}`;
      if (seen.has(id)) return dynamoError('ValidationException', 'Transaction request cannot include multiple operations on one item');
      seen.add(id);
    }
    const snapshot = await Promise.all(targets.map((target) => this.getItem(target.tableName, target.key!)));
    const reasons: { Code: string; Message?: string; Item?: AttributeMap }[] = [];
    let failed = false;
    let fatal: DynamoResponse | undefined;
    for (let index = 0; index < targets.length; index += 1) {
      const { kind, operation, tableName, key } = targets[index]!;
      const conditionFields = {
        ...(operation.ConditionExpression ? { ConditionExpression: operation.ConditionExpression } : {}),
        ...(operation.ExpressionAttributeNames ? { ExpressionAttributeNames: operation.ExpressionAttributeNames } : {}),
        ...(operation.ExpressionAttributeValues ? { ExpressionAttributeValues: operation.ExpressionAttributeValues } : {}),
      };
      let response: DynamoResponse;
      if (kind === 'Put') response = await this.forward('PutItem', JSON.stringify({ TableName: tableName, Item: operation.Item, ...conditionFields }));
      else if (kind === 'Update') response = await this.forward('UpdateItem', JSON.stringify({ TableName: tableName, Key: key, UpdateExpression: operation.UpdateExpression, ...conditionFields }));
      else if (kind === 'Delete') response = await this.forward('DeleteItem', JSON.stringify({ TableName: tableName, Key: key, ...conditionFields }));
      else response = await this.forward('PutItem', JSON.stringify({ TableName: tableName, Item: snapshot[index] ?? key, ...conditionFields }));
      const type = errorType(response);
      if (type === undefined) {
        reasons.push({ Code: 'None' });
      } else if (type === 'ConditionalCheckFailedException') {
        failed = true;
        const old = snapshot[index];
        reasons.push({ Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(operation.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && old ? { Item: old } : {}) });
      } else {
        fatal = response;
        break;
      }
    }
    const conditionCheckCreated = targets.some((target, index) => target.kind === 'ConditionCheck' && !snapshot[index]);
    if (failed || fatal || conditionCheckCreated) {
      // Restore every item: a cancelled transaction leaves nothing behind (and a ConditionCheck
      // on an absent item must not leave the key item its no-op put created).
      for (let index = 0; index < targets.length; index += 1) {
        const { tableName, key, kind } = targets[index]!;
        if (!failed && !fatal && kind !== 'ConditionCheck') continue;
        const before = snapshot[index];
        const restored = before
          ? await this.forward('PutItem', JSON.stringify({ TableName: tableName, Item: before }))
          : await this.forward('DeleteItem', JSON.stringify({ TableName: tableName, Key: key }));
        if (restored.status !== 200) throw new Error(`TransactWriteItems: restoring ${tableName} ${JSON.stringify(key)} failed: ${restored.body}`);
      }
    }
    if (fatal) return fatal;
    if (failed) {
      this.counters.transactionsCancelled += 1;
      return dynamoError('TransactionCanceledException', `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((reason) => reason.Code).join(', ')}]`, {
        CancellationReasons: reasons,
      });
    }
    for (let index = 0; index < targets.length; index += 1) {
      const { tableName, key, kind } = targets[index]!;
      if (kind === 'ConditionCheck' || !this.streamLocks.has(tableName)) continue;
      this.emit(tableName, snapshot[index], await this.getItem(tableName, key!), key!);
    }
    return { status: 200, body: '{}' };
  }

  /** Every item of a table (Scan, all pages), for the report. */
  async scanAll(tableName: string, indexName?: string): Promise<AttributeMap[]> {
    const items: AttributeMap[] = [];
    let startKey: unknown;
    do {
      const { response, output } = await this.call('Scan', { TableName: tableName, ...(indexName ? { IndexName: indexName } : {}), ...(startKey ? { ExclusiveStartKey: startKey } : {}) });
      if (!output) throw new Error(`dynalite Scan ${tableName}: ${response.body}`);
      items.push(...((output.Items as AttributeMap[]) ?? []));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}

/** The CreateTable request of a synthesized table (TTL and streams are handled by the stand-in). */
export function createTableRequest(table: TableDefinition): Record<string, unknown> {
  const keySchema = (hash: string, range?: string) => [{ AttributeName: hash, KeyType: 'HASH' }, ...(range ? [{ AttributeName: range, KeyType: 'RANGE' }] : [])];
  const projection = (index: TableDefinition['globalSecondaryIndexes'][number]) => ({
    ProjectionType: index.projectionType,
    ...(index.nonKeyAttributes ? { NonKeyAttributes: index.nonKeyAttributes } : {}),
  });
  return {
    TableName: table.name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: table.attributes.map((attribute) => ({ AttributeName: attribute.name, AttributeType: attribute.type })),
    KeySchema: keySchema(table.hashKey, table.rangeKey),
    ...(table.globalSecondaryIndexes.length > 0
      ? { GlobalSecondaryIndexes: table.globalSecondaryIndexes.map((index) => ({ IndexName: index.name, KeySchema: keySchema(index.hashKey, index.rangeKey), Projection: projection(index) })) }
      : {}),
    ...(table.localSecondaryIndexes.length > 0
      ? { LocalSecondaryIndexes: table.localSecondaryIndexes.map((index) => ({ IndexName: index.name, KeySchema: keySchema(table.hashKey, index.rangeKey), Projection: projection(index) })) }
      : {}),
  };
}

/** dynalite's request handling without its HTTP server (see the module comment). */
interface DynaliteEngine {
  handle(operation: string, body: string): Promise<DynamoResponse>;
  close(): Promise<void>;
}

type DynaliteError = Error & { statusCode?: number; body?: unknown };
interface DynaliteValidation {
  types: Record<string, unknown>;
  custom?: unknown;
}
type DynaliteAction = (store: unknown, data: Record<string, unknown>, callback: (error: DynaliteError | null, result?: unknown) => void) => void;

/** The operations dynalite serves (its server answers UnknownOperationException to any other). */
const DYNALITE_OPERATIONS = new Set([
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'GetItem',
  'ListTables',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'ListTagsOfResource',
  'UpdateItem',
  'UpdateTable',
]);

/**
 * An in-memory dynalite store and the steps of dynalite's server after it has read a request
 * (dynalite/index.js `httpHandler`): parse the body, check its types and validations, run the
 * action; an error carrying a status is answered with its body, as the server answers it.
 */
function dynaliteEngine(): DynaliteEngine {
  /* eslint-disable @typescript-eslint/no-require-imports -- dynalite ships CommonJS without types */
  const db = require('dynalite/db') as { create(options: Record<string, unknown>): { lifecycleManager: { gracefulClose(callback: (error?: Error | null) => void): void } } };
  const validations = require('dynalite/validations') as {
    toLowerFirst(name: string): string;
    checkTypes(data: unknown, types: unknown): Record<string, unknown>;
    checkValidations(data: Record<string, unknown>, types: unknown, custom: unknown, store: unknown): void;
  };
  const store = db.create({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const actions = new Map<string, { action: DynaliteAction; validation: DynaliteValidation }>();
  const load = (operation: string) => {
    let loaded = actions.get(operation);
    if (!loaded) {
      const name = validations.toLowerFirst(operation);
      loaded = { action: require(`dynalite/actions/${name}`) as DynaliteAction, validation: require(`dynalite/validations/${name}`) as DynaliteValidation };
      actions.set(operation, loaded);
    }
    return loaded;
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const answer = (status: number, payload: unknown): DynamoResponse => ({ status, body: JSON.stringify(payload) });
  return {
    handle(operation, body) {
      if (!DYNALITE_OPERATIONS.has(operation)) return Promise.resolve(answer(400, { __type: 'com.amazon.coral.service#UnknownOperationException' }));
      if (!body) return Promise.resolve(answer(400, { __type: 'com.amazon.coral.service#SerializationException' }));
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(body) as Record<string, unknown>;
      } catch {
        return Promise.resolve(answer(400, { __type: 'com.amazon.coral.service#SerializationException' }));
      }
      const { action, validation } = load(operation);
      try {
        data = validations.checkTypes(data, validation.types);
        validations.checkValidations(data, validation.types, validation.custom, store);
      } catch (error) {
        const failure = error as DynaliteError;
        if (failure.statusCode) return Promise.resolve(answer(failure.statusCode, failure.body));
        return Promise.reject(failure);
      }
      return new Promise((resolve, reject) => {
        action(store, data, (error, result) => {
          if (error && error.statusCode) resolve(answer(error.statusCode, error.body));
          else if (error) reject(error);
          else resolve(answer(200, result));
        });
      });
    },
    // As dynalite's server closes its store: after the operations under way.
    close: () => new Promise<void>((resolve, reject) => store.lifecycleManager.gracefulClose((error) => (error ? reject(error) : resolve()))),
  };
}
