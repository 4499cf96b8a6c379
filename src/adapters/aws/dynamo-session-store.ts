/**
 * WB-AUTH-1: the workbench's SessionStore on DynamoDB (TABLES.workbenchSessions), the AWS twin of
 * SqliteSessionStore (src/adapters/embedded/workbench-store.ts). The sign-in code (oidc.ts) is the
 * same on both; only where sessions live differs.
 *
 * - A session is the item `SESSION#<key>`, where `key` is what the sign-in code passes: the
 *   SHA-256 of the cookie's random id. The raw cookie value never reaches the store, so a copy of
 *   the table signs nobody in (as in SQLite).
 * - A pending sign-in is the item `SIGNIN#<state>` (as SQLite keeps it by state).
 * - Reads are strongly consistent: a rotation or a sign-out is seen by the very next request.
 * - `createSession` / `savePendingSignIn`: PutItem conditional on the key being new.
 * - `touchSession`: UpdateItem conditional on the session existing and not being replaced (an
 *   UpdateItem would otherwise create a stub item under a signed-out key).
 * - `replaceSession` (rotation, WB-AUTH-1): ONE TransactWriteItems: an Update of the old key
 *   conditional on it existing and not being replaced yet (it sets `replacedBy`, `replacedAt` and
 *   its TTL to the end of the grace window) + a Put of the new key conditional on it being new.
 *   Both happen or neither: of two concurrent rotations of one session exactly one wins (the
 *   other's condition fails: false), and the old key answers only as a pointer to the new one,
 *   which the sign-in code follows only within the grace window.
 * - `takePendingSignIn`: DeleteItem with ReturnValues ALL_OLD: one call both reads and removes, so
 *   a state is taken once however many callbacks race for it.
 * - Expiry: every item carries `expiresAt` (TTL, epoch seconds): a session its absolute limit
 *   (createdAt + absoluteSeconds; rotation keeps createdAt, so it keeps the limit), a replaced key
 *   the end of its grace window, a pending sign-in its 10 minutes. DynamoDB TTL deletes expired items, eventually (typically within days),
 *   so `purge` is a no-op here: it would be a Scan of the table on every sign-in. An expired item
 *   TTL has not removed yet is still refused: the sign-in code checks createdAt / lastSeenAt against
 *   its limits on every request and callback, and deletes what it refuses.
 * Transient failures (throttling, 5xx, network) surface as TransientStoreError (errors.ts).
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, TransactWriteItemsCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { PendingSignIn, SessionRecord, SessionStore } from '../../recon/workbench/ports';
import { awsCall, errorName } from './errors';
import { TABLES, type TableDefinition } from './tables';

/** The table: TABLES.workbenchSessions (tables.ts; the data stack creates it from that definition, TTL on `expiresAt`). */
export const SESSIONS_TABLE: TableDefinition = TABLES.workbenchSessions;

const PK = SESSIONS_TABLE.partitionKey.name;
const TTL = SESSIONS_TABLE.ttlAttribute!;

export const SESSION_KEYS = Object.freeze({
  session: (key: string) => `SESSION#${key}`,
  signIn: (state: string) => `SIGNIN#${state}`,
});

export interface DynamoSessionStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** A session's absolute limit (the TTL of its item); the sign-in's `absoluteSeconds`. Default 8 hours. */
  absoluteSeconds?: number;
  /** A pending sign-in's limit (the TTL of its item). Default 600 (oidc.ts: 10 minutes). */
  pendingSeconds?: number;
}

/** The sign-in code's states are 43 characters (32 random bytes, base64url); a key may hold 2 KB. */
const MAX_STATE_LENGTH = 512;

const n = (value: number): AttributeValue => ({ N: String(Math.trunc(value)) });
const s = (value: string): AttributeValue => ({ S: value });
const epochSeconds = (ms: number) => Math.ceil(ms / 1000);

