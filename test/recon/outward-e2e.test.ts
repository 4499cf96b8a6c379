/**
 * NOTIFY-1/2, HOOK-1, REC-1, ADJ-1 end to end, embedded, through the real commands:
 * `ledgerline post` a posting state, `ledgerline reconcile --state` a statement of one of its
 * settlement accounts, `ledgerline notify --once`: the partner's webhook receiver (loopback, the
 * signature verified) gets the reconciliation summary, the operations recipient its email in the
 * file sink. Then a write-off approved in `ledgerline workbench --state` (a child process) and
 * `ledgerline notify --once` again: write-off.approved, to both. A third notify sends nothing.
 */
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from '../../src/adapters/embedded/workbench-store';
import { applyCaseAction } from '../../src/recon/workbench/cases';
import type { WebhookBody } from '../../src/use-cases/notify/notify';
import { cliAsync } from '../support/cli';
import { runCli } from '../support/cli-in-process';
import { sampleLines, tempDir } from '../support/runtime';
import { runNotifyCli } from '../notify/support/notify-cli';
import { WebhookReceiver } from '../notify/support/receiver';
import { exceptionCase, raisedEvent, reconciler } from './workbench/helpers';

const SETTLEMENT_IBAN = 'GB18LDGL67874426580264'; // SETTLE-GBP-001 in reference data
const CASE_ID = 'exception:statement:outward-e2e-fee';

function mt940(): string {
  return [':20:STMT-E2E-1', `:25:${SETTLEMENT_IBAN}`, ':28C:1/1', ':60F:C240101GBP100,00', ':61:2401020102D2,50NMSCNONREF//BANKFEE-1', ':86:BANK CHARGE', ':62F:C240102GBP97,50', '-', ''].join('\r\n');
}

function emails(state: string): string[] {
  const dir = join(state, 'notify', 'outbox', 'email');
  return existsSync(dir) ? readdirSync(dir).map((name) => readFileSync(join(dir, name), 'utf8')) : [];
}

/** The emails of one purpose (by their template header), headers and decoded parts as text. */
function emailsOf(state: string, purpose: string): string[] {
  return emails(state)
    .filter((email) => email.includes(`X-Ledgerline-Template: ${purpose}/email/`))
    .map((email) => email.replace(/\r?\n\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n--/g, (_, part: string) => `\n\n${Buffer.from(part.replace(/\s+/g, ''), 'base64').toString('utf8')}\n--`));
}

/** Starts the workbench on --state, approves the pending case through its JSON API, stops it. */
async function approveThroughWorkbench(out: string, state: string): Promise<number> {
  const child = cliAsync(['workbench', '--out', out, '--no-import', '--port', '0', '--insecure-dev-identity', '--user', 'anna@bank.example', '--roles', 'approver', '--state', state]);
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
      body: JSON.stringify({ type: 'approve-write-off', note: 'bank charge agreed', expectedVersion: 2 }),
    });
    return response.status;
  } finally {
    child.kill('SIGTERM');
    const code = child.exitCode ?? (await once(child, 'exit'))[0];
    expect(code).toBe(0);
  }
}

