/**
 * Undo of a resolution in headless Chromium, signed in through the real local OIDC provider
 * (WB-1, WB-AUTH-1), on a real posting state (`ledgerline post`) as the workbench's ledger (what
 * `workbench --state DIR` wires):
 * - a case resolved from its page (keys: r, then Ctrl+Enter) and undone with u: OPEN again, the undo
 *   in its history, the resolution gone from the page;
 * - a batch case (its line and items, one case: REC-CASE-1) matched whole through its candidate and
 *   undone as one: OPEN with all its members, its candidate offered again;
 * - a write-off proposed by one person and approved by another (four eyes) is undone: the case is
 *   OPEN, `ledgerline ledger --state DIR --json` shows every balance back where it was, and the
 *   reversing entry in the posting records is balanced and mirrors the booking (ADJ-1);
 * - once the resolution's period is closed (what `--closed-through YYYY-MM` wires), the undo is
 *   refused on the page with the reason and nothing changes.
 * Skipped (with a warning) where Chromium is missing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openLocalWorkbenchLedger } from '../../../src/adapters/embedded/recon-workbench-ledger';
import { toMinorUnits } from '../../../src/domain/money';
import { parsePostingLines } from '../../../src/domain/posting-record';
import type { ExceptionCase } from '../../../src/recon/workbench/cases';
import { caseHref } from '../../../src/recon/workbench/html';
import { partitionDirs } from '../../../src/runtime/state-layout';
import { runCli } from '../../support/cli-in-process';
import { sampleLines, tempDir } from '../../support/runtime';
import { exceptionCase, memoryStore, raisedEvent } from './helpers';
import { describeWithChromium, type SignedInBrowser, startSignedInBrowser } from './support/signed-in-browser';

const USERS = {
  clientId: 'ledgerline-workbench',
  groupRoles: { preparers: 'reconciler', controllers: 'approver' },
  users: [
    { sub: 'u-rita', name: 'Rita Reconciler', email: 'rita@bank.example', groups: ['preparers'] },
    { sub: 'u-anna', name: 'Anna Approver', email: 'anna@bank.example', groups: ['controllers'] },
  ],
};

/** SETTLE-GBP-001's IBAN in reference data: a statement names the account by it. */
const SETTLE_GBP_IBAN = 'GB18LDGL67874426580264';
const ACCOUNT = 'DE89370400440532013000';

const lone = exceptionCase({ caseId: 'exception:statement:undo-line', statementLineId: 'undo-line', amount: '-18.40' });
const late = exceptionCase({ caseId: 'exception:statement:undo-late', statementLineId: 'undo-late', amount: '-3.10' });
const charge = exceptionCase({ caseId: 'exception:statement:undo-fee', statementLineId: 'undo-fee', accountId: SETTLE_GBP_IBAN, currency: 'GBP', amount: '-4.25' });
const member = (side: 'statement' | 'ledger', id: string, amount: string) => ({ side, id, reason: 'AMOUNT_MISMATCH', ageDays: 4, accountId: ACCOUNT, currency: 'EUR', amount });
const batch = exceptionCase({
  caseId: 'group:grp-undo',
  group: 'grp-undo',
  side: 'both',
  reason: 'AMOUNT_MISMATCH',
  accountId: ACCOUNT,
  amount: '1000.00',
  ageDays: 4,
  statementLineId: undefined,
  ledgerEntryIds: ['UI-1', 'UI-2', 'UI-3'],
  members: [member('statement', 'ULINE-1', '1000.00'), member('ledger', 'UI-1', '250.00'), member('ledger', 'UI-2', '700.00'), member('ledger', 'UI-3', '50.00')],
});

async function ledgerBalances(state: string): Promise<Map<string, bigint>> {
  const result = await runCli(['ledger', '--state', state, '--json']);
  expect(result.status).toBe(0);
  const { accounts } = JSON.parse(result.stdout) as { accounts: { accountId: string; currency: string; balance: string }[] };
  return new Map(accounts.map((account) => [`${account.accountId} ${account.currency}`, toMinorUnits(account.balance, account.currency)]));
}

/** The posting-record lines of the state's outbox. */
function postingLines(state: string) {
  const text = partitionDirs(state)
    .filter((dir) => existsSync(join(dir, 'outbox')))
    .flatMap((dir) =>
      readdirSync(join(dir, 'outbox'))
        .filter((name) => name.endsWith('.txt'))
        .map((name) => readFileSync(join(dir, 'outbox', name), 'utf8')),
    )
    .join('');
  return parsePostingLines(text.endsWith('\n') || text === '' ? text : `${text}\n`);
}

