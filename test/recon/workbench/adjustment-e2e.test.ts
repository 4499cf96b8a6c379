/**
 * ADJ-1 acceptance, end to end on one machine: `ledgerline post` makes a (partitioned) posting
 * state; the workbench HTTP app, with that state as its ledger (what `workbench --state DIR`
 * wires), takes a write-off proposal from one person and its approval from another; then
 * `ledgerline ledger --state DIR --json` shows the adjustment as a balanced pair of balance moves,
 * exactly once however often (or concurrently) it is approved, its posting record is in the
 * state's outbox once, and the case's history names it. While `post` holds the state's lock an
 * approval is refused and nothing changes; `workbench --state` on a directory with no posting
 * state is refused naming it.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireDirLock } from '../../../src/adapters/embedded/dir-lock';
import { openLocalWorkbenchLedger } from '../../../src/adapters/embedded/recon-workbench-ledger';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { toMinorUnits } from '../../../src/domain/money';
import { parsePostingLines } from '../../../src/domain/posting-record';
import { createWorkbenchApp } from '../../../src/recon/workbench/app';
import type { Actor, CaseEvent, ExceptionCase } from '../../../src/recon/workbench/cases';
import { AuthenticationError, type Authenticator } from '../../../src/recon/workbench/ports';
import { partitionDirs } from '../../../src/runtime/state-layout';
import { runCli } from '../../support/cli-in-process';
import { sampleLines, tempDir } from '../../support/runtime';
import { exceptionCase, raisedEvent, steppingClock } from './helpers';

const ACTORS: Record<string, Actor> = {
  rita: { user: 'rita@bank.example', roles: ['reconciler'] },
  anna: { user: 'anna@bank.example', roles: ['approver'] },
  alex: { user: 'alex@bank.example', roles: ['approver'] },
  omar: { user: 'omar@bank.example', roles: ['approver'] },
};
const authenticator: Authenticator = {
  async authenticate(request) {
    const actor = ACTORS[request.headers['x-test-user'] ?? ''];
    if (!actor) throw new AuthenticationError('no session');
    return actor;
  },
};

/** SETTLE-GBP-001's IBAN in reference data: a statement names the account by it. */
const SETTLE_GBP_IBAN = 'GB18LDGL67874426580264';

async function ledgerBalances(state: string): Promise<Map<string, bigint>> {
  const result = await runCli(['ledger', '--state', state, '--json']);
  expect(result.status).toBe(0);
  const { accounts } = JSON.parse(result.stdout) as { accounts: { accountId: string; currency: string; balance: string }[] };
  return new Map(accounts.map((account) => [`${account.accountId} ${account.currency}`, toMinorUnits(account.balance, account.currency)]));
}

function changes(before: Map<string, bigint>, after: Map<string, bigint>): Record<string, bigint> {
  const moved: Record<string, bigint> = {};
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const delta = (after.get(key) ?? 0n) - (before.get(key) ?? 0n);
    if (delta !== 0n) moved[key] = delta;
  }
  return moved;
}

function outboxLines(state: string): string[] {
  const lines: string[] = [];
  for (const dir of partitionDirs(state)) {
    if (!existsSync(join(dir, 'outbox'))) continue;
    const files = readdirSync(join(dir, 'outbox')).filter((name) => name.endsWith('.txt'));
    for (const file of files)
      lines.push(
        ...readFileSync(join(dir, 'outbox', file), 'utf8')
          .split('\n')
          .filter((line) => line.length > 0),
      );
  }
  return lines;
}

