/**
 * AUDIT-1, AUDIT-2 end to end on the embedded runtime: authorisations posted with `ledgerline
 * post`, copied with `ledgerline audit sync` into a real PostgreSQL, found there (every ledger
 * sequence, archived lifecycle event and transaction state, once), `audit verify` exit 0; one row
 * tampered with: exit 1, naming it. Plus a workbench's actions through `--workbench`.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { openDurableDatabase, openStateDatabase } from '../../src/adapters/embedded/database';
import { SqliteTransactionStateStore } from '../../src/adapters/embedded/transaction-state-store';
import { SqliteWorkbenchStore, WORKBENCH_DB_FILE } from '../../src/adapters/embedded/workbench-store';
import { CliError } from '../../src/cli/errors';
import { buildProgram } from '../../src/cli/main';
import type { CaseEvent, ExceptionCase } from '../../src/recon/workbench/cases';
import { runCli } from '../support/cli-in-process';
import type { CliResult } from '../support/cli';
import { describeWithPostgres, useThrowAwayPostgres } from '../support/postgres';

/** `ledgerline <args>` as src/cli/main.ts builds it (the audit command among the others), in process. */
async function ledgerline(args: readonly string[]): Promise<CliResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io = { stdout: (text: string) => void stdout.push(text), stderr: (text: string) => void stderr.push(text) };
  const program = buildProgram(io);
  const previous = process.exitCode;
  process.exitCode = undefined;
  let status: number;
  try {
    await program.parseAsync(['node', 'ledgerline', ...args]);
    status = Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CliError) {
      stderr.push(`ledgerline: ${error.message}\n`);
      status = error.exitCode;
    } else if ((error as { code?: string }).code?.startsWith('commander.')) status = 2;
    else throw error;
  } finally {
    process.exitCode = previous;
  }
  return { status, stdout: stdout.join(''), stderr: stderr.join('') };
}