describeWithChromium(__filename)('undo in a browser', () => {
  const root = tempDir('workbench-undo-browser-');
  const state = join(root, 'state');
  const store = memoryStore();
  /** The last closed month, as `--closed-through` gives it (changed by the last test). */
  let closedThrough: string | undefined;
  let ledger: ReturnType<typeof openLocalWorkbenchLedger>;
  let workbench: SignedInBrowser;

  beforeAll(async () => {
    mkdirSync(root, { recursive: true });
    const input = join(root, 'auths.ndjson');
    writeFileSync(input, `${sampleLines(30, 5, 0).join('\n')}\n`);
    expect((await runCli(['post', '--input', input, '--state', state, '--partitions', '1'])).status).toBe(0);
    await store.applyImport('run-undo', { raised: [lone, late, charge, batch].map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
    ledger = openLocalWorkbenchLedger(state);
    workbench = await startSignedInBrowser({
      store,
      users: USERS,
      csrfSecret: 'undo-browser-secret',
      deps: { ledger, periods: { closedThrough: async () => closedThrough } },
    });
  }, 120_000);

  afterAll(async () => {
    await workbench?.close();
    ledger?.close();
  });

  const open = async (page: Page, c: ExceptionCase): Promise<void> => {
    await page.goto(`${workbench.url}${caseHref(c.caseId)}`);
  };
  const historyRows = (page: Page) =>
    page.locator('h2:text("History") + table tbody tr').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent ?? '')));
  const landed = (page: Page, c: ExceptionCase) => page.waitForURL((url) => url.pathname === caseHref(c.caseId) && url.searchParams.has('done'));

  it('a case resolved with keys and undone with u is OPEN again, with the undo in its history', async () => {
    const page = await workbench.signIn('u-rita');
    await open(page, lone);
    // r goes to the resolve form (its fields are required); Ctrl+Enter sends it.
    await page.keyboard.press('r');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('resolution');
    await page.selectOption('#resolution', 'TIMING_DIFFERENCE');
    await page.locator('#note-resolve').fill('booked a day late');
    await page.locator('#note-resolve').press('Control+Enter');
    await landed(page, lone);
    expect(await page.locator('h1').innerText()).toContain('Resolved');
    expect((await store.get(lone.caseId))!.status).toBe('RESOLVED');

    // u: the undo form needs nothing more, so the key sends it.
    await page.keyboard.press('u');
    await page.waitForURL((url) => url.searchParams.get('done') === 'undo');
    expect(await page.locator('h1').innerText()).toContain('Open');
    expect(await page.locator('h2:text("Resolution")').count()).toBe(0);
    const after = (await store.get(lone.caseId))!;
    expect(after).toMatchObject({ status: 'OPEN', undone: { kind: 'TIMING_DIFFERENCE', by: 'u-rita', undoneBy: 'u-rita' } });
    expect(after.resolution).toBeUndefined();
    const rows = await historyRows(page);
    expect(rows.map((row) => [row[2], row[3], row[4]])).toEqual([
      ['ledgerline', 'Raised by run', 'Open'],
      ['u-rita', 'Resolve', 'Open → Resolved'],
      ['u-rita', 'Undo resolution', 'Resolved → Open'],
    ]);
    expect(rows[2]![5]).toContain('undid TIMING_DIFFERENCE');
    // Undone once: it can be resolved again, not undone again.
    expect(await page.locator('form[data-key="u"]').count()).toBe(0);
    expect(await page.locator('form[data-key="r"]').count()).toBe(1);
    await page.context().close();
  }, 120_000);

  it('a batch case matched whole through its candidate is undone as one: OPEN with every member, the candidate offered again', async () => {
    const page = await workbench.signIn('u-rita');
    await open(page, batch);
    expect(await page.locator('#candidate-1').innerText()).toContain('group sum equal: 3 items sum to 1000.00 EUR');
    await page.locator('#candidate-1 button[data-match="1"]').click();
    // A match goes on to the next case still worked; back to the batch.
    await page.waitForURL((url) => url.searchParams.get('done') === 'resolve' && url.searchParams.get('case') === batch.caseId);
    await open(page, batch);
    expect((await store.get(batch.caseId))!).toMatchObject({ status: 'RESOLVED', resolution: { kind: 'MATCHED_MANUALLY', ledgerEntryIds: ['UI-1', 'UI-2', 'UI-3'] } });
    expect(await page.locator('#candidate-1').count()).toBe(0);

    await page.getByRole('button', { name: 'Undo resolution' }).click();
    await page.waitForURL((url) => url.searchParams.get('done') === 'undo');
    const after = (await store.get(batch.caseId))!;
    // One case: its members, totals and entries as imported; only the resolution went.
    const { version: _v, updatedAt: _u, undone, ...rest } = after;
    const { version: _v0, updatedAt: _u0, ...imported } = batch;
    expect(rest).toEqual(imported);
    expect(undone).toMatchObject({ kind: 'MATCHED_MANUALLY', by: 'u-rita', undoneBy: 'u-rita' });
    expect((await store.history(batch.caseId)).map((event) => [event.action, event.to])).toEqual([
      ['import', 'OPEN'],
      ['resolve', 'RESOLVED'],
      ['undo', 'OPEN'],
    ]);
    expect(await page.locator('table[aria-label="Exceptions in this case"] tbody tr').count()).toBe(4);
    expect(await page.locator('#candidate-1').innerText()).toContain('group sum equal: 3 items sum to 1000.00 EUR');
    await page.context().close();
  }, 120_000);

  it('a write-off proposed by one person and approved by another is undone by a balanced reversing entry: every balance back', async () => {
    const before = await ledgerBalances(state);
    const linesBefore = postingLines(state).length;
    const rita = await workbench.signIn('u-rita');
    await open(rita, charge);
    await rita.locator('#note-propose-write-off').fill('unrecoverable bank charge');
    await rita.getByRole('button', { name: 'Propose write-off' }).click();
    await landed(rita, charge);
    // A reconciler is not offered the approval: another person, an approver, gives it (four eyes).
    expect(await rita.getByRole('button', { name: 'Approve write-off' }).count()).toBe(0);

    const anna = await workbench.signIn('u-anna');
    await open(anna, charge);
    await anna.getByRole('button', { name: 'Approve write-off' }).click();
    await landed(anna, charge);
    expect(await anna.locator('h1').innerText()).toContain('Written off');
    const booked = (await store.get(charge.caseId))!.resolution!.adjustment!;
    const approvedAt = await ledgerBalances(state);
    const moved = (key: string) => (approvedAt.get(key) ?? 0n) - (before.get(key) ?? 0n);
    expect([moved('SETTLE-GBP-001 GBP'), moved('WRITEOFF-GBP GBP')]).toEqual([-425n, 425n]);

    await rita.reload();
    await rita.locator('#note-undo').fill('the bank refunded the charge');
    await rita.getByRole('button', { name: 'Undo resolution' }).click();
    await rita.waitForURL((url) => url.searchParams.get('done') === 'undo');
    expect(await rita.locator('h1').innerText()).toContain('Open');
    const history = await store.history(charge.caseId);
    expect(history.map((event) => event.action)).toEqual(['import', 'propose-write-off', 'approve-write-off', 'undo']);
    const reversal = history[3]!.adjustmentId!;
    expect(reversal).toMatch(/^ADJ-[0-9a-f]{24}$/);
    expect(reversal).not.toBe(booked.adjustmentId);
    const rows = await historyRows(rita);
    expect(rows[3]!.slice(2, 5)).toEqual(['u-rita', 'Undo resolution', 'Written off → Open']);
    expect(rows[3]![5]).toContain('the bank refunded the charge');
    expect(rows[3]![5]).toMatch(/undid WRITTEN_OFF.*reversed as/);

    // The ledger: every balance back where it was.
    const back = await ledgerBalances(state);
    for (const key of new Set([...before.keys(), ...back.keys()])) expect([key, back.get(key) ?? 0n]).toEqual([key, before.get(key) ?? 0n]);
    // The posting records: the booking and its reversal, each balanced, the reversal the booking's mirror.
    const lines = postingLines(state);
    expect(lines).toHaveLength(linesBefore + 4);
    const legs = (id: string) => lines.filter((line) => line.authorizationId === id.toUpperCase());
    const net = (id: string) => legs(id).reduce((sum, line) => sum + (line.debitCredit === 'D' ? line.amountMinor : -line.amountMinor), 0n);
    expect(legs(booked.adjustmentId).map((line) => [line.accountId, line.debitCredit, line.amountMinor, line.currency])).toEqual([
      ['SETTLE-GBP-001', 'D', 425n, 'GBP'],
      ['WRITEOFF-GBP', 'C', 425n, 'GBP'],
    ]);
    expect(
      legs(reversal)
        .map((line) => [line.accountId, line.debitCredit, line.amountMinor, line.currency])
        .sort(),
    ).toEqual([
      ['SETTLE-GBP-001', 'C', 425n, 'GBP'],
      ['WRITEOFF-GBP', 'D', 425n, 'GBP'],
    ]);
    expect([net(booked.adjustmentId), net(reversal)]).toEqual([0n, 0n]);
    await rita.context().close();
    await anna.context().close();
  }, 120_000);

  it('once the period of the resolution is closed, the undo is refused on the page with the reason, and nothing changes', async () => {
    const page = await workbench.signIn('u-rita');
    await open(page, late);
    await page.selectOption('#resolution', 'BANK_ERROR');
    await page.locator('#note-resolve').fill('the bank booked it twice');
    await page.getByRole('button', { name: 'Resolve', exact: true }).click();
    await landed(page, late);
    const resolved = (await store.get(late.caseId))!;
    const period = resolved.resolution!.at.slice(0, 7);
    closedThrough = period;
    try {
      await page.getByRole('button', { name: 'Undo resolution' }).click();
      const alert = page.getByRole('alert');
      await expect(alert.innerText()).resolves.toContain(`Nothing was changed: `);
      await expect(alert.innerText()).resolves.toContain(`is in period ${period}, which is closed (closed through ${period})`);
      expect(await page.locator('h1').innerText()).toContain('Resolved');
      expect(await store.get(late.caseId)).toEqual(resolved);
      expect(await store.history(late.caseId)).toHaveLength(2);
    } finally {
      closedThrough = undefined;
    }
    await page.context().close();
  }, 120_000);
});