function conditionFailed(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

/** A cancelled transaction whose cancellation names a failed condition (not a conflict or throttle). */
function transactionConditionFailed(error: unknown): boolean {
  if (errorName(error) !== 'TransactionCanceledException') return false;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.some((reason) => reason.Code === 'ConditionalCheckFailed');
}

export class DynamoSessionStore implements SessionStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly absoluteMs: number;
  private readonly pendingMs: number;

  constructor(options: DynamoSessionStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.absoluteMs = (options.absoluteSeconds ?? 8 * 3600) * 1000;
    this.pendingMs = (options.pendingSeconds ?? 600) * 1000;
  }

  /** The item of a live session (exported shape: the tests read the table through it). */
  sessionItem(record: SessionRecord): Record<string, AttributeValue> {
    // A replaced key's marks live beside the record (replaceSession sets them), never inside it.
    const { replacedBy: _by, replacedAt: _at, ...live } = record;
    return {
      [PK]: s(SESSION_KEYS.session(record.key)),
      record: s(JSON.stringify(live)),
      createdAt: n(record.createdAt),
      lastSeenAt: n(record.lastSeenAt),
      [TTL]: n(epochSeconds(record.createdAt + this.absoluteMs)),
    };
  }

  async createSession(record: SessionRecord): Promise<void> {
    await awsCall('PutItem workbench session', () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: this.sessionItem(record),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      ),
    );
  }

  async session(key: string): Promise<SessionRecord | undefined> {
    const output = await awsCall('GetItem workbench session', () =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { [PK]: s(SESSION_KEYS.session(key)) }, ConsistentRead: true })),
    );
    const item = output.Item;
    if (!item?.record?.S) return undefined;
    const record: SessionRecord = { ...(JSON.parse(item.record.S) as SessionRecord), lastSeenAt: Number(item.lastSeenAt!.N) };
    if (item.replacedBy?.S) Object.assign(record, { replacedBy: item.replacedBy.S, replacedAt: Number(item.replacedAt!.N) });
    return record;
  }

  async touchSession(key: string, lastSeenAt: number): Promise<void> {
    try {
      await awsCall('UpdateItem workbench session', () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { [PK]: s(SESSION_KEYS.session(key)) },
            UpdateExpression: 'SET #seen = :seen',
            ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#by)',
            ExpressionAttributeNames: { '#pk': PK, '#seen': 'lastSeenAt', '#by': 'replacedBy' },
            ExpressionAttributeValues: { ':seen': n(lastSeenAt) },
          }),
        ),
      );
    } catch (error) {
      // Signed out or replaced meanwhile: nothing to touch (and nothing is created).
      if (!conditionFailed(error)) throw error;
    }
  }

  async replaceSession(oldKey: string, next: SessionRecord, oldKeyUntil: number): Promise<boolean> {
    try {
      await awsCall('TransactWriteItems workbench session rotation', () =>
        this.client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tableName,
                  Key: { [PK]: s(SESSION_KEYS.session(oldKey)) },
                  UpdateExpression: 'SET #by = :by, #at = :at, #seen = :at, #ttl = :ttl',
                  ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#by)',
                  ExpressionAttributeNames: { '#pk': PK, '#by': 'replacedBy', '#at': 'replacedAt', '#seen': 'lastSeenAt', '#ttl': TTL },
                  ExpressionAttributeValues: { ':by': s(next.key), ':at': n(next.rotatedAt), ':ttl': n(epochSeconds(oldKeyUntil)) },
                },
              },
              {
                Put: {
                  TableName: this.tableName,
                  Item: this.sessionItem(next),
                  ConditionExpression: 'attribute_not_exists(#pk)',
                  ExpressionAttributeNames: { '#pk': PK },
                },
              },
            ],
          }),
        ),
      );
      return true;
    } catch (error) {
      if (transactionConditionFailed(error)) return false;
      throw error;
    }
  }

  async deleteSession(key: string): Promise<void> {
    await awsCall('DeleteItem workbench session', () => this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: { [PK]: s(SESSION_KEYS.session(key)) } })));
  }

  /**
   * A no-op on DynamoDB: TTL (`expiresAt`) deletes expired sessions and sign-ins. Deleting them
   * here would need a Scan of the table on every sign-in; what TTL has not removed yet is refused
   * by the sign-in code's own time checks (see the header).
   */
  async purge(): Promise<void> {}

  async savePendingSignIn(pending: PendingSignIn): Promise<void> {
    await awsCall('PutItem workbench sign-in', () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            [PK]: s(SESSION_KEYS.signIn(pending.state)),
            record: s(JSON.stringify(pending)),
            createdAt: n(pending.createdAt),
            [TTL]: n(epochSeconds(pending.createdAt + this.pendingMs)),
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      ),
    );
  }

  async takePendingSignIn(state: string): Promise<PendingSignIn | undefined> {
    // The state comes from the callback's query string: one longer than any this workbench issues is no sign-in of ours.
    if (state.length === 0 || state.length > MAX_STATE_LENGTH) return undefined;
    const output = await awsCall('DeleteItem workbench sign-in', () =>
      this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: { [PK]: s(SESSION_KEYS.signIn(state)) }, ReturnValues: 'ALL_OLD' })),
    );
    const record = output.Attributes?.record?.S;
    return record ? (JSON.parse(record) as PendingSignIn) : undefined;
  }
}