describeWithPostgres('ledgerline audit sync / verify on an embedded state', () => {
  const pg = useThrowAwayPostgres();
  let dir: string;
  let state: string;
  let url: string;
  let admin: Client;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'audit-sync-'));
    state = join(dir, 'state');
    url = await pg.freshDatabase();
    admin = await pg.client(url);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function post(seed: number, count: number): Promise<void> {
    const generated = await runCli(['generate', 'authorizations', '--count', String(count), '--seed', String(seed), '--duplicates', '0.1']);
    expect(generated.status).toBe(0);
    const input = join(dir, `auths-${seed}.ndjson`);
    writeFileSync(input, generated.stdout);
    const posted = await runCli(['post', '--input', input, '--state', state, '--partitions', '1', '--json']);
    expect(posted.stderr).not.toMatch(/error/i);
    expect(posted.status).toBe(0);
  }

  /** What the state holds: distinct ledger sequences, archived events, transaction states (id:version). */
  function stateContents(): { sequences: string[]; events: string[]; transactions: string[] } {
    const db = new Database(join(state, 'ledgerline.db'), { readonly: true });
    try {
      return {
        sequences: (db.prepare('SELECT DISTINCT sequence_id FROM ledger_legs ORDER BY 1').pluck().all() as string[]).map((id) => `ledger:${id}`),
        events: (db.prepare('SELECT event_id FROM event_archive ORDER BY 1').pluck().all() as string[]).map((id) => `event:${id}`),
        transactions: (db.prepare('SELECT transaction_id, version FROM transactions ORDER BY 1').all() as { transaction_id: string; version: number }[]).map(
          (row) => `transaction:${row.transaction_id}:v${row.version}`,
        ),
      };
    } finally {
      db.close();
    }
  }

  async function storedIds(source: string): Promise<string[]> {
    return (await admin.query('SELECT source_id FROM audit_rows WHERE source = $1 AND NOT starts_with(source_id, \'transaction:tx-retry\') ORDER BY source_id COLLATE "C"', [source])).rows.map(
      (row) => row.source_id,
    );
  }
  const sorted = (ids: string[]): string[] => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  it('copies every ledger change, lifecycle event and transaction state once, and verifies intact', async () => {
    await post(41, 40);
    const synced = await ledgerline(['audit', 'sync', '--state', state, '--database', url, '--json']);
    expect(synced.stderr).toContain('audit sync: embedded:');
    expect(synced.status).toBe(0);
    const contents = stateContents();
    expect(contents.sequences.length).toBeGreaterThan(10);
    expect(contents.events.length).toBeGreaterThan(10);
    expect(await storedIds('ledger')).toEqual(sorted(contents.sequences));
    expect(await storedIds('lifecycle')).toEqual(sorted(contents.events));
    expect(await storedIds('transaction-state')).toEqual(sorted(contents.transactions));
    const summary = JSON.parse(synced.stdout) as { appended: number; duplicates: number };
    expect(summary.appended).toBe(contents.sequences.length + contents.events.length + contents.transactions.length);

    // A second sync finds nothing new (each feed's cursor is past it).
    const again = await ledgerline(['audit', 'sync', '--state', state, '--database', url, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ appended: 0, duplicates: 0 });
    // A full re-read appends nothing either: every record is there already.
    const full = await ledgerline(['audit', 'sync', '--state', state, '--database', url, '--full', '--json']);
    expect(JSON.parse(full.stdout).appended).toBe(0);
    expect(JSON.parse(full.stdout).duplicates).toBeGreaterThanOrEqual(contents.sequences.length + contents.events.length);

    const verified = await ledgerline(['audit', 'verify', '--database', url]);
    expect(verified.stdout).toMatch(/^audit verify: \d+ partition\(s\), \d+ row\(s\): intact\n$/);
    expect(verified.status).toBe(0);
  });

  it('a payment’s ledger change, its lifecycle events and its states are found by its ids, in order', async () => {
    const { rows } = await admin.query(
      `SELECT event_type, partition_key FROM audit_rows
       WHERE subject_ids @> ARRAY[(SELECT payload->>'authorizationId' FROM audit_rows WHERE source = 'ledger' ORDER BY source_id LIMIT 1)]
       ORDER BY occurred_at, partition_key, seq`,
    );
    const types = rows.map((row) => row.event_type);
    expect(types).toContain('ledger.sequence-recorded');
    expect(types).toContain('posting.completed');
    expect(types.indexOf('ledger.sequence-recorded')).toBeLessThanOrEqual(types.indexOf('posting.completed'));
  });

  it('copies every version of a transaction state the feed sees (the sweeper’s RETRYING → FAILED)', async () => {
    const other = join(dir, 'state-retries');
    const db = openStateDatabase(other);
    const states = new SqliteTransactionStateStore(db);
    const base = { transactionId: 'tx-retry-1', authorizationId: 'AUTH-R1', attempts: 0, version: 0, updatedAt: '2026-12-01T08:00:00.000Z' };
    const v1 = await states.put({ ...base, status: 'RETRYING', stage: 'enrich', lastError: 'reference data timed out' }, 0);
    db.close();
    expect((await ledgerline(['audit', 'sync', '--state', other, '--database', url])).status).toBe(0);
    const reopened = openStateDatabase(other);
    await new SqliteTransactionStateStore(reopened).put({ ...v1, status: 'FAILED', attempts: 5, updatedAt: '2026-12-01T09:00:00.000Z' }, v1.version);
    reopened.close();
    expect((await ledgerline(['audit', 'sync', '--state', other, '--database', url])).status).toBe(0);
    const { rows } = await admin.query("SELECT source_id, event_type, actor, payload->>'lastError' AS error FROM audit_rows WHERE subject_ids @> ARRAY['tx-retry-1'] ORDER BY occurred_at");
    expect(rows).toEqual([
      { source_id: 'transaction:tx-retry-1:v1', event_type: 'transaction.RETRYING', actor: 'ledgerline.enrich', error: 'reference data timed out' },
      { source_id: 'transaction:tx-retry-1:v2', event_type: 'transaction.FAILED', actor: 'ledgerline.enrich', error: 'reference data timed out' },
    ]);
  });

  it('copies only what is new after more posting (the cursors)', async () => {
    const before = stateContents();
    await post(42, 25);
    const after = stateContents();
    const added = after.sequences.length - before.sequences.length + (after.events.length - before.events.length);
    expect(added).toBeGreaterThan(0);
    const synced = await ledgerline(['audit', 'sync', '--state', state, '--database', url, '--json']);
    const summary = JSON.parse(synced.stdout) as { appended: number; duplicates: number };
    expect(summary.duplicates).toBe(0);
    expect(await storedIds('ledger')).toEqual(sorted(after.sequences));
    expect(await storedIds('lifecycle')).toEqual(sorted(after.events));
    expect(await storedIds('transaction-state')).toEqual(sorted(after.transactions));
    expect((await ledgerline(['audit', 'verify', '--database', url])).status).toBe(0);
  });

  it('copies a workbench’s actions and case states with --workbench', async () => {
    const out = join(dir, 'recon-out');
    const db = openDurableDatabase(out, WORKBENCH_DB_FILE);
    const store = new SqliteWorkbenchStore(db);
    const base: ExceptionCase = {
      caseId: 'exception:statement:line-1',
      kind: 'exception',
      runId: 'run-1',
      side: 'statement',
      reason: 'UNMATCHED',
      accountId: 'GB29NWBK60161331926819',
      currency: 'GBP',
      amount: '-1250.00',
      ageDays: 3,
      ledgerEntryIds: [],
      status: 'OPEN',
      version: 1,
      updatedAt: '2026-12-01T09:00:00.000Z',
    } as ExceptionCase;
    const events: CaseEvent[] = [
      { caseId: base.caseId, version: 1, action: 'import', actor: 'ledgerline', at: '2026-12-01T09:00:00.000Z', to: 'OPEN' },
      { caseId: base.caseId, version: 2, action: 'propose-write-off', actor: 'ana@bank.example', at: '2026-12-01T10:00:00.000Z', from: 'OPEN', to: 'PENDING_APPROVAL', note: 'fee' },
      { caseId: base.caseId, version: 3, action: 'approve-write-off', actor: 'ben@bank.example', at: '2026-12-01T11:00:00.000Z', from: 'PENDING_APPROVAL', to: 'RESOLVED' },
    ];
    await store.save(base, events[0]!);
    await store.save({ ...base, status: 'PENDING_APPROVAL', version: 2, updatedAt: events[1]!.at }, events[1]!);
    await store.save({ ...base, status: 'RESOLVED', version: 3, updatedAt: events[2]!.at }, events[2]!);
    db.close();

    const synced = await ledgerline(['audit', 'sync', '--state', state, '--workbench', out, '--database', url, '--json']);
    expect(synced.status).toBe(0);
    expect(JSON.parse(synced.stdout).appended).toBe(4); // three actions and the case as it stands (v3)
    const { rows } = await admin.query(
      `SELECT a.actor, a.event_type, c.payload->>'amount' AS amount FROM audit_rows a
       JOIN audit_rows c ON c.event_type = 'workbench.case-state' AND c.payload->>'caseId' = a.payload->>'caseId'
       WHERE a.event_type = 'workbench.approve-write-off' AND abs((c.payload->>'amount')::numeric) > 1000`,
    );
    expect(rows).toEqual([{ actor: 'ben@bank.example', event_type: 'workbench.approve-write-off', amount: '-1250.00' }]);
  });

  it('the example queries of docs/audit-trail.md run and answer (AUDIT-3)', async () => {
    const docs = readFileSync(join(__dirname, '../../docs/audit-trail.md'), 'utf8');
    const queries = [...docs.matchAll(/```sql\n([\s\S]*?)```/g)].map((match) => match[1]!);
    expect(queries.length).toBeGreaterThanOrEqual(3);
    const authorizationId = (await admin.query("SELECT payload->>'authorizationId' AS id FROM audit_rows WHERE source = 'ledger' LIMIT 1")).rows[0].id as string;
    const answers = [];
    for (const sql of queries) answers.push((await admin.query(sql.replace('AUTH-000123', authorizationId))).rows);
    const [payment, writeOffs, daily, gaps, totals] = answers as [Record<string, unknown>[], Record<string, unknown>[], Record<string, unknown>[], unknown[], Record<string, unknown>[]];
    expect(payment.map((row) => row.event_type)).toEqual(expect.arrayContaining(['ledger.sequence-recorded', 'posting.completed']));
    expect(writeOffs).toEqual([expect.objectContaining({ approved_by: 'ben@bank.example', amount: '-1250.00', case_id: 'exception:statement:line-1' })]);
    expect(daily.length).toBeGreaterThan(0);
    expect(daily.every((row) => row.chains_linked === true)).toBe(true);
    expect(gaps).toEqual([]);
    expect(totals.every((row) => row.debits === row.credits)).toBe(true);
  });

  it('a tampered row makes verify exit 1 naming its partition, seq and source id', async () => {
    const victim = (await admin.query("SELECT partition_key, seq::int AS seq, source_id FROM audit_rows WHERE source = 'ledger' ORDER BY source_id LIMIT 1")).rows[0];
    await admin.query('BEGIN');
    await admin.query('SET LOCAL session_replication_role = replica');
    await admin.query(`UPDATE audit_rows SET payload = jsonb_set(payload, '{legs,0,amount,value}', '"0.01"') WHERE partition_key = $1 AND seq = $2`, [victim.partition_key, victim.seq]);
    await admin.query('COMMIT');
    const verified = await ledgerline(['audit', 'verify', '--database', url]);
    expect(verified.status).toBe(1);
    expect(verified.stdout).toContain(`: 1 fault(s)\n  ${victim.partition_key} seq ${victim.seq}: changed (${victim.source_id}): its content no longer matches its row hash`);
    const json = await ledgerline(['audit', 'verify', '--database', url, '--partition', victim.partition_key, '--json']);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ intact: false, partitions: 1, faults: [{ partition: victim.partition_key, seq: victim.seq, kind: 'changed', sourceId: victim.source_id }] });
  });

  it('copies every partition of a state partitioned by card, each partition its own feeds', async () => {
    const partitioned = join(dir, 'state-partitioned');
    const generated = await runCli(['generate', 'authorizations', '--count', '30', '--seed', '43']);
    const input = join(dir, 'auths-43.ndjson');
    writeFileSync(input, generated.stdout);
    expect((await runCli(['post', '--input', input, '--state', partitioned, '--partitions', '2', '--json'])).status).toBe(0);
    const migrated = await ledgerline(['audit', 'migrate', '--database', url]);
    expect(migrated.status).toBe(0);
    expect(migrated.stdout).toMatch(/^audit migrate: (up to date|applied 0001_audit_trail\.sql)\n$/);
    const before = Number((await admin.query("SELECT count(*) AS n FROM audit_rows WHERE source = 'ledger'")).rows[0].n);
    const synced = await ledgerline(['audit', 'sync', '--state', partitioned, '--database', url, '--json']);
    expect(synced.status).toBe(0);
    const feeds = (JSON.parse(synced.stdout) as { feeds: { feed: string }[] }).feeds.map((feed) => feed.feed);
    expect(feeds.filter((feed) => feed.endsWith(':ledger')).map((feed) => feed.replace(/^.*\/(p\d+):ledger$/, '$1'))).toEqual(['p0', 'p1']);
    let sequences = 0;
    for (const p of ['p0', 'p1']) {
      const db = new Database(join(partitioned, 'partitions', p, 'ledgerline.db'), { readonly: true });
      sequences += db.prepare('SELECT count(DISTINCT sequence_id) FROM ledger_legs').pluck().get() as number;
      db.close();
    }
    expect(sequences).toBeGreaterThan(0);
    expect(Number((await admin.query("SELECT count(*) AS n FROM audit_rows WHERE source = 'ledger'")).rows[0].n) - before).toBe(sequences);
  });

  it('refuses a state directory with no state, naming it', async () => {
    const result = await ledgerline(['audit', 'sync', '--state', join(dir, 'nothing'), '--database', url]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`audit sync: state directory "${join(dir, 'nothing')}" holds no state`);
  });
});