describe('reconcile → notify, workbench → notify (embedded, end to end)', () => {
  const receiver = new WebhookReceiver({}, () => Date.now());
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());

  it('delivers the reconciliation summary and the approved write-off: a verified webhook and an operations email each, once', async () => {
    const root = tempDir('outward-e2e-');
    const state = join(root, 'state');
    const out = join(root, 'out');
    mkdirSync(out);
    const input = join(root, 'auths.ndjson');
    writeFileSync(input, `${sampleLines(30, 5, 0).join('\n')}\n`);
    expect((await runCli(['post', '--input', input, '--state', state, '--partitions', '1'])).status).toBe(0);

    const subscribed = await runNotifyCli(['webhooks', 'subscribe', '--state', state, '--id', 'finance-partner', '--url', receiver.url, '--events', 'reconciliation.summary,write-off.approved']);
    expect(subscribed.status).toBe(0);
    receiver.addKey('finance-partner-k1', /secret \(shown once; give it to the partner\): (\S+)/.exec(subscribed.stdout)![1]!);
    writeFileSync(
      join(state, 'notify', 'recipients.json'),
      JSON.stringify({ operations: [{ recipientId: 'ops-1', name: 'Operations', language: 'en', email: 'ops@bank.example', channels: ['email'] }] }),
    );
    // What the posted payments themselves cause (nobody here is told of them but partners of other purposes: none).
    const baseline = await runNotifyCli(['notify', '--state', state, '--once', '--json']);
    expect(baseline.status).toBe(0);
    const emailsBefore = emails(state).length;
    expect(receiver.requests).toHaveLength(0);

    const statement = join(root, 'settlement.sta');
    writeFileSync(statement, mt940());
    const reconciled = await runCli(['reconcile', '--statement', statement, '--state', state, '--out', out, '--json']);
    expect(reconciled.status).toBe(0);
    const runId = (JSON.parse(reconciled.stdout) as { runId: string }).runId;

    const first = await runNotifyCli(['notify', '--state', state, '--once', '--json']);
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ events: 1, stopped: [] });
    const summaries = [...receiver.processed.values()].map((body) => JSON.parse(body) as WebhookBody);
    expect(summaries).toEqual([
      expect.objectContaining({
        type: 'reconciliation.summary',
        data: expect.objectContaining({ accountId: SETTLEMENT_IBAN, exceptions: 1, unmatchedTotal: { value: '2.50', currency: 'GBP' } }),
      }),
    ]);
    expect(JSON.stringify(summaries[0]!.data)).toContain(runId.slice(0, 12));
    expect(receiver.requests.every((request) => request.valid && !request.duplicate)).toBe(true);
    expect(emails(state)).toHaveLength(emailsBefore + 1);
    const summaryEmails = emailsOf(state, 'reconciliation.summary');
    expect(summaryEmails).toHaveLength(1);
    expect(summaryEmails[0]).toContain('To: ops@bank.example');
    expect(summaryEmails[0]).toContain(`Reconciliation of ${SETTLEMENT_IBAN}: 0 matched, 1 exceptions`);
    expect(summaryEmails[0]).toContain('£2.50');

    // A write-off proposed by someone else, approved in the workbench on the same --state.
    const db = openWorkbenchDatabase(out);
    const store = new SqliteWorkbenchStore(db);
    const raised = exceptionCase({ caseId: CASE_ID, accountId: SETTLEMENT_IBAN, currency: 'GBP', amount: '-2.50', statementLineId: 'outward-e2e-fee' });
    await store.save(raised, raisedEvent(raised));
    const proposed = applyCaseAction(raised, { type: 'propose-write-off', note: 'bank charge' }, reconciler, '2026-11-06T08:00:00.000Z', 1);
    await store.save(proposed.next, proposed.event);
    db.close();
    expect(await approveThroughWorkbench(out, state)).toBe(200);

    const second = await runNotifyCli(['notify', '--state', state, '--once', '--json']);
    expect(JSON.parse(second.stdout)).toMatchObject({ events: 1, stopped: [] });
    const bodies = [...receiver.processed.values()].map((body) => JSON.parse(body) as WebhookBody);
    expect(bodies.map((body) => body.type)).toEqual(['reconciliation.summary', 'write-off.approved']);
    expect(bodies[1]!.data).toMatchObject({ caseId: CASE_ID, amount: { value: '2.50', currency: 'GBP' }, approvedBy: 'anna@bank.example', note: 'bank charge agreed' });
    expect(receiver.requests.every((request) => request.valid && !request.duplicate)).toBe(true);
    expect(emails(state)).toHaveLength(emailsBefore + 2);
    const writeOffEmails = emailsOf(state, 'write-off.approved');
    expect(writeOffEmails).toHaveLength(1);
    expect(writeOffEmails[0]).toContain('To: ops@bank.example');
    expect(writeOffEmails[0]).toContain('anna@bank.example');
    expect(writeOffEmails[0]).toContain('£2.50');

    // Nothing twice.
    const third = await runNotifyCli(['notify', '--state', state, '--once', '--json']);
    expect(JSON.parse(third.stdout)).toMatchObject({ events: 0 });
    expect(receiver.requests).toHaveLength(2);
    expect(emails(state)).toHaveLength(emailsBefore + 2);
  });
});
