/**
 * API-1: the idempotency store on DynamoDB. One item per (client, key) under SHA-256 of both
 * (src/api/idempotency.ts), claimed with a conditional PutItem; a claim whose lease ended is taken
 * over with a conditional UpdateItem that requires the same fingerprint; the response is stored
 * with a conditional UpdateItem that never overwrites a stored response. DynamoDB TTL deletes an
 * expired item only eventually, so every condition also reads `expiresAtMs`.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { ClaimRequest, ClaimResult, CompleteRequest, IdempotencyStore, StoredResponse } from '../../api/idempotency';
import { idempotencyRecordId } from '../../api/idempotency';
import { TransientStoreError } from '../../ports';
import { awsCall, errorName } from './errors';
import type { TableDefinition } from './tables';
import { TABLES } from './tables';

/** The table: TABLES.apiIdempotency (tables.ts; the infrastructure creates it from that definition). */
export const IDEMPOTENCY_TABLE: TableDefinition = TABLES.apiIdempotency;

const KEY = IDEMPOTENCY_TABLE.partitionKey.name;
const MAX_ATTEMPTS = 4;

export interface DynamoIdempotencyStoreOptions {
  client: DynamoDBClient;
  tableName: string;
}

const n = (value: number): AttributeValue => ({ N: String(Math.trunc(value)) });
const s = (value: string): AttributeValue => ({ S: value });

function responseOf(item: Record<string, AttributeValue>): StoredResponse {
  return { status: Number(item.responseStatus!.N), headers: JSON.parse(item.responseHeaders!.S!) as Record<string, string>, body: item.responseBody!.S! };
}

function conditionFailed(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

export class DynamoIdempotencyStore implements IdempotencyStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;

  constructor(options: DynamoIdempotencyStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const id = idempotencyRecordId(request.clientId, request.key);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      if (await this.tryCreate(id, request)) return { kind: 'claimed', takenOver: false };
      const item = await this.read(id);
      if (!item || Number(item.expiresAtMs?.N ?? '0') <= request.nowMs) continue; // gone or expired since: create again
      if (item.fingerprint?.S !== request.fingerprint) return { kind: 'fingerprint-mismatch' };
      if (item.state?.S === 'completed') return { kind: 'completed', response: responseOf(item) };
      const leaseUntilMs = Number(item.leaseUntilMs?.N ?? '0');
      if (leaseUntilMs > request.nowMs) return { kind: 'in-flight', leaseUntilMs };
      if (await this.tryTakeOver(id, request)) return { kind: 'claimed', takenOver: true };
      // Someone else took it over or completed it in between: read again.
    }
    throw new TransientStoreError(`idempotency claim of record ${id}: the record kept changing`);
  }

  private async tryCreate(id: string, request: ClaimRequest): Promise<boolean> {
    try {
      await awsCall('idempotency PutItem', () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              [KEY]: s(id),
              clientId: s(request.clientId),
              fingerprint: s(request.fingerprint),
              state: s('in-flight'),
              leaseUntilMs: n(request.nowMs + request.leaseMs),
              expiresAtMs: n(request.nowMs + request.retentionMs),
              expiresAt: n((request.nowMs + request.retentionMs) / 1000),
            },
            ConditionExpression: 'attribute_not_exists(#key) OR expiresAtMs <= :now',
            ExpressionAttributeNames: { '#key': KEY },
            ExpressionAttributeValues: { ':now': n(request.nowMs) },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  private async tryTakeOver(id: string, request: ClaimRequest): Promise<boolean> {
    try {
      await awsCall('idempotency UpdateItem (take over)', () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { [KEY]: s(id) },
            UpdateExpression: 'SET leaseUntilMs = :lease',
            ConditionExpression: 'fingerprint = :fp AND #state = :inflight AND leaseUntilMs <= :now AND expiresAtMs > :now',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':lease': n(request.nowMs + request.leaseMs), ':fp': s(request.fingerprint), ':inflight': s('in-flight'), ':now': n(request.nowMs) },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  private async read(id: string): Promise<Record<string, AttributeValue> | undefined> {
    const read = await awsCall('idempotency GetItem', () => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { [KEY]: s(id) }, ConsistentRead: true })));
    return read.Item;
  }

  async complete(request: CompleteRequest): Promise<StoredResponse> {
    const id = idempotencyRecordId(request.clientId, request.key);
    const { response } = request;
    try {
      await awsCall('idempotency UpdateItem (complete)', () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { [KEY]: s(id) },
            UpdateExpression:
              'SET clientId = :client, fingerprint = :fp, #state = :completed, leaseUntilMs = :zero, expiresAtMs = :expiresMs, expiresAt = :expires, responseStatus = :status, responseHeaders = :headers, responseBody = :body',
            ConditionExpression: 'attribute_not_exists(#key) OR #state <> :completed OR expiresAtMs <= :now OR fingerprint <> :fp',
            ExpressionAttributeNames: { '#key': KEY, '#state': 'state' },
            ExpressionAttributeValues: {
              ':client': s(request.clientId),
              ':fp': s(request.fingerprint),
              ':completed': s('completed'),
              ':zero': n(0),
              ':expiresMs': n(request.nowMs + request.retentionMs),
              ':expires': n((request.nowMs + request.retentionMs) / 1000),
              ':status': n(response.status),
              ':headers': s(JSON.stringify(response.headers)),
              ':body': s(response.body),
              ':now': n(request.nowMs),
            },
          }),
        ),
      );
      return { status: response.status, headers: { ...response.headers }, body: response.body };
    } catch (error) {
      if (!conditionFailed(error)) throw error;
    }
    // A response is stored already (a takeover raced this one): that one is THE answer.
    const item = await this.read(id);
    if (!item || item.state?.S !== 'completed') throw new TransientStoreError(`idempotency complete of record ${id}: the stored response vanished`);
    return responseOf(item);
  }

  async release(clientId: string, key: string, fingerprint: string, nowMs: number): Promise<void> {
    try {
      await awsCall('idempotency UpdateItem (release)', () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { [KEY]: s(idempotencyRecordId(clientId, key)) },
            UpdateExpression: 'SET leaseUntilMs = :now',
            ConditionExpression: 'fingerprint = :fp AND #state = :inflight',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':now': n(nowMs), ':fp': s(fingerprint), ':inflight': s('in-flight') },
          }),
        ),
      );
    } catch (error) {
      if (!conditionFailed(error)) throw error;
    }
  }
}
