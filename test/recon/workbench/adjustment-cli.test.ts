/**
 * ADJ-1 through the real command: `ledgerline workbench --state DIR` (a child process) books an
 * approved write-off in the posting state, and `ledgerline ledger --state DIR --json` shows it; the
 * same workbench without --state says so at start and refuses the approval (503), booking nothing.
 */
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { toMinorUnits } from '../../../src/domain/money';
import { applyCaseAction } from '../../../src/recon/workbench/cases';
import { cliAsync } from '../../support/cli';
import { runCli } from '../../support/cli-in-process';
import { sampleLines, tempDir } from '../../support/runtime';
import { exceptionCase, raisedEvent, reconciler } from './helpers';

const CASE_ID = 'exception:statement:fee-cli';

async function balances(state: string): Promise<Record<string, bigint>> {
  const { accounts } = JSON.parse((await runCli(['ledger', '--state', state, '--json'])).stdout) as { accounts: { accountId: string; currency: string; balance: string }[] };
  return Object.fromEntries(accounts.map((account) => [account.accountId, toMinorUnits(account.balance, account.currency)]));
}

/** Starts the workbench, approves the pending case through the JSON API, stops it; returns the answer and what it printed. */
async function approveThroughWorkbench(out: string, state: string | undefined): Promise<{ status: number; body: string; stdout: string }> {
  const child = cliAsync([
    'workbench',
    '--out',
    out,
    '--no-import',
    '--port',
    '0',
    '--insecure-dev-identity',
    '--user',
    'anna@bank.example',
    '--roles',
    'approver',
    ...(state ? ['--state', state] : []),
  ]);
  let stdout = '';
  try {
    child.stdout.setEncoding('utf8');
    const login = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        const match = /open: (http:\/\/127\.0\.0\.1:\d+\/login\?token=[0-9a-f]{64})\n/.exec(stdout);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code} before serving: ${stdout}`)));
    });
    const token = new URL(login).searchParams.get('token')!;
    const response = await fetch(new URL(`/api/cases/${encodeURIComponent(CASE_ID)}/actions`, login), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'approve-write-off', expectedVersion: 2 }),
    });
    return { status: response.status, body: await response.text(), stdout };
  } finally {
    child.kill('SIGTERM');
    const code = child.exitCode ?? (await once(child, 'exit'))[0];
    expect(code).toBe(0);
  }
}

describe('ledgerline workbench --state (ADJ-1)', () => {
  it('books an approved write-off in the posting state once; without --state the approval is refused', async () => {
    const root = tempDir('workbench-adj-cli-');
    const state = join(root, 'state');
    const out = join(root, 'out');
    mkdirSync(out);
    const input = join(root, 'auths.ndjson');
    writeFileSync(input, `${sampleLines(30, 5, 0).join('\n')}\n`);
    expect((await runCli(['post', '--input', input, '--state', state, '--partitions', '1'])).status).toBe(0);

    // A write-off proposed by someone else (four eyes), waiting for approval.
    const db = openWorkbenchDatabase(out);
    const store = new SqliteWorkbenchStore(db);
    const raised = exceptionCase({ caseId: CASE_ID, accountId: 'GB18LDGL67874426580264', currency: 'GBP', amount: '-2.50', statementLineId: 'fee-cli' });
    await store.save(raised, raisedEvent(raised));
    const proposed = applyCaseAction(raised, { type: 'propose-write-off', note: 'bank charge' }, reconciler, '2026-11-06T08:00:00.000Z', 1);
    await store.save(proposed.next, proposed.event);
    db.close();
    const before = await balances(state);

    const refused = await approveThroughWorkbench(out, undefined);
    expect(refused.stdout).toContain('ledger: none (--state not given)');
    expect(refused.status).toBe(503);
    expect(refused.body).toContain('--state');
    expect(await balances(state)).toEqual(before);

    const approved = await approveThroughWorkbench(out, state);
    expect(approved.stdout).toContain('ledger: approved write-offs are booked in the posting state');
    expect(approved.status).toBe(200);
    const after = await balances(state);
    expect(after['SETTLE-GBP-001']! - before['SETTLE-GBP-001']!).toBe(-250n);
    expect(after['WRITEOFF-GBP']).toBe(250n);
    const moved = Object.keys(after).filter((account) => after[account] !== before[account]);
    expect(moved.sort()).toEqual(['SETTLE-GBP-001', 'WRITEOFF-GBP']);

    // Approving again through a fresh start: refused (already WRITTEN_OFF), nothing more booked.
    const again = await approveThroughWorkbench(out, state);
    expect(again.status).toBe(409);
    expect(await balances(state)).toEqual(after);
  });
});
