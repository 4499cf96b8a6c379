/**
 * The keyboard-only flow in headless Chromium, signed in through the real local OIDC provider (as
 * oidc-browser.test.ts does): on the list (most urgent first) j moves to the batch case, Enter opens
 * it, 1 picks its first candidate (the items that sum to the line: "group sum equal"), c matches
 * the line and all its items and lands on the next case; there c confirms a proposed match and
 * lands on the next; there 1 and c match a line with another case's entry. ? shows the keys, Esc
 * hides them, n / p move between the cases still worked, l to the list. No click on the case pages: keys only.
 * Skipped (with a warning) where Chromium is missing.
 */
import type { ExceptionCase } from '../../../src/recon/workbench/cases';
import { caseHref } from '../../../src/recon/workbench/html';
import { dayText } from '../../../src/recon/workbench/sla';
import { exceptionCase, memoryStore, proposedMatch, raisedEvent } from './helpers';

import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { CHROMIUM, type SignedInBrowser, startSignedInBrowser } from './support/signed-in-browser';

const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) console.warn(`keyboard-browser.test.ts skipped: no Chromium at ${CHROMIUM}`);

const USERS = {
  clientId: 'ledgerline-workbench',
  groupRoles: { preparers: 'reconciler' },
  users: [{ sub: 'u-kim', name: 'Kim Keys', email: 'kim@bank.example', groups: ['preparers'] }],
};

const TODAY = dayText(Math.floor(Date.now() / 86_400_000));
const ACCOUNT = 'DE89370400440532013000';
const member = (side: 'statement' | 'ledger', id: string, amount: string, ageDays: number) => ({ side, id, reason: 'AMOUNT_MISMATCH', ageDays, accountId: ACCOUNT, currency: 'EUR', amount });

// Most urgent first by the shipped SLA rules: the batch (AMOUNT_MISMATCH, 3 days, opened 10 days ago),
// the proposed match (3 days, 5 days ago), the lone line (5 days, 1 day ago), the lone entry (5 days, today).
const batch: ExceptionCase = exceptionCase({
  caseId: 'group:grp-keys',
  group: 'grp-keys',
  asOf: TODAY,
  side: 'both',
  reason: 'AMOUNT_MISMATCH',
  accountId: ACCOUNT,
  amount: '1000.00',
  ageDays: 10,
  ledgerEntryIds: ['KI-1', 'KI-2', 'KI-3', 'KI-X'],
  members: [
    member('statement', 'KLINE-1', '1000.00', 10),
    member('ledger', 'KI-1', '250.00', 10),
    member('ledger', 'KI-2', '700.00', 9),
    member('ledger', 'KI-3', '50.00', 10),
    member('ledger', 'KI-X', '135962.94', 10),
  ],
});
const proposal = proposedMatch({ caseId: 'match:m-keys', asOf: TODAY, ageDays: 5, accountId: ACCOUNT, currency: 'EUR', amount: '42.00' });
const line = exceptionCase({ caseId: 'exception:statement:KLINE-2', statementLineId: 'KLINE-2', asOf: TODAY, ageDays: 1, accountId: ACCOUNT, amount: '-18.40' });
const entry = exceptionCase({ caseId: 'exception:ledger:KE-9', side: 'ledger', statementLineId: undefined, asOf: TODAY, ageDays: 0, accountId: ACCOUNT, amount: '-18.40' });

describeWithChromium('the keyboard-only flow', () => {
  const store = memoryStore();
  let workbench: SignedInBrowser;

  beforeAll(async () => {
    await store.applyImport('run-keys', { raised: [batch, proposal, line, entry].map((c) => ({ next: c, event: raisedEvent(c) })), refreshed: [], reopened: [], cleared: [] });
    workbench = await startSignedInBrowser({ store, users: USERS, csrfSecret: 'keyboard-browser-secret' });
  }, 60_000);

  afterAll(async () => workbench?.close());

  const signedIn = (): Promise<Page> => workbench.signIn('u-kim');

  const at = (c: ExceptionCase) => new RegExp(`${caseHref(c.caseId).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\?|$)`);

  it('works a batch case through its candidates and two more cases with keys only', async () => {
    const page = await signedIn();
    // The list, most urgent first, with due markers; the keys are announced.
    const ids = await page.locator('tbody tr td.id a').allInnerTexts();
    expect(ids).toEqual([batch.caseId, proposal.caseId, line.caseId, entry.caseId]);
    expect(await page.locator('tbody tr').first().locator('.sla').innerText()).toBe('Overdue');
    expect(await page.locator('#keys-hint').isVisible()).toBe(true);

    // ? shows the keys, Esc hides them.
    await page.keyboard.press('?');
    expect(await page.locator('#keys').isVisible()).toBe(true);
    expect(await page.locator('#keys').innerText()).toContain('pick a candidate of the case');
    await page.keyboard.press('Escape');
    expect(await page.locator('#keys').isVisible()).toBe(false);

    // j j k: the first row selected again; Enter opens it.
    await page.keyboard.press('j');
    await page.keyboard.press('ArrowDown');
    expect(await page.locator('tbody tr.selected td.id').innerText()).toBe(proposal.caseId);
    await page.keyboard.press('k');
    expect(await page.locator('tbody tr.selected td.id').innerText()).toBe(batch.caseId);
    await page.keyboard.press('Enter');
    await page.waitForURL(at(batch));

    // The batch: candidate 1 is the three items that sum to the line.
    const first = page.locator('#candidate-1');
    expect(await first.innerText()).toContain('group sum equal: 3 items sum to 1000.00 EUR');
    await page.keyboard.press('1');
    expect(await first.getAttribute('class')).toContain('selected');
    expect(await page.locator('#picked').innerText()).toContain('Candidate 1 picked');
    await page.keyboard.press('c');
    await page.waitForURL(at(proposal));
    expect(await page.locator('.flash.ok').innerText()).toContain(`on case ${batch.caseId}`);
    const matched = (await store.get(batch.caseId))!;
    expect(matched.status).toBe('RESOLVED');
    expect(matched.resolution?.ledgerEntryIds).toEqual(['KI-1', 'KI-2', 'KI-3']);
    expect(matched.resolution?.by).toBe('u-kim');

    // n and p move through the cases still worked (the resolved batch is no longer among them).
    expect(await page.locator('a[rel="prev"]').count()).toBe(0);
    await page.keyboard.press('n');
    await page.waitForURL(at(line));
    await page.keyboard.press('p');
    await page.waitForURL(at(proposal));

    // The proposed match: c confirms it and goes on.
    await page.keyboard.press('c');
    await page.waitForURL(at(line));
    expect((await store.get(proposal.caseId))!.status).toBe('RESOLVED');

    // The lone line: candidate 1 is the other case's entry of the same amount; 1, c match both cases.
    expect(await page.locator('#candidate-1').innerText()).toContain('amount equal');
    await page.keyboard.press('1');
    await page.keyboard.press('c');
    await page.waitForURL(at(entry));
    expect((await store.get(line.caseId))!.status).toBe('RESOLVED');
    expect(await page.locator('h1').innerText()).toContain('Resolved');
    expect((await store.history(entry.caseId)).map((event) => event.action)).toEqual(['import', 'resolve']);

    // l: back to the list, where nothing is left open.
    await page.keyboard.press('l');
    await page.waitForURL(`${workbench.url}/cases`);
    expect(await page.locator('.empty').innerText()).toContain('No cases match');
  }, 120_000);
});
