/**
 * NOTIFY-1: the two outward events with a producer. workbench.write-off-approved once per booked
 * write-off (through actOnLedger, however often and concurrently it is approved; not for a
 * crashed or refused approval); reconciliation.completed per account of a committed run, counts
 * and totals exact on generated runs; each notifies its purpose with every variable. The embedded
 * notify outbox keeps an event once and the notifier's source reads it in order; the EventBridge
 * publisher sends the event whole and rejects an entry the bus refused.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeOutwardPublisher } from '../../src/adapters/aws/notify-outward';
import { OUTWARD_SOURCE, SqliteOutwardEventPublisher } from '../../src/adapters/embedded/notify-outward';
import { ArchiveNotifyEventSource } from '../../src/adapters/embedded/notify-sources';
import { fromMinorUnits, toMinorUnits } from '../../src/domain/money';
import { variablesOf } from '../../src/notify/catalogue';
import { notificationFor } from '../../src/notify/mapping';
import { reconciliationCompletedEvents, writeOffApprovedEvent, type OutwardEvent } from '../../src/notify/outward';
import { StatementColumnsBuilder, statementRowsOf } from '../../src/recon/statement-rows';
import type { MatchResult, StatementLine } from '../../src/recon/types';
import { applyCaseAction, type Actor } from '../../src/recon/workbench/cases';
import { actOnLedger } from '../../src/use-cases/post-adjustment/post-adjustment';
import { fuzzRuns, fuzzSeed } from '../support/fuzz';
import { approver, exceptionCase, memoryLedger, memoryStore, raisedEvent, reconciler } from '../recon/workbench/helpers';

const AT = '2026-11-03T09:00:00.000Z';

function recordingPublisher() {
  const events: OutwardEvent[] = [];
  return { events, publisher: { publish: async (event: OutwardEvent) => void events.push(event) } };
}

describe('workbench.write-off-approved', () => {
  async function pendingCase(amount: string) {
    const store = memoryStore();
    const open = exceptionCase({ amount });
    await store.save(open, raisedEvent(open));
    const { next, event } = applyCaseAction(open, { type: 'propose-write-off', note: 'bank charge' }, reconciler, AT, open.version);
    await store.save(next, event);
    return { store, pending: next };
  }

  it('is published once per booked write-off, with its amount, approver and note, however many approvals race', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 999_999 }), fc.boolean(), fc.integer({ min: 1, max: 4 }), async (minor, debit, racers) => {
        const amount = `${debit ? '-' : ''}${fromMinorUnits(BigInt(minor), 'EUR')}`;
        const { store, pending } = await pendingCase(amount);
        const ledger = memoryLedger();
        const { events, publisher } = recordingPublisher();
        const deps = { ...ledger.deps, outward: publisher };
        const results = await Promise.allSettled(Array.from({ length: racers }, () => actOnLedger(deps, store, pending, { type: 'approve-write-off', note: 'agreed' }, approver, AT, pending.version)));
        expect(results.some((result) => result.status === 'fulfilled')).toBe(true);
        const ids = new Set(events.map((event) => event.id));
        expect(ids.size).toBe(1);
        const event = events[0]!;
        expect(event).toMatchObject({
          type: 'workbench.write-off-approved',
          data: { caseId: pending.caseId, approvedBy: approver.user, note: 'agreed', amount: { value: fromMinorUnits(BigInt(minor), 'EUR'), currency: 'EUR' } },
        });
        const intent = notificationFor(event)!;
        expect(Object.keys(intent.variables).sort()).toEqual(Object.keys(variablesOf('write-off.approved')).sort());
      }),
      { numRuns: fuzzRuns(15), seed: fuzzSeed(5_501) },
    );
  });

  it('is not published for a refused approval (four eyes) nor when no publisher is wired', async () => {
    const { store, pending } = await pendingCase('-3.00');
    const ledger = memoryLedger();
    const { events, publisher } = recordingPublisher();
    const self: Actor = { user: reconciler.user, roles: ['approver'] };
    await expect(actOnLedger({ ...ledger.deps, outward: publisher }, store, pending, { type: 'approve-write-off' }, self, AT, pending.version)).rejects.toThrow(/four eyes/);
    expect(events).toEqual([]);
    await expect(actOnLedger(ledger.deps, store, pending, { type: 'approve-write-off' }, approver, AT, pending.version)).resolves.toBeDefined();
  });

  it('has an id that depends on the adjustment only', () => {
    const a = writeOffApprovedEvent({ caseId: 'C-1', adjustmentId: 'ADJ-1', amount: { value: '1.00', currency: 'EUR' }, approvedBy: 'x', at: AT });
    const b = writeOffApprovedEvent({ caseId: 'C-1', adjustmentId: 'ADJ-1', amount: { value: '1.00', currency: 'EUR' }, approvedBy: 'y', at: '2026-11-04T00:00:00.000Z' });
    const c = writeOffApprovedEvent({ caseId: 'C-1', adjustmentId: 'ADJ-2', amount: { value: '1.00', currency: 'EUR' }, approvedBy: 'x', at: AT });
    expect(a.id).toBe(b.id);
    expect(a.id).not.toBe(c.id);
  });
});

describe('reconciliation.completed', () => {
  const lineArb = fc.record({
    account: fc.constantFrom('GB29NWBK60161331926819', 'DE89370400440532013000'),
    currency: fc.constantFrom('EUR', 'GBP', 'JPY'),
    minor: fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
    fate: fc.constantFrom('matched', 'unmatched', 'neither'),
    day: fc.option(fc.integer({ min: 1, max: 28 }), { nil: null }),
  });

  it('one event per account and currency: matched and exception counts and the unmatched total exact, ids stable', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 1, maxLength: 40 }), (generated) => {
        const lines: StatementLine[] = generated.map((g, i) => ({
          statementLineId: `abc:0:${i}`,
          accountId: g.account,
          currency: g.currency,
          amount: fromMinorUnits(g.minor, g.currency),
          bookingDate: g.day === null ? null : `2026-11-${String(g.day).padStart(2, '0')}`,
          position: { file: 'f' },
        })) as unknown as StatementLine[];
        const result: MatchResult = {
          matches: lines
            .filter((_, i) => generated[i]!.fate === 'matched')
            .map((line, i) => ({ matchId: `m${i}`, ruleId: 'R', confidence: 1, status: 'confirmed', statementLineIds: [line.statementLineId], ledgerEntryIds: [] })),
          unmatched: lines.filter((_, i) => generated[i]!.fate === 'unmatched').map((line) => ({ side: 'statement', id: line.statementLineId, reason: 'UNMATCHED', ageDays: 1 })),
        };
        const run = { runId: 'run-1', asOf: '2026-11-30', statementLines: statementRowsOf(lines), result };
        const events = reconciliationCompletedEvents(run, AT);
        expect(reconciliationCompletedEvents(run, AT)).toEqual(events);
        // REC-PERF-1: the same events from the lines as columns.
        const columns = new StatementColumnsBuilder();
        for (const line of lines) columns.push(line);
        expect(reconciliationCompletedEvents({ ...run, statementLines: columns.finish() }, AT)).toEqual(events);
        const keys = new Set(generated.map((g) => `${g.account}/${g.currency}`));
        expect(events).toHaveLength(keys.size);
        expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
        for (const event of events) {
          const mine = generated.filter((g) => g.account === event.data.accountId && g.currency === event.data.unmatchedTotal.currency);
          expect(event.data.matched).toBe(mine.filter((g) => g.fate === 'matched').length);
          expect(event.data.exceptions).toBe(mine.filter((g) => g.fate === 'unmatched').length);
          const total = mine.filter((g) => g.fate === 'unmatched').reduce((sum, g) => sum + (g.minor < 0n ? -g.minor : g.minor), 0n);
          expect(toMinorUnits(event.data.unmatchedTotal.value, event.data.unmatchedTotal.currency)).toBe(total);
          const days = mine.flatMap((g) => (g.day === null ? [] : [g.day]));
          expect(event.data.statementDate).toBe(days.length > 0 ? `2026-11-${String(Math.max(...days)).padStart(2, '0')}T00:00:00.000Z` : '2026-11-30T00:00:00.000Z');
          const intent = notificationFor(event)!;
          expect(Object.keys(intent.variables).sort()).toEqual(Object.keys(variablesOf('reconciliation.summary')).sort());
        }
      }),
      { numRuns: fuzzRuns(100), seed: fuzzSeed(5_502) },
    );
  });
});

describe('the embedded notify outbox', () => {
  let state: string;
  beforeEach(() => {
    state = mkdtempSync(join(tmpdir(), 'ledgerline-outward-'));
  });
  afterEach(() => rmSync(state, { recursive: true, force: true }));

  it('keeps each event once, in publish order, and the notifier reads it past its cursor', async () => {
    const source = new ArchiveNotifyEventSource(state);
    expect(await source.sources()).not.toContain(OUTWARD_SOURCE);
    const outbox = SqliteOutwardEventPublisher.open(state);
    const first = writeOffApprovedEvent({ caseId: 'C-1', adjustmentId: 'ADJ-1', amount: { value: '1.00', currency: 'EUR' }, approvedBy: 'x', at: AT });
    const second = writeOffApprovedEvent({ caseId: 'C-2', adjustmentId: 'ADJ-2', amount: { value: '2.00', currency: 'EUR' }, approvedBy: 'x', at: AT });
    await outbox.publish(first);
    await outbox.publish(first);
    await outbox.publish(second);
    await outbox.publish(first);
    expect(await source.sources()).toContain(OUTWARD_SOURCE);
    const read = await source.read(OUTWARD_SOURCE, 0, 10);
    expect(read.map((row) => row.event)).toEqual([first, second]);
    expect(await source.read(OUTWARD_SOURCE, read[0]!.position, 10)).toEqual([read[1]]);
    outbox.close();
    source.close();
  });
});

describe('the EventBridge outward publisher', () => {
  const event = writeOffApprovedEvent({ caseId: 'C-1', adjustmentId: 'ADJ-1', amount: { value: '1.00', currency: 'EUR' }, approvedBy: 'x', at: AT });

  it('puts the whole event on the bus under its type and side', async () => {
    const sent: unknown[] = [];
    const client = { send: async (command: { input: unknown }) => (sent.push(command.input), { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] }) } as unknown as EventBridgeClient;
    await new EventBridgeOutwardPublisher({ client, busName: 'bus' }).publish(event);
    expect(sent).toEqual([{ Entries: [{ EventBusName: 'bus', Source: 'ledgerline.workbench', DetailType: 'workbench.write-off-approved', Detail: JSON.stringify(event) }] }]);
  });

  it('rejects, naming the event, when the bus refused the entry', async () => {
    const client = { send: async () => ({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] }) } as unknown as EventBridgeClient;
    await expect(new EventBridgeOutwardPublisher({ client, busName: 'bus' }).publish(event)).rejects.toThrow(
      `workbench.write-off-approved ${event.id} was not accepted (ThrottlingException slow down)`,
    );
  });
});