describe('ADJ-1: an approved write-off, end to end', () => {
  let state: string;
  let out: string;

  beforeAll(async () => {
    const dir = tempDir('ledgerline-adj-');
    state = join(dir, 'state');
    out = join(dir, 'recon-out');
    const input = join(dir, 'auths.ndjson');
    writeFileSync(input, `${sampleLines(80, 31, 0).join('\n')}\n`);
    const posted = await runCli(['post', '--input', input, '--state', state, '--partitions', '2', '--json']);
    expect(posted.status).toBe(0);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out, { recursive: true });
  });

  function workbench() {
    const db = openWorkbenchDatabase(out);
    const store = new SqliteWorkbenchStore(db);
    const ledger = openLocalWorkbenchLedger(state);
    const app = createWorkbenchApp({ store, authenticator, clock: steppingClock('2026-11-04T10:00:00.000Z'), csrfSecret: 's', ledger });
    const act = async (user: string, caseId: string, body: Record<string, unknown>) => {
      const response = await app({
        method: 'POST',
        path: `/api/cases/${encodeURIComponent(caseId)}/actions`,
        query: {},
        headers: { 'x-test-user': user, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: JSON.parse(response.body) as { case?: ExceptionCase; event?: CaseEvent; error?: { code: string; message: string } } };
    };
    const detail = async (caseId: string) =>
      JSON.parse((await app({ method: 'GET', path: `/api/cases/${encodeURIComponent(caseId)}`, query: {}, headers: { 'x-test-user': 'rita' }, body: '' })).body) as {
        case: ExceptionCase;
        history: CaseEvent[];
      };
    return { store, act, detail, close: () => (ledger.close(), db.close()) };
  }

  it('appears in `ledgerline ledger --json` as a balanced adjustment, once; its record is in the outbox once; its case history names it', async () => {
    const { store, act, detail, close } = workbench();
    try {
      const charge = exceptionCase({ caseId: 'exception:statement:fee-1', accountId: SETTLE_GBP_IBAN, currency: 'GBP', amount: '-4.25', statementLineId: 'fee-1' });
      await store.save(charge, raisedEvent(charge));
      const before = await ledgerBalances(state);
      const linesBefore = outboxLines(state).length;

      expect((await act('rita', charge.caseId, { type: 'propose-write-off', note: 'unrecoverable bank charge', expectedVersion: 1 })).status).toBe(200);
      expect((await act('rita', charge.caseId, { type: 'approve-write-off', expectedVersion: 2 })).status).toBe(403); // four eyes
      const approved = await act('anna', charge.caseId, { type: 'approve-write-off', expectedVersion: 2 });
      expect(approved.status).toBe(200);
      const adjustmentId = approved.body.event!.adjustmentId!;
      expect(adjustmentId).toMatch(/^ADJ-[0-9a-f]{24}$/);
      // Submitted again (a double click, a retried request): refused, nothing more booked.
      expect((await act('anna', charge.caseId, { type: 'approve-write-off', expectedVersion: 2 })).status).toBe(409);
      expect((await act('alex', charge.caseId, { type: 'approve-write-off', expectedVersion: 3 })).status).toBe(409);

      const after = await ledgerBalances(state);
      expect(changes(before, after)).toEqual({ 'SETTLE-GBP-001 GBP': -425n, 'WRITEOFF-GBP GBP': 425n });

      const newLines = outboxLines(state).slice(linesBefore);
      const record = parsePostingLines(`${outboxLines(state).join('\n')}\n`).filter((line) => line.authorizationId === adjustmentId.toUpperCase());
      expect(record.map((line) => [line.legTypeCode, line.accountId, line.debitCredit, line.amountMinor, line.currency])).toEqual([
        ['ADJA', 'SETTLE-GBP-001', 'D', 425n, 'GBP'],
        ['WOFF', 'WRITEOFF-GBP', 'C', 425n, 'GBP'],
      ]);
      expect(newLines).toHaveLength(2);

      const { case: shown, history } = await detail(charge.caseId);
      expect(shown).toMatchObject({ status: 'WRITTEN_OFF', resolution: { kind: 'WRITTEN_OFF', by: 'anna@bank.example', adjustment: { adjustmentId, accountId: 'SETTLE-GBP-001', amount: '-4.25' } } });
      expect(history.map((event) => [event.action, event.adjustmentId])).toEqual([
        ['import', undefined],
        ['propose-write-off', undefined],
        ['approve-write-off', adjustmentId],
      ]);
    } finally {
      close();
    }
  });

  it('concurrent approvals book once', async () => {
    const { store, act, close } = workbench();
    try {
      const credit = exceptionCase({ caseId: 'exception:ledger:L-77', side: 'ledger', accountId: 'SETTLE-GBP-001', currency: 'GBP', amount: '10.00' });
      await store.save(credit, raisedEvent(credit));
      const before = await ledgerBalances(state);
      await act('rita', credit.caseId, { type: 'propose-write-off', note: 'never settled', expectedVersion: 1 });
      const outcomes = await Promise.all(['anna', 'alex', 'omar'].map((user) => act(user, credit.caseId, { type: 'approve-write-off', expectedVersion: 2 })));
      expect(outcomes.filter((outcome) => outcome.status === 200).length).toBeGreaterThanOrEqual(1);
      expect(outcomes.every((outcome) => outcome.status === 200 || outcome.status === 409)).toBe(true);
      // A ledger-side exception: the ledger booked 10.00 the bank never moved; the write-off takes it back.
      expect(changes(before, await ledgerBalances(state))).toEqual({ 'SETTLE-GBP-001 GBP': -1000n, 'WRITEOFF-GBP GBP': 1000n });
    } finally {
      close();
    }
  });

  it('while another command holds the state, an approval is refused naming it and nothing changes; afterwards it books', async () => {
    const { store, act, close } = workbench();
    try {
      const line = exceptionCase({ caseId: 'exception:statement:int-9', accountId: SETTLE_GBP_IBAN, currency: 'GBP', amount: '0.37', statementLineId: 'int-9' });
      await store.save(line, raisedEvent(line));
      await act('rita', line.caseId, { type: 'propose-write-off', note: 'interest', expectedVersion: 1 });
      const before = await ledgerBalances(state);
      const lock = acquireDirLock(state, 'ledgerline post');
      try {
        const refused = await act('anna', line.caseId, { type: 'approve-write-off', expectedVersion: 2 });
        expect(refused.status).toBe(503);
        expect(refused.body.error!.message).toContain('ledgerline post');
        expect(refused.body.error!.message).toContain('nothing was booked');
      } finally {
        lock.release();
      }
      expect(await ledgerBalances(state)).toEqual(before);
      expect((await store.get(line.caseId))!.status).toBe('PENDING_APPROVAL');
      expect((await act('anna', line.caseId, { type: 'approve-write-off', expectedVersion: 2 })).status).toBe(200);
      expect(changes(before, await ledgerBalances(state))).toEqual({ 'SETTLE-GBP-001 GBP': 37n, 'WRITEOFF-GBP GBP': -37n });
    } finally {
      close();
    }
  });

  it('`workbench --state` on a directory with no posting state is refused, naming it', async () => {
    const missing = join(tempDir('ledgerline-adj-none-'), 'nothing-here');
    const result = await runCli(['workbench', '--out', out, '--no-import', '--state', missing]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`--state "${missing}" holds no posting state`);
  });
});
