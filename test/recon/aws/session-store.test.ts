/**
 * WB-AUTH-1: the SessionStore contract against the embedded store (SQLite) and the DynamoDB store
 * (dynalite with transactions), then what only the DynamoDB store does: the items' TTL, rotation
 * as one transaction, the table's shape.
 */
import { createHash } from 'node:crypto';
import { SqliteSessionStore } from '../../../src/adapters/embedded/workbench-store';
import { DynamoSessionStore, SESSION_KEYS, SESSIONS_TABLE } from '../../../src/adapters/aws/dynamo-session-store';
import type { SessionRecord } from '../../../src/recon/workbench/ports';
import { openMemoryDatabase } from '../../support/memory-database';
import { sessionStoreContract } from './session-store.contract';
import { SessionTables } from './support/sessions-table';

sessionStoreContract('SQLite (workbench.db)', { fresh: async () => new SqliteSessionStore(openMemoryDatabase()), purgeDeletes: true, runs: 60 });

const TABLE_COUNT = 4;
const tables = new SessionTables(Array.from({ length: TABLE_COUNT }, (_, i) => `sessions-${i}`));
let opened = 0;

beforeAll(async () => {
  await tables.start();
}, 60_000);
afterAll(async () => {
  await tables.stop();
});

/** A fresh store: the tables are reused in turn, emptied first. */
async function freshDynamo(options: { absoluteSeconds?: number; pendingSeconds?: number } = {}): Promise<{ store: DynamoSessionStore; tableName: string }> {
  const tableName = `sessions-${opened++ % TABLE_COUNT}`;
  await tables.clear(tableName);
  return { store: new DynamoSessionStore({ client: tables.client, tableName, ...options }), tableName };
}

sessionStoreContract('DynamoDB (dynalite with transactions)', { fresh: async () => (await freshDynamo()).store, purgeDeletes: false, runs: 25 });

describe('DynamoSessionStore', () => {
  const T0 = Date.UTC(2026, 11, 6, 9, 0, 0);
  const record = (key: string, extra: Partial<SessionRecord> = {}): SessionRecord => ({
    key,
    sub: '00u1ana',
    name: 'Ana',
    roles: ['reconciler'],
    csrfKey: 'csrf',
    createdAt: T0,
    lastSeenAt: T0,
    rotatedAt: T0,
    ...extra,
  });

  it('keeps its items in the one table definition: key pk, TTL expiresAt, no stream (sessions never reach the audit trail)', () => {
    expect(SESSIONS_TABLE.partitionKey).toEqual({ name: 'pk', type: 'S' });
    expect(SESSIONS_TABLE.ttlAttribute).toBe('expiresAt');
    expect('stream' in SESSIONS_TABLE && SESSIONS_TABLE.stream).toBeFalsy();
    expect(SESSIONS_TABLE.envVar).toBe('WORKBENCH_SESSIONS_TABLE');
  });

  it("TTL: a session's item expires at its absolute limit (kept through rotation and touches), a sign-in's after its 10 minutes", async () => {
    const { store, tableName } = await freshDynamo({ absoluteSeconds: 3600, pendingSeconds: 600 });
    const key = createHash('sha256').update('id-1').digest('base64url');
    await store.createSession(record(key, { createdAt: T0 + 1 }));
    await store.touchSession(key, T0 + 50_000);
    const rotated = createHash('sha256').update('id-2').digest('base64url');
    // The old key is kept for the grace window only: its TTL is the end of the window the sign-in code passes.
    expect(await store.replaceSession(key, record(rotated, { createdAt: T0 + 1, lastSeenAt: T0 + 900_000, rotatedAt: T0 + 900_000 }), T0 + 930_000)).toBe(true);
    await store.savePendingSignIn({ state: 'state-1', nonce: 'n', codeVerifier: 'v', createdAt: T0 });
    const items = new Map((await tables.items(tableName)).map((item) => [String(item.pk!.S), item]));
    expect([...items.keys()].sort()).toEqual([SESSION_KEYS.session(key), SESSION_KEYS.session(rotated), SESSION_KEYS.signIn('state-1')].sort());
    // ceil((T0 + 1 ms + 3600 s) / 1000): never before the limit the sign-in code enforces.
    expect(items.get(SESSION_KEYS.session(rotated))!.expiresAt).toEqual({ N: String(T0 / 1000 + 3601) });
    expect(items.get(SESSION_KEYS.session(key))!.expiresAt).toEqual({ N: String(T0 / 1000 + 930) });
    expect(items.get(SESSION_KEYS.session(key))!.replacedBy).toEqual({ S: rotated });
    expect(items.get(SESSION_KEYS.signIn('state-1'))!.expiresAt).toEqual({ N: String(T0 / 1000 + 600) });
  });

  it('rotation is one TransactWriteItems (conditional Update of the old key + conditional Put); a cancelled one changes nothing', async () => {
    const { store, tableName } = await freshDynamo();
    const key = 'k-old';
    await store.createSession(record(key));
    const before = tables.standIn.counters.transactions;
    // The new key is taken already: the Put's condition fails, so the old key's Update is undone too.
    await store.createSession(record('k-taken', { sub: 'someone-else' }));
    expect(await store.replaceSession(key, record('k-taken'), T0 + 30_000)).toBe(false);
    expect(tables.standIn.counters.transactions - before).toBe(1);
    expect(await store.session(key)).toEqual(record(key));
    expect((await store.session('k-taken'))!.sub).toBe('someone-else');
    expect((await tables.items(tableName)).length).toBe(2);
  });

  it('a touch of a signed-out key writes no stub item (the UpdateItem is conditional on the session existing)', async () => {
    const { store, tableName } = await freshDynamo();
    await store.touchSession('k-gone', T0 + 1);
    expect(await tables.items(tableName)).toEqual([]);
  });

  it('purge is a no-op (TTL purges): it issues no request', async () => {
    const { store } = await freshDynamo();
    const before = JSON.stringify(tables.standIn.counters.requests);
    await store.purge();
    expect(JSON.stringify(tables.standIn.counters.requests)).toBe(before);
  });
});
